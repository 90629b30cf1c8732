"""Finished table cells, computed by the report's own code from the prediction store.

A (row, distortion) is in when every seed's store of it exists (``evaluate_run`` writes all
test sets of a run and distortion at once). Its cells come from
``adfd.report.cells.compute_cells`` on the stores of the rows that are in, with the table's
baseline row among them, so the AUC, CI and the paired test (the noise mark) are those of
the final table: bootstrap draws depend only on the test set's videos, which every run's
store shares. A row whose baseline row is not in yet is computed alone; its noise mark is
not decided and the partial table says so (``NOISE_PENDING``).
"""

from __future__ import annotations

import copy
import csv
import os
from pathlib import Path
from typing import Any

from adfd.config.matrix import Matrix, table_sets
from adfd.status.plan import prediction_path

NOISE_PENDING = "‡"  # appended to a finished cell whose † waits for the baseline row
MISSING = "…"


def table_distortions(spec: dict[str, Any]) -> list[str]:
    return list(spec.get("distortions", ["raw"]))


def row_records(matrix: Matrix, table: str) -> list[dict[str, Any]]:
    return [
        {"index": r.index, "id": r.id, "labels": r.labels, "run_ids": r.run_ids}
        for r in matrix.table_rows(table)
    ]


def cells_from_csv(root: Path, table: str, stores: list[str]) -> dict | None:
    """``{(row, distortion, metric): (ours, ci_low, ci_high)}`` from the written table CSV
    when it is newer than every store it needs (the same numbers, without recomputing)."""
    path = root / f"results/tables/{table}.csv"
    try:
        mtime = path.stat().st_mtime
        if any(os.stat(root / s).st_mtime > mtime for s in stores):
            return None
        out = {}
        with open(path, newline="") as fh:
            for rec in csv.DictReader(fh):
                if rec.get("primary", "True") != "True":
                    continue
                out[(int(rec["row"]), rec["distortion"], rec["metric"])] = tuple(
                    float(rec[k]) for k in ("ours", "ci_low", "ci_high")
                )
        return out
    except (OSError, KeyError, ValueError, TypeError):
        return None  # absent, half written or from other code: recompute


def compute(
    config: dict[str, Any], matrix: Matrix, table: str, done: set[tuple[int, str]], root: Path
):
    """Primary-protocol cells (DataFrame, long format, with provenance and a
    ``noise_pending`` column) of the (row, distortion) pairs in ``done``; None if none."""
    import pandas as pd

    from adfd.evaluate.protocol import resolve_protocol
    from adfd.evaluate.store import read_meta, read_stores
    from adfd.report.cells import baseline_index, compute_cells
    from adfd.report.tables import add_provenance, run_provenance

    spec = matrix.tables[table]
    rows = row_records(matrix, table)
    base = baseline_index(spec, rows)
    base_id = next((r["id"] for r in rows if r["index"] == base), None)
    paper = {i: r.get("paper", {}) for i, r in enumerate(spec["rows"], start=1)}
    protocol = resolve_protocol(config["evaluation"])
    stats = config["evaluation"]["statistics"]
    parts, metas = [], {}
    for dist in table_distortions(spec):
        ready = [r for r in rows if (r["index"], dist) in done]
        if not ready:
            continue
        sub = copy.deepcopy(spec)
        if "distortions" in spec:
            sub["distortions"] = [dist]
        if base is None or (base, dist) in done:
            if base_id is not None:
                sub["baseline_row"] = base_id
            groups, pending = [ready], False
        else:
            sub.pop("baseline_row", None)
            groups, pending = [[r] for r in ready], True
        for group in groups:
            paths = [
                root / prediction_path(rid, ds, dist)
                for r in group
                for rid in r["run_ids"]
                for ds in table_sets(spec)
            ]
            for p in paths:
                metas.setdefault(p.parent.parent.name, read_meta(p))
            cells = compute_cells(sub, group, paper, [protocol], read_stores(paths), stats)
            cells["noise_pending"] = pending & (cells["row"] != base)
            parts.append(cells)
    if not parts:
        return None
    cells = pd.concat(parts, ignore_index=True)
    prov = {}
    for r in rows:
        for rid in r["run_ids"]:
            train = root / f"results/train/{rid}"
            prov[rid] = run_provenance(
                rid, train / "train_summary.json", train / "config.yaml", metas.get(rid, {})
            )
    cells = add_provenance(cells, prov)
    cells.insert(0, "table", table)
    return cells


def placeholders(matrix: Matrix, table: str, done: set[tuple[int, str]]):
    """Long-format records of the cells not in yet (NaN values), for the table's layout."""
    import math

    from adfd.report.cells import table_metrics

    spec = matrix.tables[table]
    recs = []
    for r in row_records(matrix, table):
        for dist in table_distortions(spec):
            if (r["index"], dist) in done:
                continue
            for metric in table_metrics(spec):
                recs.append(
                    {
                        "table": table,
                        "primary": True,
                        "row": r["index"],
                        "row_id": r["id"],
                        "labels": " | ".join(r["labels"]),
                        "distortion": dist,
                        "metric": metric,
                        "ours": math.nan,
                        "ours_sd": math.nan,
                        "ci_low": math.nan,
                        "ci_high": math.nan,
                        "paper": math.nan,
                        "delta": math.nan,
                        "within_noise": False,
                        "run_ids": " ".join(r["run_ids"]),
                        "pending": True,
                    }
                )
    return recs
