"""Preview grid of pseudo-fakes (``adfd synth preview TABLE ROW``).

Rows of the PNG: real, fake, mask (blend ratio x blend mask, grey); columns: samples. The
caller resolves the row's config and loads the faces (``adfd.preprocess.shards.shard_faces`` or
``adfd.demo.faces.portrait_faces``). Sample ``i`` draws from ``default_rng([seed, i])``, as
the training loader draws per item.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from adfd.preprocess.shards import RealFace
from adfd.synthesis.pipeline import make_training_pair


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
