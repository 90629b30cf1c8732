"""Evaluation cost: faces per second measured by finished evaluate jobs of the same setup (see
:mod:`adfd.estimate`)."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import pandas as pd

from adfd.evaluate.store import read_meta


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
