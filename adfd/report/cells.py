"""Table cells from the prediction store: AUC, CI and paired test per row, metric, distortion.

Metrics: each test set; FF++ real vs one manipulation (Table 9 ``subsets``); ``avg`` (mean
over the table's test sets) and ``avg_wo_ffpp`` (mean without FF++), as the paper computes
them. With several seeds a cell is the mean over seeds, with their standard deviation; its
bootstrap draws are the mean over seeds of the per-seed AUC on the same resampled videos,
so the CI and the paired test describe test-set sampling noise of the printed value, and the
sd the seed noise (kept apart: they answer different questions). Every protocol given is
applied to the same store; the first is the one the printed tables show.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from adfd.evaluate.protocol import protocol_label, protocol_params, video_scores
from adfd.evaluate.stats import draw_counts, paired_bootstrap, percentile_ci, weighted_auc

DEFAULT_STATS = {"resamples": 1000, "seed": 0, "level": 0.95, "alpha": 0.05}


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


def paper_value(paper: dict[str, Any], distortion: str, metric: str, nested: bool):
    source = paper.get(distortion, {}) if nested else paper
    value = source.get(metric)
    return math.nan if value is None else float(value)


def baseline_index(spec: dict[str, Any], rows: list[dict[str, Any]]) -> int | None:
    """Row index of the table's baseline row (``baseline_row: <id>``; default row 1)."""
    wanted = spec.get("baseline_row")
    if wanted is None:
        return rows[0]["index"] if len(rows) > 1 else None
    for row in rows:
        if row["id"] == wanted:
            return row["index"]
    raise ValueError(f"baseline_row '{wanted}' is not a row id: {[r['id'] for r in rows]}")


class _TestSet:
    """The videos of one (test set, distortion) and their bootstrap draws."""

    def __init__(self, part: pd.DataFrame, stats: dict[str, Any], dataset: str, dist: str):
        videos = part.groupby("video_id", sort=True)["label"].first()
        self.index = pd.Series(np.arange(len(videos)), index=videos.index)
        self.counts = draw_counts(videos.to_numpy(), stats["resamples"], stats["seed"],
                                  dataset, dist)  # fmt: skip
        no_face = part.groupby("video_id")["frame_idx"].max() < 0
        self.videos, self.fallback_videos = len(videos), int(no_face.sum())

    def auc(self, units: pd.DataFrame) -> tuple[float, np.ndarray]:
        idx = self.index.reindex(units["video_id"]).to_numpy()
        if np.isnan(idx).any():
            raise ValueError("a run's store holds videos another run's store lacks")
        labels, scores = units["label"].to_numpy(), units["score"].to_numpy()
        point = weighted_auc(labels, scores, np.ones((1, len(units))))[0]
        return float(point), weighted_auc(labels, scores, self.counts[:, idx.astype(int)])


def _run_draws(store, spec, protocol, dist, sets) -> tuple[dict, dict]:
    """Per metric (point, draws) for one run's store under one protocol and distortion."""
    out, counts = {}, {}
    for ds in spec["test_sets"]:
        part = store[store["dataset"] == ds]
        if part.empty:
            raise ValueError(f"prediction store has no rows for test set '{ds}'")
        units = video_scores(part, protocol)
        out[ds] = sets[ds].auc(units)
        counts[ds] = (len(units), int(units["fallback"].sum()))
        if ds == "ffpp":
            for subset in spec.get("subsets", []):
                sel = units[(units["label"] == 0) | (units["subset"] == subset)]
                out[subset] = sets[ds].auc(sel)
    names = list(spec["test_sets"])
    groups = {"avg": names, "avg_wo_ffpp": [s for s in names if s != "ffpp"]}
    for metric, members in groups.items():
        if members:
            out[metric] = (float(np.mean([out[s][0] for s in members])),
                           np.mean([out[s][1] for s in members], axis=0))  # fmt: skip
        else:
            out[metric] = (math.nan, np.full(len(out[names[0]][1]), np.nan))
    return out, counts


