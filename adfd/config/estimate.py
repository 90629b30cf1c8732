"""``adfd plan --estimate``: GPU-hours per target (table) before anything is launched.

Training: ``epochs x steps`` per run, ``steps = floor(train videos x frames.train /
batch_real)`` (each SAM step = ``batch_real`` real faces + their pseudo-fakes, drop_last),
at ``evaluation.cost.step_seconds`` per step of ``step_images`` images (measured for
tf_efficientnet_b4, 380 px, fp32 on an H200), scaled linearly by images per step and by
``(image_size / 380)^2``, and by 113/143 for bf16 + channels_last (measured). Evaluation:
``videos x frames.test`` faces (one face per frame assumed) per (run, test set, distortion)
at ``eval_faces_per_second``. When Snakemake ``benchmark:`` TSVs of finished jobs exist
(``results/benchmarks/train/<run>.tsv`` with the run's train_summary.json,
``results/benchmarks/evaluate/<run>/<distortion>.tsv`` with its stores), their median
seconds per step and faces per second replace the constants.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pandas as pd

from adfd.config.matrix import Matrix
from adfd.data.datasets import REGISTRY

REF_IMAGE_SIZE = 380
BF16_CHANNELS_LAST = 113 / 143  # measured speed-up on the H200 (bench/gpu_train.py)
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


def calibrate(root: Path) -> dict[str, Any]:
    """Median seconds per train step and faces/s from finished jobs' benchmark files."""
    steps, rates = [], []
    for tsv in sorted((root / "train").glob("*.tsv")):
        summary = Path("results/train") / tsv.stem / "train_summary.json"
        if not summary.is_file():
            continue
        data = json.loads(summary.read_text())
        n = data.get("epochs", 0) * data.get("steps_per_epoch", 0)
        secs = float(pd.read_csv(tsv, sep="\t")["s"].iloc[-1])
        if n > 0:
            steps.append(secs / n)
    for tsv in sorted((root / "evaluate").glob("*/*.tsv")):
        stores = list(Path("results/predictions", tsv.parent.name).glob(f"*/{tsv.stem}.parquet"))
        faces = sum(
            int((pd.read_parquet(p, columns=["frame_idx"])["frame_idx"] >= 0).sum()) for p in stores
        )
        secs = float(pd.read_csv(tsv, sep="\t")["s"].iloc[-1])
        if faces and secs > 0:
            rates.append(faces / secs)
    out: dict[str, Any] = {"train_files": len(steps), "eval_files": len(rates)}
    if steps:
        out["step_seconds"] = statistics.median(steps)
    if rates:
        out["faces_per_second"] = statistics.median(rates)
    return out


def run_seconds(experiment: dict[str, Any], config: dict[str, Any], step_seconds: float,
                step_images: int, calibrated: bool) -> tuple[float, int]:  # fmt: skip
    """(seconds, steps) of one training run."""
    train_set = experiment["data"]["train_set"]
    images = (
        _expected(config, train_set, "train", TRAIN_VIDEOS)
        * config["preprocess"]["frames"]["train"]
    )
    batch = experiment["train"]["batch_real"]
    steps = experiment["train"]["epochs"] * (images // batch)
    per_step = step_seconds
    if not calibrated:  # scale the reference measurement to this recipe
        per_step *= (2 * batch) / step_images
        per_step *= (experiment["data"]["image_size"] / REF_IMAGE_SIZE) ** 2
        if experiment["train"]["precision"] == "bf16" and experiment["train"]["channels_last"]:
            per_step *= BF16_CHANNELS_LAST
    seconds = steps * per_step
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
    cal = calibrate(Path(cost["benchmarks"]))
    step_s = cal.get("step_seconds", cost["step_seconds"])
    fps = cal.get("faces_per_second", cost["eval_faces_per_second"])
    train_h = {}
    for rid, run in matrix.runs.items():
        secs, _ = run_seconds(run.experiment, config, step_s, cost["step_images"],
                              "step_seconds" in cal)  # fmt: skip
        train_h[rid] = secs / 3600
    frames = config["preprocess"]["frames"]["test"]
    eval_h = {
        job: _expected(config, job[1], "test", TEST_VIDEOS) * frames / fps / 3600
        for job in matrix.evals
    }
    src = (
        f"calibrated from {cal['train_files']} train benchmark(s)"
        if "step_seconds" in cal
        else f"config: {cost['reference'] or 'evaluation.cost'}"
    )
    esrc = (
        f"calibrated from {cal['eval_files']} evaluate benchmark(s)"
        if "faces_per_second" in cal
        else "config"
    )
    lines = [
        f"GPU-hour estimate: {step_s * 1000:.0f} ms per SAM step of {cost['step_images']} "
        f"images ({src}); evaluation {fps:.0f} faces/s ({esrc}); one face per test frame",
        "",
        f"{'target':12} {'runs':>4} {'train GPU-h':>11} {'evals':>5} {'eval GPU-h':>10} "
        f"{'total GPU-h':>11}",
    ]
    names = tables or list(matrix.tables)
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
    example = next(iter(matrix.runs.values()))
    secs, steps = run_seconds(example.experiment, config, step_s, cost["step_images"],
                              "step_seconds" in cal)  # fmt: skip
    lines.append(
        f"baseline recipe: {steps} steps = {secs / 3600:.2f} GPU-h per run; tables share runs, "
        "so per-table sums overlap"
    )
    return "\n".join(lines)
