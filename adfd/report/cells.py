"""Table cells from the prediction store: AUC, CI and paired test per row, metric, distortion.

Metrics: each test set; FF++ real vs one manipulation (Table 9 ``subsets``); ``avg`` (mean
over the table's test sets) and ``avg_wo_ffpp`` (mean without FF++), as the paper computes
them. With several seeds a cell is the mean over seeds, with their standard deviation; its
bootstrap draws are the mean over seeds of the per-seed AUC on the same resampled videos,
so the CI and the paired test describe test-set sampling noise of the printed value, and the
sd the seed noise (kept apart: sampling noise and seed noise answer different questions).
Every protocol given is applied to the same store; the first is the one the printed tables
show. Videos scored by a fallback are counted apart: unreadable (no frame decoded) and no
face (frames read, no face found).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from adfd.config.matrix import table_sets as scored_sets
from adfd.evaluate.protocol import protocol_label, protocol_params, video_scores
from adfd.evaluate.stats import draw_counts, paired_bootstrap, percentile_ci, weighted_auc

DEFAULT_STATS = {"resamples": 1000, "seed": 0, "level": 0.95, "alpha": 0.05}


def metric_members(spec: dict[str, Any]) -> dict[str, list[str]]:
    """Every metric of a table and the test sets it is computed from, in print order.

    Subsets (Table 9: FF++ real vs one method) are computed from FF++ (no member counted);
    test sets are themselves; ``extra_sets`` (columns that are not in
    the paper's averages) likewise; ``avg`` is the mean over ``test_sets`` and
    ``avg_wo_ffpp`` the mean without FF++ (paper). ``metrics`` restricts the printed ones.
    """
    sets = list(spec["test_sets"])
    members: dict[str, list[str]] = {m: [] for m in spec.get("subsets", [])}  # from FF++
    members |= {s: [s] for s in sets}
    if len(sets) > 1:
        members["avg"] = sets
        if "ffpp" in sets:
            members["avg_wo_ffpp"] = [s for s in sets if s != "ffpp"]
    members |= {s: [s] for s in spec.get("extra_sets", [])}
    if "metrics" in spec:
        groups = {"avg": sets, "avg_wo_ffpp": [s for s in sets if s != "ffpp"]}
        return {m: members.get(m) or groups.get(m, [m]) for m in spec["metrics"]}
    return members


def table_metrics(spec: dict[str, Any]) -> list[str]:
    return list(metric_members(spec))


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
        per_video = part.groupby("video_id").agg(
            last=("frame_idx", "max"), status=("status", "first")
        )
        fallback = per_video[per_video["last"] < 0]
        unreadable = fallback["status"].isin(["unreadable", "error"])
        self.videos, self.fallback_videos = len(videos), len(fallback)
        self.unreadable_videos = int(unreadable.sum())
        self.no_face_videos = len(fallback) - self.unreadable_videos

    def auc(self, units: pd.DataFrame) -> tuple[float, np.ndarray]:
        idx = self.index.reindex(units["video_id"]).to_numpy()
        if np.isnan(idx).any():
            raise ValueError("a run's store holds videos another run's store lacks")
        labels, scores = units["label"].to_numpy(), units["score"].to_numpy()
        point = weighted_auc(labels, scores, np.ones((1, len(units))))[0]
        return float(point), weighted_auc(labels, scores, self.counts[:, idx.astype(int)])


def _run_draws(store, spec, protocol, sets, members) -> tuple[dict, dict]:
    """Per metric (point, draws) for one run's store under one protocol and distortion."""
    out, counts = {}, {}
    for ds in scored_sets(spec):
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
    for metric, group in members.items():
        if metric in out:
            continue
        if group:
            out[metric] = (float(np.mean([out[s][0] for s in group])),
                           np.mean([out[s][1] for s in group], axis=0))  # fmt: skip
        else:
            n = len(next(iter(out.values()))[1])
            out[metric] = (math.nan, np.full(n, np.nan))
    return out, counts


def _row_summary(at, spec, protocol, sets, members, row) -> tuple[dict, dict]:
    """Per metric (points over seeds, seed-mean draws) of one row, and its unit counts."""
    per_seed, unit_counts = [], {}
    for rid in row["run_ids"]:
        draws, unit_counts = _run_draws(at[at["run_id"] == rid], spec, protocol, sets, members)
        per_seed.append(draws)
    summary = {
        m: (np.array([s[m][0] for s in per_seed]), np.mean([s[m][1] for s in per_seed], axis=0))
        for m in members
    }
    return summary, unit_counts


def _cell(row, metric, group, summary, unit_counts, base_summary, sets, ref, stats) -> dict:
    """One cell: our AUC (seed mean, sd), its CI, the paper's value, the paired test."""
    points, draws = summary[metric]
    ours = float(points.mean())
    lo, hi = percentile_ci(draws, stats["level"])
    test = {"delta": math.nan, "z": math.nan, "p": math.nan, "lo": math.nan, "hi": math.nan}
    if base_summary is not None:
        b_points, b_draws = base_summary[metric]
        test = paired_bootstrap(ours, float(b_points.mean()), draws, b_draws, stats["level"])
    return {
        "row": row["index"],
        "row_id": row["id"],
        "labels": " | ".join(row["labels"]),
        "metric": metric,
        "ours": ours,
        "ours_sd": float(points.std(ddof=1)) if len(points) > 1 else math.nan,
        "n_seeds": len(points),
        "ci_low": lo,
        "ci_high": hi,
        "paper": ref,
        "delta": ours - ref,
        "delta_vs_baseline": test["delta"],
        "delta_ci_low": test["lo"],
        "delta_ci_high": test["hi"],
        "z_vs_baseline": test["z"],
        "p_vs_baseline": test["p"],
        "within_noise": bool(test["p"] >= stats["alpha"]),
        "fallback_videos": sum(sets[s].fallback_videos for s in group),
        "no_face_videos": sum(sets[s].no_face_videos for s in group),
        "unreadable_videos": sum(sets[s].unreadable_videos for s in group),
        "videos": sum(sets[s].videos for s in group),
        "units": sum(unit_counts[s][0] for s in group),
        "fallback_units": sum(unit_counts[s][1] for s in group),
        "run_ids": " ".join(row["run_ids"]),
    }


def compute_cells(
    spec: dict[str, Any],
    rows: list[dict[str, Any]],
    paper: dict[int, dict[str, Any]],
    protocols: dict[str, Any] | list[dict[str, Any]],
    store: pd.DataFrame,
    stats: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Every cell of one table (long format) under each protocol; the first is primary."""
    protocols = [protocols] if isinstance(protocols, dict) else list(protocols)
    stats = {**DEFAULT_STATS, **(stats or {})}
    nested = "distortions" in spec
    base = baseline_index(spec, rows)
    members = metric_members(spec)
    boot = (f"video-level stratified, {stats['resamples']} resamples, seed {stats['seed']}, "
            "paired bootstrap test")  # fmt: skip
    records = []
    for protocol in protocols:
        common = {"primary": protocol is protocols[0], "protocol": protocol_label(protocol),
                  "protocol_params": str(protocol_params(protocol)), "bootstrap": boot,
                  "baseline_row": base if base is not None else -1}  # fmt: skip
        for dist in spec.get("distortions", ["raw"]):
            at = store[store["distortion"] == dist]
            sets = {ds: _TestSet(at[at["dataset"] == ds], stats, ds, dist)
                    for ds in scored_sets(spec)}  # fmt: skip
            summaries = {
                r["index"]: _row_summary(at, spec, protocol, sets, members, r) for r in rows
            }
            for row in rows:
                summary, unit_counts = summaries[row["index"]]
                base_summary = (
                    summaries[base][0] if base is not None and row["index"] != base else None
                )
                for metric, group in members.items():
                    ref = paper_value(paper[row["index"]], dist, metric, nested)
                    cell = _cell(row, metric, group, summary, unit_counts, base_summary, sets,
                                 ref, stats)  # fmt: skip
                    records.append({**common, **cell, "distortion": dist})
    return pd.DataFrame.from_records(records)[COLUMNS]


COLUMNS = [
    "primary", "row", "row_id", "labels", "distortion", "metric", "ours", "ours_sd", "n_seeds",
    "ci_low", "ci_high", "paper", "delta", "baseline_row", "delta_vs_baseline",
    "delta_ci_low", "delta_ci_high", "z_vs_baseline", "p_vs_baseline", "within_noise",
    "fallback_videos", "no_face_videos", "unreadable_videos", "videos", "units",
    "fallback_units", "run_ids", "protocol", "protocol_params", "bootstrap",
]  # fmt: skip
