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

Preprocessing (``preprocess_estimate``, its own printed section): every unit the tables
need (FF++ train/val, each test set under each Table 10 distortion), frames decoded per video
(``preprocess.frames``) times per-frame costs measured by bench/preprocess.py
(``PREPROCESS_COST``), in GPU-hours when ``resources.preprocess.gpu`` is 1, else CPU
core-hours; shard disk from bytes per stored face (measured, or from finished shards under
results/preprocess when there are any).

The parts: :mod:`adfd.estimate.training`, :mod:`adfd.estimate.evaluation` and
:mod:`adfd.estimate.preprocessing`; the videos per split they assume:
:mod:`adfd.estimate.videos`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adfd.config.matrix import Matrix
from adfd.estimate.evaluation import calibrate_evaluation
from adfd.estimate.preprocessing import preprocess_estimate
from adfd.estimate.training import calibrate_training, run_seconds, step_cost
from adfd.estimate.videos import TEST_VIDEOS, expected_videos


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
        job: expected_videos(config, job[1], "test", TEST_VIDEOS) * frames / fps / 3600
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
