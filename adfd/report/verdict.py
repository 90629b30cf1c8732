"""The verdict on one table cell: is the paper's AUC reproduced by ours?

Our AUC comes with a bootstrap CI over the test videos (``evaluation.statistics``). A paper
value outside that CI is a difference beyond test-set sampling noise (*above*: ours higher,
*below*: ours lower), whatever the CI's width. A paper value inside it is only called
*reproduced* when the CI is narrow enough to say so (``max_ci_width`` AUC points, high -
low); inside a wider CI the cell is *inconclusive*: almost any value would have been inside.
"""

from __future__ import annotations

import math

OUTCOMES = ("reproduced", "inconclusive", "below", "above", "no paper value")
DEFAULT_MAX_CI_WIDTH = 20.0  # AUC points; the schema's default of statistics.max_ci_width


def outcome(paper: float, low: float, high: float,
            max_ci_width: float = DEFAULT_MAX_CI_WIDTH) -> str:  # fmt: skip
    """Where the paper's value lies relative to our CI ``[low, high]`` (AUC %)."""
    if math.isnan(paper):
        return "no paper value"
    if math.isnan(low) or math.isnan(high):
        return "no CI"
    if paper < low:
        return "above"  # ours is above the paper beyond the noise
    if paper > high:
        return "below"
    return "reproduced" if high - low <= max_ci_width else "inconclusive"


def max_width(stats: dict | None) -> float:
    """``statistics.max_ci_width`` of a config's ``evaluation.statistics`` (or the default)."""
    return float((stats or {}).get("max_ci_width", DEFAULT_MAX_CI_WIDTH))
