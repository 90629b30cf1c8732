"""Every job a set of tables needs, with the paths the rules give its outputs and log.

The paths are those of ``workflow/rules/{data,train,evaluate,report}.smk`` (and
``common.smk``'s ``shard_dirs``); ``tests/status`` checks them against a real demo run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adfd.config.matrix import Matrix, table_sets
from adfd.status.jobs import Job

FIGURES = ("fig4", "fig5", "fig6", "fig7")


def shard_dirs(config: dict[str, Any], dataset: str, split: str, dist: str) -> list[str]:
    n = config["preprocess"]["shards"].get(dataset, 1)
    return [f"results/preprocess/{dataset}/{split}/{dist}/shard-{i:03d}" for i in range(n)]


def prediction_path(run: str, dataset: str, dist: str) -> str:
    return f"results/predictions/{run}/{dataset}/{dist}.parquet"


@dataclass
class Plan:
    """Jobs of the asked tables, keyed by rule and wildcards."""

    tables: list[str]
    units: dict[tuple, list[Job]] = field(default_factory=dict)  # (ds, split, dist) -> shards
    checks: dict[str, Job] = field(default_factory=dict)
    train: dict[str, Job] = field(default_factory=dict)
    evals: dict[tuple, Job] = field(default_factory=dict)  # (run, dist)
    reports: dict[str, Job] = field(default_factory=dict)

    def all_jobs(self) -> list[Job]:
        shards = [j for unit in self.units.values() for j in unit]
        return [
            *self.checks.values(),
            *shards,
            *self.train.values(),
            *self.evals.values(),
            *self.reports.values(),
        ]


def table_names(config: dict[str, Any], targets: list[str]) -> list[str]:
    """Tables behind the targets: ``all_tables`` is every table (fig5 is a table too)."""
    out: list[str] = []
    for target in targets:
        if target == "all_tables":
            out += list(config["tables"])
        elif target in config["tables"]:
            out.append(target)
        else:
            from adfd.errors import NotFoundError

            known = ", ".join(["all_tables", *config["tables"]])
            raise NotFoundError(f"unknown target '{target}'; status knows: {known}")
    return list(dict.fromkeys(out))


def build_plan(config: dict[str, Any], matrix: Matrix, tables: list[str]) -> Plan:
    plan = Plan(tables)
    datasets = list(config["datasets"])
    runs = {rid: None for t in tables for row in matrix.table_rows(t) for rid in row.run_ids}
    evals = sorted({e[::2] for t in tables for e in matrix.table_evals(t)})
    used = {ds for t in tables for ds in table_sets(config["tables"][t])}
    train_sets = {matrix.runs[r].experiment["data"]["train_set"] for r in runs}
    for ds in sorted(used | train_sets | set(datasets if evals else [])):
        plan.checks[ds] = Job(
            "check_dataset", (ds,), [f"results/datasets/{ds}.json"], f"logs/datasets/{ds}.log"
        )
    units = [(ds, "train", "raw") for ds in sorted(train_sets)]
    units += sorted(
        {
            (matrix.runs[r].experiment["data"]["train_set"], "val", "raw")
            for r in runs
            if matrix.runs[r].experiment["train"]["checkpoint"] == "best_val"
        }
    )
    units += sorted({(ds, "test", dist) for _, dist in evals for ds in datasets})
    for ds, split, dist in units:
        plan.units[(ds, split, dist)] = [
            Job(
                "preprocess_shard",
                (ds, split, dist, d.rsplit("-", 1)[1]),
                [d],
                f"logs/preprocess/{ds}/{split}/{dist}/{os.path.basename(d)}.log",
            )
            for d in shard_dirs(config, ds, split, dist)
        ]
    for rid in runs:
        out = [
            f"results/train/{rid}/{n}" for n in ("model.pt", "train_summary.json", "config.yaml")
        ]
        plan.train[rid] = Job("train_detector", (rid,), out, f"logs/train/{rid}.log")
    for rid, dist in evals:
        out = [prediction_path(rid, ds, dist) for ds in datasets]
        plan.evals[(rid, dist)] = Job(
            "evaluate_run", (rid, dist), out, f"logs/evaluate/{rid}/{dist}.log"
        )
    for table in tables:
        out = [f"results/tables/{table}.{ext}" for ext in ("csv", "md", "tex", "html")]
        plan.reports[table] = Job("make_table", (table,), out, f"logs/report/{table}.log")
    return plan


def unknown_runs(root: Path, matrix: Matrix, external: dict[str, Any]) -> dict[str, list[str]]:
    """Run ids under results/ and logs/ that the plan does not know, with where they are."""
    known = set(matrix.runs) | set(external or {})
    found: dict[str, list[str]] = {}
    for where in (
        "results/train",
        "results/train_state",
        "results/predictions",
        "logs/evaluate",
        "logs/train",
    ):
        folder = root / where
        if not folder.is_dir():
            continue
        for entry in os.scandir(folder):
            name = entry.name.removesuffix(".log")
            if name not in known and not name.startswith("."):
                found.setdefault(name, []).append(where)
    return found
