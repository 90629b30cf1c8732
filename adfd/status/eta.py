"""Remaining GPU-hours and when each table will be in.

Per run: ``adfd.estimate``'s steps and seconds per step (``step_cost``: a finished run of
the same setup on the estimated device kind, else the ``evaluation.cost`` constant). A
run that is training uses its own measured seconds per step (its log) for the epochs left;
a run not started uses the estimate times the median measured/estimated ratio of this
study's runs that have a measured figure (finished: ``train_summary.json``; training: log),
when the estimate is a constant. Evaluation jobs: the median wall time of finished evaluate
jobs (``results/benchmarks/evaluate``), else ``estimate``'s faces/s constant. The jobs are
then laid on the GPUs the profile allows at once in table order, evaluations as soon as
their run is in. Preprocessing and queue waits are not included (said in the output).
"""

from __future__ import annotations

import csv
import heapq
import json
import statistics
from pathlib import Path
from typing import Any

import yaml

from adfd.estimate.training import run_seconds, step_cost, summary_key
from adfd.estimate.videos import TEST_VIDEOS, expected_videos


def measured_training(root: Path) -> dict[tuple, dict[str, Any]]:
    """``estimate.calibrate_training`` that skips unreadable summaries (reported elsewhere)."""
    per_image: dict[tuple, list[float]] = {}
    runs: dict[tuple, list[str]] = {}
    for path in sorted((root / "results/train").glob("*/train_summary.json")):
        try:
            data = json.loads(path.read_text())
            key = summary_key(data)
            secs, batch = data.get("step_seconds"), data.get("batch_real")
        except (OSError, ValueError, AttributeError):
            continue
        if key is None or not secs or not batch:
            continue
        per_image.setdefault(key, []).append(secs / (2 * batch))
        runs.setdefault(key, []).append(f"results/train/{path.parent.name}")
    return {
        k: {"image_seconds": statistics.median(v), "runs": runs[k]} for k, v in per_image.items()
    }


def eval_seconds(root: Path, config: dict[str, Any], dist_jobs: int) -> tuple[float, str]:
    """(seconds per evaluate job, source)."""
    secs = []
    for tsv in sorted((root / "results/benchmarks/evaluate").glob("*/*.tsv")):
        try:
            with open(tsv, newline="") as fh:
                rows = list(csv.DictReader(fh, delimiter="\t"))
            secs.append(float(rows[-1]["s"]))
        except (OSError, KeyError, ValueError, IndexError):
            continue
    if secs:
        return statistics.median(
            secs
        ), f"measured: median of {len(secs)} evaluate job(s) (results/benchmarks/evaluate)"
    cost = config["evaluation"]["cost"]
    frames = config["preprocess"]["frames"]["test"]
    faces = sum(
        expected_videos(config, ds, "test", TEST_VIDEOS) * frames for ds in config["datasets"]
    )
    return faces / cost["eval_faces_per_second"], (
        f"constant evaluation.cost ({cost['eval_faces_per_second']} faces/s, "
        f"{cost['reference'] or 'config'})"
    )


def profile_gpus(profile: Path | None) -> tuple[int, str]:
    """GPU jobs the profile runs at once: ``jobs`` (Slurm) or ``cores``, capped by a
    ``resources: gpu=N`` limit; (count, source)."""
    if profile is None:
        return 1, "no profile given: 1"
    path = profile / "config.yaml" if profile.is_dir() else profile
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        return 1, f"{path} unreadable ({err}): 1"
    key = "jobs" if "jobs" in data else "cores" if "cores" in data else None
    n, src = (int(data[key]), f"{path} {key}: {data[key]}") if key else (1, f"{path}: 1")
    for item in data.get("resources") or []:
        name, _, value = str(item).partition("=")
        if name.strip() == "gpu" and value.strip().isdigit() and int(value) < n:
            n, src = int(value), f"{path} resources gpu={value}"
    return n, src


def run_plan(config, matrix, runs: list[str], progress: dict, done: set[str], root: Path):
    """Per run ``(remaining seconds, source)`` and the lines naming the sources."""
    cost = config["evaluation"]["cost"]
    measured = measured_training(root)
    est, ratios = {}, []
    for rid in runs:
        exp = matrix.runs[rid].experiment
        step_s, src = step_cost(exp, cost, measured)
        secs, steps = run_seconds(exp, config, step_s)
        est[rid] = (step_s, src, secs, steps)
        own = progress.get(rid)
        if own is not None and own.get("step_seconds") and not src.startswith("measured"):
            ratios.append(own["step_seconds"] / step_s)
    ratio = statistics.median(ratios) if ratios else None
    out = {}
    for rid in runs:
        step_s, src, secs, steps = est[rid]
        own = progress.get(rid) or {}
        if rid in done:
            out[rid] = (0.0, "done")
        elif own.get("training") and own.get("step_seconds") and own.get("epochs"):
            left = max(0, own["epochs"] - own["epochs_done"]) / own["epochs"]
            out[rid] = (
                left * steps * own["step_seconds"] + (secs - steps * step_s) * left,
                "measured: this run's own s/step (its log)",
            )
        elif ratio is not None and not src.startswith("measured"):
            out[rid] = (
                secs * ratio,
                f"{src} x {ratio:.2f} (median measured/estimated of "
                f"{len(ratios)} run(s) of this study)",
            )
        else:
            left = 1.0
            if own.get("epochs"):
                left = max(0, own["epochs"] - own["epochs_done"]) / own["epochs"]
            out[rid] = (secs * left, src)
    return out


def schedule(
    gpus: int, train: dict[str, float], evals: dict[tuple, tuple[str, float]], order: list[str]
) -> dict:
    """Finish time (s from now) of every job, greedy on ``gpus`` slots: an evaluation as soon
    as its run is in, else the next run in ``order``."""
    slots = [0.0] * max(1, gpus)
    finish: dict = {rid: 0.0 for rid, s in train.items() if s <= 0}
    queue = [r for r in order if train.get(r, 0) > 0]
    waiting = dict(evals)
    while queue or waiting:
        t = heapq.heappop(slots)
        ready = [k for k, (rid, _) in waiting.items() if finish.get(rid, float("inf")) <= t]
        if ready:
            rid, secs = waiting.pop(ready[0])
            end = finish[("eval", *ready[0])] = t + secs
        elif queue:
            rid = queue.pop(0)
            end = finish[rid] = t + train[rid]
        else:  # every GPU waits for a run that is still training
            key = min(waiting, key=lambda k: finish.get(waiting[k][0], float("inf")))
            rid, secs = waiting.pop(key)
            end = finish[("eval", *key)] = max(t, finish.get(rid, t)) + secs
        heapq.heappush(slots, end)
    return finish