def compute_cells(
    spec: dict[str, Any],
    rows: list[dict[str, Any]],
    paper: dict[int, dict[str, Any]],
    protocols: dict[str, Any] | list[dict[str, Any]],
    store: pd.DataFrame,
    stats: dict[str, Any] | None = None,
) -> pd.DataFrame:
    protocols = [protocols] if isinstance(protocols, dict) else list(protocols)
    stats = {**DEFAULT_STATS, **(stats or {})}
    distortions = spec.get("distortions", ["raw"])
    nested = "distortions" in spec
    base = baseline_index(spec, rows)
    metrics = table_metrics(spec)
    records = []
    for protocol in protocols:
        label = protocol_label(protocol)
        for dist in distortions:
            at = store[store["distortion"] == dist]
            sets = {
                ds: _TestSet(at[at["dataset"] == ds], stats, ds, dist) for ds in spec["test_sets"]
            }
            results = {}
            for row in rows:
                per_seed, unit_counts = [], {}
                for rid in row["run_ids"]:
                    draws, unit_counts = _run_draws(at[at["run_id"] == rid], spec, protocol, dist,
                                                    sets)  # fmt: skip
                    per_seed.append(draws)
                results[row["index"]] = (per_seed, unit_counts)
            summary = {
                idx: {
                    m: (
                        np.array([s[m][0] for s in per_seed]),
                        np.mean([s[m][1] for s in per_seed], axis=0),
                    )
                    for m in metrics
                }
                for idx, (per_seed, _) in results.items()
            }
            for row in rows:
                unit_counts = results[row["index"]][1]
                for metric in metrics:
                    points, draws = summary[row["index"]][metric]
                    ours = float(points.mean())
                    lo, hi = percentile_ci(draws, stats["level"])
                    ref = paper_value(paper[row["index"]], dist, metric, nested)
                    members = {"avg": list(spec["test_sets"]),
                               "avg_wo_ffpp": [s for s in spec["test_sets"] if s != "ffpp"]
                               }.get(metric, [metric] if metric in sets else [])  # fmt: skip
                    test = {"delta": math.nan, "z": math.nan, "p": math.nan,
                            "lo": math.nan, "hi": math.nan}  # fmt: skip
                    if base is not None and row["index"] != base:
                        b_points, b_draws = summary[base][metric]
                        test = paired_bootstrap(ours, float(b_points.mean()), draws, b_draws,
                                                stats["level"])  # fmt: skip
                    records.append(
                        {
                            "table_protocol": label,
                            "primary": protocol is protocols[0],
                            "row": row["index"],
                            "row_id": row["id"],
                            "labels": " | ".join(row["labels"]),
                            "distortion": dist,
                            "metric": metric,
                            "ours": ours,
                            "ours_sd": float(points.std(ddof=1)) if len(points) > 1 else math.nan,
                            "n_seeds": len(points),
                            "ci_low": lo,
                            "ci_high": hi,
                            "paper": ref,
                            "delta": ours - ref,
                            "baseline_row": base if base is not None else -1,
                            "delta_vs_baseline": test["delta"],
                            "delta_ci_low": test["lo"],
                            "delta_ci_high": test["hi"],
                            "z_vs_baseline": test["z"],
                            "p_vs_baseline": test["p"],
                            "within_noise": bool(test["p"] >= stats["alpha"]),
                            "fallback_videos": sum(sets[s].fallback_videos for s in members),
                            "videos": sum(sets[s].videos for s in members),
                            "units": sum(unit_counts[s][0] for s in members),
                            "fallback_units": sum(unit_counts[s][1] for s in members),
                            "run_ids": " ".join(row["run_ids"]),
                            "protocol": label,
                            "protocol_params": str(protocol_params(protocol)),
                            "bootstrap": f"video-level stratified, {stats['resamples']} "
                            f"resamples, seed {stats['seed']}, paired bootstrap test",
                        }
                    )
    cells = pd.DataFrame.from_records(records)
    return cells.drop(columns=["table_protocol"])
