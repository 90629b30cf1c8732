"""Canonical form of a training configuration and its run id.

Two rows whose resolved configs train the same model must share one run (trained once).
The canonical form therefore (1) keeps only what influences training, (2) drops parameters
that are *inert* under the row's other choices (each rule below states why and is checked by
a test that the generator or trainer really ignores it), (3) normalises numbers (``1.0`` ->
``1``), and is hashed with sorted keys.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

# (condition on the resolved experiment, dotted key to drop, why it is inert)
InertRule = tuple[Callable[[dict[str, Any]], bool], str, str]


def _nrs_off(c):
    return not c["nrs"]["enabled"]


def _mask(c):
    return c["synthesis"]["mask"]


def _blur(c):
    return c["synthesis"]["blur"]


def _tf(c):
    return c["synthesis"]["transforms"]


def _disabled(name: str):
    return lambda c: not _tf(c)[name]["enabled"]


INERT_RULES: list[InertRule] = [
    *[
        (_nrs_off, f"nrs.{k}", "NRS off: plain cross-entropy (Alg. 1 before T_k)")
        for k in ("t_k", "lambda", "beta", "k", "k_s", "filter", "distance")
    ],
    (lambda c: _mask(c)["name"] != "bbmg", "synthesis.mask.bbmg", "BBMG options unused"),
    (
        lambda c: _mask(c)["name"] == "bbmg" and _mask(c)["bbmg"]["variant"] != "narrowed_local",
        "synthesis.mask.bbmg.narrow",
        "narrowing applies to the narrowed_local variant only (Table 12)",
    ),
    (
        lambda c: _mask(c)["dtype"] == "float32",
        "synthesis.mask.value",
        "float32 masks are divided by the drawn value at once, as the LAL does (/255)",
    ),
    (
        lambda c: _mask(c)["dtype"] == "float32",
        "synthesis.mask.line_type",
        "OpenCV draws LINE_AA as LINE_8 on float32 canvases (docs/sbi-recipe.md §6, measured)",
    ),
    (
        lambda c: _blur(c)["fixed_kernel"] is not None,
        "synthesis.blur.kernel",
        "a fixed kernel replaces the random k1/k2 (Fig. 5)",
    ),
    (
        lambda c: _blur(c)["fixed_kernel"] is not None or _blur(c)["name"] != "gaussian",
        "synthesis.blur.sigma2",
        "sigma2 exists only for the second Gaussian pass",
    ),
    (
        lambda c: c["synthesis"]["blend"]["name"] == "alpha",
        "synthesis.blend.ratios",
        "alpha blend uses ratio 1 (Table 7)",
    ),
    *[
        (
            _disabled(name),
            f"synthesis.transforms.{name}",
            f"{name} transform disabled (Table 5)",
        )
        for name in ("color", "frequency", "affine")
    ],
    (
        lambda c: not _tf(c)["color"]["enabled"] and not _tf(c)["frequency"]["enabled"],
        "synthesis.transforms.object",
        "no colour/frequency transform left to place on source or target (Table 6)",
    ),
    (
        lambda c: not c["synthesis"]["pair_augment"]["enabled"],
        "synthesis.pair_augment",
        "pair augmentation disabled",
    ),
    (lambda c: True, "train.workers", "per-sample generators make results worker-independent"),
    (
        lambda c: True,
        "train.max_redraw_fraction",
        "a failure allowance: a run that finishes trained on the same draws whatever its value",
    ),
    (lambda c: c["optim"]["name"] != "sam", "optim.rho", "rho is SAM's radius; plain SGD"),
    (lambda c: c["optim"]["name"] == "adamw", "optim.momentum", "AdamW has no SGD momentum"),
    *[
        (lambda c: True, f"train.{k}", f"train.{k}: same maths and random stream, faster kernels")
        for k in ("fused_optimizer", "prefetch")
    ],
    (
        lambda c: c["train"].get("compile", False) is False,
        "train.compile",
        "eager execution: absent, as in run ids made before the option existed",
    ),
]

# Execution choices that keep the maths and the random stream: hashed as one fixed value
# (not dropped, so run ids made before the option existed stay valid); docs/decisions.md.
CANONICAL_VALUES: list[tuple[str, Any, str]] = [
    ("train.channels_last", False, "memory layout only (NHWC vs NCHW kernels)"),
]


def normalise(value: Any) -> Any:
    """Sort nothing, but make numbers canonical: integral floats become ints."""
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        return float(f"{value:.12g}")
    # numpy scalars and the like
    if hasattr(value, "item"):
        return normalise(value.item())
    raise TypeError(f"cannot canonicalise {type(value).__name__}: {value!r}")


def drop_inert(experiment: dict[str, Any]) -> dict[str, Any]:
    """Copy of ``experiment`` without the parameters its other choices make inert."""
    out = copy.deepcopy(experiment)
    drops = [path for cond, path, _ in INERT_RULES if cond(experiment)]
    for path in drops:
        *parents, leaf = path.split(".")
        node = out
        for part in parents:
            node = node.get(part, {})
        node.pop(leaf, None)
    for path, value, _ in CANONICAL_VALUES:
        *parents, leaf = path.split(".")
        node = out
        for part in parents:
            node = node.get(part, {})
        if leaf in node:
            node[leaf] = value
    return out


def canonical_form(
    experiment: dict[str, Any], *, seed: int, preprocess: dict[str, Any], dataset: dict[str, Any]
) -> dict[str, Any]:
    """Everything that determines a trained model, inert parameters removed."""
    train_data = {
        "dataset": experiment["data"]["train_set"],
        "compression": dataset.get("compression"),
        # where the weights lie, where and in what batches detection runs: not the model
        "detector": {
            k: v
            for k, v in preprocess["detector"].items()
            if k not in ("model_path", "device", "batch_size")
        },
        "landmarks": {k: v for k, v in preprocess["landmarks"].items() if k != "model_path"},
        # validation frames matter only to the best_val checkpoint policy
        "frames": {
            k: preprocess["frames"].get(k)
            for k in ("train", "val", "train_candidates")
            if k != "val" or experiment["train"]["checkpoint"] == "best_val"
        },
    }
    return normalise({"experiment": drop_inert(experiment), "seed": seed, "train_data": train_data})


def run_id(canonical: dict[str, Any]) -> str:
    """Short content hash of a canonical form (``sha256`` of sorted compact JSON)."""
    blob = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]
