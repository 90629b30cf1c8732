"""The per-face prediction store (Parquet): the single artifact every AUC is computed from.

One row per scored face, plus one row (``frame_idx = -1``, NaN score) per video that had
no face at all, with the video's preprocessing status, so fallbacks are countable.
``frames_read`` (frames decoded for the video) lets the frame-level protocol score the
frames without a face. The file's Parquet metadata (key ``adfd``) holds the provenance of
the scores: detector, frames asked, distortion and packages of the test shards (their
``meta.json``) and the model's meta (image size, margin), so tables need nothing else.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

COLUMNS = [
    "dataset", "split", "video_id", "label", "subset", "frame_idx", "face_idx",
    "x0", "y0", "x1", "y1", "score", "run_id", "distortion", "status", "frames_read",
]  # fmt: skip
META_KEY = b"adfd"


def build_store(
    *, videos: pd.DataFrame, faces: pd.DataFrame, run_id: str, dataset: str, distortion: str
) -> pd.DataFrame:
    videos = videos.copy()
    if "frames_read" not in videos:
        videos["frames_read"] = -1  # unknown (crafted stores in tests)
    info = videos.set_index("video_id")[["label", "subset", "status", "frames_read"]]
    scored = faces[["video_id", "frame_idx", "face_idx", "x0", "y0", "x1", "y1", "score"]]
    scored = scored.join(info, on="video_id")
    missing = info.loc[~info.index.isin(scored["video_id"])].reset_index()
    empty = missing.assign(
        frame_idx=-1, face_idx=-1, x0=np.nan, y0=np.nan, x1=np.nan, y1=np.nan, score=np.nan
    )
    store = pd.concat([scored, empty], ignore_index=True)
    store = store.assign(dataset=dataset, split="test", run_id=run_id, distortion=distortion)
    store = store.astype(
        {"label": "int8", "frame_idx": "int32", "face_idx": "int32", "frames_read": "int32"}
    )
    return store[COLUMNS].sort_values(["video_id", "frame_idx", "face_idx"], ignore_index=True)


def write_store(out: Path, meta: dict[str, Any] | None = None, **kwargs) -> pd.DataFrame:
    store = build_store(**kwargs)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    table = pa.Table.from_pandas(store, preserve_index=False)
    if meta is not None:
        extra = {META_KEY: json.dumps(meta, sort_keys=True, default=str).encode()}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    pq.write_table(table, tmp)
    os.replace(tmp, out)
    return store


def read_meta(path: Path) -> dict[str, Any]:
    """Provenance written with a store (empty for stores written without it)."""
    raw = (pq.read_schema(path).metadata or {}).get(META_KEY)
    return json.loads(raw) if raw else {}


def read_stores(paths: list[Path]) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
