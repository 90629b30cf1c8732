"""Did a run learn? Its training loss against ln 2 (no torch import: ``adfd status`` uses it).

Binary cross-entropy of a classifier that always says 0.5 is ln 2 = 0.693; SBI's recipe
reaches about 0.1. A run *left ln 2* when some epoch's mean loss fell ``LN2_MARGIN`` below
it; one that never did learned nothing, whatever its AUCs say. ``train_summary.json`` and
the tables' footnotes carry the final loss so that such a run is visible where its numbers
are printed.
"""

from __future__ import annotations

import math
from typing import Any

LN2 = math.log(2)
LN2_MARGIN = 0.05


def loss_stuck(losses: list[float]) -> bool:
    """True when the training loss never fell ``LN2_MARGIN`` below ln 2."""
    finite = [v for v in losses if math.isfinite(v)]
    return bool(losses) and (not finite or min(finite) > LN2 - LN2_MARGIN)


def loss_figures(history: list[dict[str, Any]]) -> dict[str, Any]:
    """``final_loss``: the mean epoch loss of the last tenth of the epochs (at least one; a
    single short epoch is noisy: the demo's has 4 steps), ``min_loss`` (the lowest epoch
    mean) and ``left_ln2`` of a run's history."""
    losses = [float(h["loss"]) for h in history if h.get("loss") is not None]
    if not losses:
        return {"final_loss": None, "min_loss": None, "left_ln2": None}
    tail = losses[-max(1, len(losses) // 10) :]
    return {"final_loss": sum(tail) / len(tail), "min_loss": min(losses),
            "left_ln2": not loss_stuck(losses)}  # fmt: skip
