"""Training progress and loss of one run from its log and summary (no torch import).

The loop logs one line per finished epoch (``adfd.train.loop.Trainer.epoch_record``):
``epoch e/E loss L lr R N img/s ...``; each step holds ``2 x batch_real`` images, so its
seconds are ``2 x batch_real / (img/s)``. A resumed job logs ``resumed from ... at epoch e
step s``. ``train_summary.json`` keeps the per-epoch ``history`` (loss) and the median
``step_seconds``; ``results/train_state/<run>/state.pt`` is the epoch's resumable state.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from adfd.train.learning import LN2, LN2_MARGIN, loss_stuck  # noqa: F401 (re-exported)

EPOCH_LINE = re.compile(r"epoch (\d+)/(\d+) loss ([-\d.naif]+) lr \S+ ([\d.]+) img/s")
RESUMED = re.compile(r"resumed from \S+ at epoch (\d+) step (\d+)")


@dataclass
class Progress:
    run: str
    epochs_done: int = 0
    epochs: int | None = None
    step_seconds: float | None = None  # last epoch's, from img/s
    losses: list[float] = field(default_factory=list)
    resumed: str | None = None
    state_file: str | None = None
    problems: list[str] = field(default_factory=list)


def read_log(root: Path, run: str, batch_real: int) -> Progress:
    prog = Progress(run)
    path = root / f"logs/train/{run}.log"
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return prog
    for m in EPOCH_LINE.finditer(text):
        prog.epochs_done, prog.epochs = int(m[1]), int(m[2])
        try:
            prog.losses.append(float(m[3]))
            if float(m[4]) > 0:
                prog.step_seconds = 2 * batch_real / float(m[4])
        except ValueError:
            prog.problems.append(f"{path.relative_to(root)}: unreadable epoch line '{m[0]}'")
    resumed = list(RESUMED.finditer(text))
    if resumed:
        prog.resumed = f"resumed at epoch {resumed[-1][1]} step {resumed[-1][2]}"
    state = root / f"results/train_state/{run}/state.pt"
    if state.is_file():
        prog.state_file = str(state.relative_to(root))
    return prog


def read_summary(root: Path, run: str) -> tuple[dict | None, str | None]:
    """(train_summary.json, None) or (None, why it cannot be read) or (None, None) if absent."""
    path = root / f"results/train/{run}/train_summary.json"
    if not path.is_file():
        return None, None
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data, None
    except (OSError, ValueError) as err:
        return None, f"{path.relative_to(root)}: unreadable or half written ({err})"


def summary_losses(summary: dict | None) -> list[float]:
    try:
        return [float(h["loss"]) for h in summary["history"] if h.get("loss") is not None]
    except (KeyError, TypeError, ValueError):
        return []
