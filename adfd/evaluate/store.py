"""The per-face prediction store (Parquet): the single artifact every AUC is computed from.

One row per scored face, plus one row (``frame_idx = -1``, NaN score) per video that had
no face at all, with the video's preprocessing status, so fallbacks are countable.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = [
    "dataset", "split", "video_id", "label", "subset", "frame_idx", "face_idx",
    "x0", "y0", "x1", "y1", "score", "run_id", "distortion", "status",
]  # fmt: skip


def build_store(
    *, videos: pd.DataFrame, faces: pd.DataFrame, run_id: str, dataset: str, distortion: str
) -> pd.DataFrame:
    info = videos.set_index("video_id")[["label", "subset", "status"]]
    scored = faces[["video_id", "frame_idx", "face_idx", "x0", "y0", "x1", "y1", "score"]]
    scored = scored.join(info, on="video_id")
    missing = info.loc[~info.index.isin(scored["video_id"])].reset_index()
    empty = missing.assign(
        frame_idx=-1, face_idx=-1, x0=np.nan, y0=np.nan, x1=np.nan, y1=np.nan, score=np.nan
    )
    store = pd.concat([scored, empty], ignore_index=True)
    store = store.assign(dataset=dataset, split="test", run_id=run_id, distortion=distortion)
    store = store.astype({"label": "int8", "frame_idx": "int32", "face_idx": "int32"})
    return store[COLUMNS].sort_values(["video_id", "frame_idx", "face_idx"], ignore_index=True)


def write_store(out: Path, **kwargs) -> pd.DataFrame:
    store = build_store(**kwargs)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    store.to_parquet(tmp, index=False)
    os.replace(tmp, out)
    return store


def read_stores(paths: list[Path]) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
