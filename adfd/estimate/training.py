"""Training cost of a run: seconds per step (measured by finished runs of the same setup,
else the ``evaluation.cost`` constant scaled to the recipe) times its steps (see
:mod:`adfd.estimate`)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from adfd.config.step_cost import execution_label, step_seconds_for
from adfd.estimate.videos import TRAIN_VIDEOS, expected_videos

REF_IMAGE_SIZE = 380


def train_key(experiment: dict[str, Any], device_kind: str) -> tuple:
    """What a training step's cost depends on (besides the images per step)."""
    return (
        experiment["model"]["name"],
        int(experiment["data"]["image_size"]),
        execution_label(experiment["train"]),
        experiment["optim"]["name"],
        device_kind,
    )


def summary_key(data: dict[str, Any]) -> tuple | None:
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
        key = summary_key(data)
        if key is None or not data.get("step_seconds") or not data.get("batch_real"):
            continue
        per_image.setdefault(key, []).append(data["step_seconds"] / (2 * data["batch_real"]))
        runs.setdefault(key, []).append(str(path.parent))
    return {
        k: {"image_seconds": statistics.median(v), "runs": runs[k]} for k, v in per_image.items()
    }


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
        expected_videos(config, train_set, "train", TRAIN_VIDEOS)
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
            expected_videos(config, train_set, "val", {"ffpp": 140})
            * config["preprocess"]["frames"]["val"]
        )
        seconds += (
            experiment["train"]["epochs"]
            * 2
            * val
            / config["evaluation"]["cost"]["eval_faces_per_second"]
        )
    return seconds, steps
