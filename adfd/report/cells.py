"""Table cells from the prediction store: AUC per row, metric and distortion (long format).

Metrics: each test set; FF++ real vs one manipulation (Table 9 ``subsets``); ``avg`` (mean
over the table's test sets) and ``avg_wo_ffpp`` (mean without FF++), as the paper computes
them. With several seeds a cell is the mean over seeds, with their standard deviation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from adfd.evaluate.metrics import auc_percent
from adfd.evaluate.protocol import video_scores


def table_metrics(spec: dict[str, Any]) -> list[str]:
    if "metrics" in spec:
        return list(spec["metrics"])
    sets = list(spec["test_sets"])
    metrics = list(spec.get("subsets", [])) + sets
    if len(sets) > 1:
        metrics.append("avg")
        if "ffpp" in sets:
            metrics.append("avg_wo_ffpp")
    return metrics


def run_aucs(
    store: pd.DataFrame, spec: dict[str, Any], protocol: dict[str, Any]
) -> tuple[dict[str, float], dict[str, tuple[int, int]]]:
    """AUC per metric for one (run, distortion) store; fallbacks per test set."""
    aucs, fallbacks = {}, {}
    for ds in spec["test_sets"]:
        part = store[store["dataset"] == ds]
        if part.empty:
            raise ValueError(f"prediction store has no rows for test set '{ds}'")
        vids = video_scores(part, protocol)
        aucs[ds] = auc_percent(vids["label"], vids["score"])
        fallbacks[ds] = (int(vids["fallback"].sum()), len(vids))
        if ds == "ffpp":
            for subset in spec.get("subsets", []):
                sel = vids[(vids["label"] == 0) | (vids["subset"] == subset)]
                aucs[subset] = auc_percent(sel["label"], sel["score"])
    sets = list(spec["test_sets"])
    aucs["avg"] = float(np.mean([aucs[s] for s in sets]))
    others = [s for s in sets if s != "ffpp"]
    aucs["avg_wo_ffpp"] = float(np.mean([aucs[s] for s in others])) if others else math.nan
    return aucs, fallbacks


def paper_value(paper: dict[str, Any], distortion: str, metric: str, nested: bool):
    source = paper.get(distortion, {}) if nested else paper
    value = source.get(metric)
    return math.nan if value is None else float(value)


def compute_cells(
    spec: dict[str, Any],
    rows: list[dict[str, Any]],
    paper: dict[int, dict[str, Any]],
    protocol: dict[str, Any],
    store: pd.DataFrame,
) -> pd.DataFrame:
    distortions = spec.get("distortions", ["raw"])
    nested = "distortions" in spec
    records = []
    for row in rows:
        for dist in distortions:
            per_seed, falls = [], {}
            for rid in row["run_ids"]:
                part = store[(store["run_id"] == rid) & (store["distortion"] == dist)]
                aucs, fallbacks = run_aucs(part, spec, protocol)
                per_seed.append(aucs)
                for ds, (n_fb, n) in fallbacks.items():
                    prev = falls.get(ds, (0, 0))
                    falls[ds] = (prev[0] + n_fb, prev[1] + n)
            for metric in table_metrics(spec):
                values = np.array([a[metric] for a in per_seed], dtype=np.float64)
                ours = float(values.mean())
                sd = float(values.std(ddof=1)) if len(values) > 1 else math.nan
                ref = paper_value(paper[row["index"]], dist, metric, nested)
                fb = falls.get(metric, (0, 0))
                records.append(
                    {
                        "row": row["index"],
                        "row_id": row["id"],
                        "labels": " | ".join(row["labels"]),
                        "distortion": dist,
                        "metric": metric,
                        "ours": ours,
                        "ours_sd": sd,
                        "n_seeds": len(values),
                        "paper": ref,
                        "delta": ours - ref,
                        "fallback_videos": fb[0],
                        "videos": fb[1],
                        "run_ids": " ".join(row["run_ids"]),
                        "protocol": f"{protocol['name']}/v{protocol['version']}",
                    }
                )
    return pd.DataFrame.from_records(records)
