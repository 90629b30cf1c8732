"""Preview grids of one table row's pseudo-fakes (``adfd synth preview TABLE ROW``).

Rows of the PNG: real, fake, mask (blend ratio x blend mask, grey); columns: samples. Faces
come from a preprocessed shard directory (``adfd.data.shards``) or, by default, from the real
portraits shipped inside installed packages (skimage's astronaut, matplotlib's Grace Hopper)
with dlib HOG boxes and 68-point landmarks. Sample ``i`` draws from
``default_rng([seed, i])``, as the training loader draws per item.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from adfd.data.images import read_rgb
from adfd.synthesis.pipeline import make_training_pair


class RealFace(NamedTuple):
    name: str
    frame: np.ndarray  # (H, W, 3) uint8 RGB
    landmarks: np.ndarray  # (68 | 81, 2) float
    box: np.ndarray  # (4,) x0, y0, x1, y1


def detect_face(name: str, image: np.ndarray) -> RealFace:
    """The largest dlib HOG face of ``image`` with its 68 landmarks (raises if none)."""
    import dlib

    from adfd.demo.faces import package_dir

    model = package_dir("face_recognition_models") / "models"
    predictor = dlib.shape_predictor(str(model / "shape_predictor_68_face_landmarks.dat"))
    detector = dlib.get_frontal_face_detector()
    rgb = np.ascontiguousarray(image)
    rects = detector(rgb, 0) or detector(rgb, 1)
    if len(rects) == 0:
        raise ValueError(f"dlib found no face in {name}")
    rect = max(rects, key=lambda r: r.width() * r.height())
    landmarks = np.array([[p.x, p.y] for p in predictor(rgb, rect).parts()], dtype=np.float64)
    box = np.array([rect.left(), rect.top(), rect.right(), rect.bottom()], dtype=np.float64)
    return RealFace(name, rgb, landmarks, box)


def portrait_faces() -> list[RealFace]:
    """skimage's astronaut and matplotlib's Grace Hopper, detected with dlib."""
    import matplotlib.cbook
    import skimage.data

    hopper = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return [
        detect_face("astronaut", skimage.data.astronaut()),
        detect_face("grace_hopper", read_rgb(hopper)),
    ]


def shard_faces(shard: str | Path, limit: int) -> list[RealFace]:
    """Up to ``limit`` training faces of a preprocessed shard, spread over its frames."""
    from adfd.data.shards import load_shards, training_faces

    rows = training_faces(load_shards([shard])[1])
    if rows.empty:
        raise ValueError(f"{shard}: no frame with a face and landmarks")
    pick = np.unique(np.linspace(0, len(rows) - 1, min(limit, len(rows))).astype(int))
    return [
        RealFace(f"{r.video_id}:{r.frame_idx}", read_rgb(r.frame_file), r.landmarks, r.box)
        for r in rows.iloc[pick].itertuples(index=False)
    ]


def preview_grid(
    faces: list[RealFace],
    synthesis_cfg: dict,
    data_cfg: dict,
    out: Path,
    *,
    n: int = 8,
    seed: int = 0,
    title: str = "",
) -> Path:
    """Write the real / fake / mask grid of ``n`` training pairs to ``out`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, n, figsize=(2.0 * n, 6.4), squeeze=False)
    for i in range(n):
        face = faces[i % len(faces)]
        rng = np.random.default_rng([seed, i])
        pair = make_training_pair(
            face.frame, face.landmarks, face.box, synthesis_cfg, data_cfg, rng, train=True
        )
        for row, image in enumerate((pair.real, pair.fake, pair.mask)):
            ax = axes[row, i]
            grey = {"cmap": "gray", "vmin": 0, "vmax": 1} if image.ndim == 2 else {}
            ax.imshow(image, **grey)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[0, i].set_title(f"{face.name}\nseed [{seed}, {i}]", fontsize=7)
    for row, label in enumerate(("real", "fake", "mask")):
        axes[row, 0].set_ylabel(label)
    fig.suptitle(title)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return out


def preview_row(
    config: dict,
    table: str,
    row: int,
    out: Path | None = None,
    *,
    n: int = 8,
    seed: int = 0,
    frames: str | Path | None = None,
) -> Path:
    """Resolve ``table`` row ``row`` (1-based) and write its preview grid; returns the path."""
    from adfd.config import build_matrix

    resolved = build_matrix(config).row(table, row).resolved
    faces = portrait_faces() if frames is None else shard_faces(frames, n)
    out = Path(f"results/preview/{table}_{row}.png") if out is None else Path(out)
    mask = resolved["synthesis"]["mask"]
    own = mask.get(mask["name"]) or {}  # the mask's own options, e.g. mask.bbmg
    title = f"{table} row {row}: mask {mask['name']} {own or ''}".strip()
    return preview_grid(
        faces, resolved["synthesis"], resolved["data"], out, n=n, seed=seed, title=title
    )
