"""Seconds per SAM step for a recipe's execution options (``adfd plan --estimate``).

``evaluation.cost.step_seconds`` is the fp32 eager step measured at the reference size;
``evaluation.cost.execution`` lists the other measured configurations by label
(``bf16+channels_last``, ``bf16+channels_last+compile_model``, ...; bench/gpu_suite.py
prints them). A recipe whose exact configuration is unmeasured uses the figure of its
precision and layout alone and says so: no speed-up is assumed for what was not measured.
"""

from __future__ import annotations

from typing import Any


def execution_options(train: dict[str, Any]) -> dict[str, Any]:
    """The execution options of a recipe's ``train`` node, absent ones at their defaults: the
    one description of them, recorded by a run (``execution`` in train_summary.json, the
    model's meta) and labelled by :func:`execution_label` (recipes and records alike)."""
    return {
        "precision": train["precision"],
        "channels_last": bool(train.get("channels_last", False)),
        "compile": train.get("compile", False),
        "fused_optimizer": bool(train.get("fused_optimizer", False)),
        "prefetch": bool(train.get("prefetch", False)),
    }


def execution_label(train: dict[str, Any], *, speed_only: bool = True) -> str:
    """``fp32``, ``bf16+channels_last``, ``bf16+channels_last+compile_step+fused``, ..."""
    options = execution_options(train)
    parts = [options["precision"]]
    if options["channels_last"]:
        parts.append("channels_last")
    if speed_only:
        if options["compile"]:
            parts.append(f"compile_{options['compile']}")
        if options["fused_optimizer"]:
            parts.append("fused")
    return "+".join(parts)


def step_seconds_for(train: dict[str, Any], cost: dict[str, Any]) -> tuple[float, str]:
    """(seconds per step at the reference size and batch, where the figure comes from)."""
    table = {"fp32": float(cost["step_seconds"]), **(cost.get("execution") or {})}
    full, base = execution_label(train), execution_label(train, speed_only=False)
    if full in table:
        return float(table[full]), f"{full}: measured"
    if base in table:
        return float(table[base]), f"{full}: unmeasured, {base} figure used"
    return table["fp32"], f"{full}: unmeasured, fp32 figure used"
