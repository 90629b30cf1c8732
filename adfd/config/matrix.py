"""The experiment matrix: every table row -> resolved config -> run id(s) -> jobs.

``build_matrix(config)`` is called once when the Snakemake DAG is built (and by
``adfd plan``). It resolves and validates every row, dedupes identical training runs by their
canonical run id, and lists the evaluation jobs (run x test set x distortion).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adfd.config.canonical import canonical_form, run_id
from adfd.config.resolve import resolve_row
from adfd.config.schema import ConfigError
from adfd.errors import NotFoundError


@dataclass
class Row:
    table: str
    index: int  # 1-based, as printed in the paper
    id: str
    labels: list[str]
    resolved: dict[str, Any]
    run_ids: list[str]  # one per seed, in config order
    paper: dict[str, Any]


@dataclass
class Run:
    run_id: str
    seed: int
    experiment: dict[str, Any]  # resolved (not canonical) config used to train
    canonical: dict[str, Any]
    rows: list[str] = field(default_factory=list)  # "table3[4]" style references


@dataclass
class Matrix:
    rows: list[Row]
    runs: dict[str, Run]
    evals: list[tuple[str, str, str]]  # (run_id, dataset, distortion), sorted, unique
    tables: dict[str, dict[str, Any]]

    def table_rows(self, table: str) -> list[Row]:
        return [r for r in self.rows if r.table == table]

    def table_evals(self, table: str) -> list[tuple[str, str, str]]:
        spec = self.tables[table]
        out = {
            (rid, ds, dist)
            for row in self.table_rows(table)
            for rid in row.run_ids
            for ds in table_sets(spec)
            for dist in spec.get("distortions", ["raw"])
        }
        return sorted(out)

    def row(self, table: str, index: int) -> Row:
        if table not in self.tables:
            raise NotFoundError(f"unknown table '{table}'; known: {', '.join(self.tables)}")
        rows = self.table_rows(table)
        if not 1 <= index <= len(rows):
            raise NotFoundError(f"{table} has rows 1..{len(rows)}, not {index}")
        return rows[index - 1]

    def preprocess_units(self) -> list[tuple[str, str, str]]:
        """(dataset, split, distortion) units to preprocess, training units first."""
        train_sets = sorted({r.experiment["data"]["train_set"] for r in self.runs.values()})
        units = [(ds, split, "raw") for ds in train_sets for split in ("train", "val")]
        units += sorted({(ds, "test", dist) for _, ds, dist in self.evals})
        return units


def table_sets(spec: dict[str, Any]) -> list[str]:
    """Test sets a table scores: ``test_sets`` (in its averages), then ``extra_sets``."""
    return list(dict.fromkeys([*spec["test_sets"], *spec.get("extra_sets", [])]))


def check_dataset_names(config: dict[str, Any]) -> None:
    """Every dataset a table, a released checkpoint or ``preprocess.shards`` names is configured."""
    known = set(config["datasets"])
    named = [
        (f"tables.{t}.{key}", ds)
        for t, spec in config["tables"].items()
        for key in ("test_sets", "extra_sets")
        for ds in spec.get(key, [])
    ]
    named += [(f"external_checkpoints.{n}.test_sets", ds)
              for n, spec in (config.get("external_checkpoints") or {}).items()
              for ds in spec.get("test_sets", [])]  # fmt: skip
    named += [("preprocess.shards", ds) for ds in config["preprocess"]["shards"]]
    for where, ds in named:
        if ds not in known:
            raise ConfigError(
                f"config error at {where}: unknown dataset '{ds}'; configured datasets: "
                f"{', '.join(config['datasets'])}"
            )


def build_matrix(config: dict[str, Any]) -> Matrix:
    check_dataset_names(config)
    baseline = config["baseline"]
    seeds = [int(s) for s in config["seeds"]]
    rows: list[Row] = []
    runs: dict[str, Run] = {}
    for table, spec in config["tables"].items():
        for dist in spec.get("distortions", []):
            if dist not in config["evaluation"]["distortions"]:
                raise ConfigError(
                    f"config error at tables.{table}.distortions: unknown distortion '{dist}'; "
                    f"defined: {', '.join(config['evaluation']['distortions'])}"
                )
        for index, row_spec in enumerate(spec["rows"], start=1):
            where = f"tables.{table}.rows[{index}]({row_spec['id']})"
            resolved = resolve_row(baseline, row_spec.get("override"), where)
            train_set = resolved["data"]["train_set"]
            ids = []
            for seed in seeds:
                canon = canonical_form(
                    resolved,
                    seed=seed,
                    preprocess=config["preprocess"],
                    dataset=config["datasets"][train_set],
                )
                rid = run_id(canon)
                run = runs.setdefault(rid, Run(rid, seed, resolved, canon))
                run.rows.append(f"{table}[{index}]")
                ids.append(rid)
            rows.append(
                Row(
                    table=table,
                    index=index,
                    id=row_spec["id"],
                    labels=[str(x) for x in row_spec.get("labels", [])],
                    resolved=resolved,
                    run_ids=ids,
                    paper=row_spec.get("paper", {}),
                )
            )
    for table, spec in config["tables"].items():
        ids = [r["id"] for r in spec["rows"]]
        if spec.get("baseline_row") is not None and spec["baseline_row"] not in ids:
            raise ConfigError(
                f"config error at tables.{table}.baseline_row: '{spec['baseline_row']}' is not "
                f"a row id of {table} ({', '.join(ids)})"
            )
    evals = sorted(
        {
            (rid, ds, dist)
            for row in rows
            for rid in row.run_ids
            for ds in table_sets(config["tables"][row.table])
            for dist in config["tables"][row.table].get("distortions", ["raw"])
        }
    )
    return Matrix(rows=rows, runs=runs, evals=evals, tables=config["tables"])
