"""Read preprocessed shards back (contract in docs/architecture.md "Preprocessed shard").

``training_faces`` mirrors SBI's per-frame face choice (reference §2 "Per-sample face
selection"): the largest face (``face_idx`` 0) of each saved frame, with its landmarks and
box. Because landmarks are predicted inside the detector box, no IoU matching is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd


class ShardError(RuntimeError):
    """A shard directory is incomplete or inconsistent with the others."""


def load_shards(dirs: Iterable[str | Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Concatenate ``videos.parquet`` and ``faces.parquet`` of every shard directory.

    ``frame_file`` becomes an absolute path; a ``shard`` column names the source directory.
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
        f["frame_file"] = [str(d / rel) for rel in f["frame_file"]]
        videos.append(v.assign(shard=str(d)))
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


def training_faces(faces: pd.DataFrame) -> pd.DataFrame:
    """The largest face of each frame that has landmarks, one row per frame.

    Columns: ``video_id, frame_idx, frame_file, landmarks`` ((n, 2) float64 array),
    ``box`` ((4,) float64 ``x0, y0, x1, y1``), ``score``.
    """
    has_points = faces["landmarks"].map(len) > 0
    rows = faces[(faces["face_idx"] == 0) & has_points].sort_values(["video_id", "frame_idx"])
    return pd.DataFrame(
        {
            "video_id": rows["video_id"].to_numpy(),
            "frame_idx": rows["frame_idx"].to_numpy(),
            "frame_file": rows["frame_file"].to_numpy(),
            "landmarks": [
                np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in rows["landmarks"]
            ],
            "box": list(rows[["x0", "y0", "x1", "y1"]].to_numpy(dtype=np.float64)),
            "score": rows["score"].to_numpy(dtype=np.float64),
        }
    )
