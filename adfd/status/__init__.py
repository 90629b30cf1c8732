"""``adfd status``: where a study stands, per table cell, from files only.

:func:`collect` reads ``results/``, ``results/train_state/``, ``logs/`` and Snakemake's
``.snakemake/`` markers of the working directory (never its lock, never a job), asks Slurm
(``squeue``) about jobs the markers name when ``squeue`` is there, and returns a
:class:`Status`; :mod:`adfd.status.view` prints it. Cell states, in this order:
``done`` (its AUC), ``failed``, ``interrupted``, ``evaluating``, ``training`` (epoch e/E),
``preprocessing``, ``waiting for its run`` (the run's inputs are ready, it is not done),
``pending``.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adfd.config.matrix import Matrix
from adfd.status import training as tr
from adfd.status.cells import cells_from_csv, compute, row_records, table_distortions
from adfd.status.jobs import Job, Workdir, apply_slurm, classify
from adfd.status.plan import Plan, build_plan, prediction_path, table_names, unknown_runs

CHANCE = 50.0


@dataclass
class Cell:
    state: str
    detail: str = ""
    job: Job | None = None
    values: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # metric ->


@dataclass
class Status:
    root: Path
    plan: Plan
    tables: list[str]
    cells: dict[str, dict[tuple[int, str], Cell]]
    progress: dict[str, dict[str, Any]]
    problems: list[str]
    notes: list[str]
    flags: list[str]
    unknown: dict[str, list[str]]
    computed: dict[str, Any]  # table -> cells DataFrame of what is in (when computed)
    locked: bool


def squeue_jobs() -> list[tuple[str, str, str]]:
    """(job id, state, comment) of every job squeue lists."""
    res = subprocess.run(
        ["squeue", "-h", "-o", "%i|%T|%k"], capture_output=True, text=True, timeout=10
    )
    if res.returncode != 0:
        raise RuntimeError(res.stderr.strip() or f"squeue exit status {res.returncode}")
    return [tuple(line.split("|", 2)) for line in res.stdout.splitlines() if line.count("|") >= 2]


def _train_units(plan: Plan, matrix: Matrix, rid: str) -> list[Job]:
    exp = matrix.runs[rid].experiment
    ds = exp["data"]["train_set"]
    splits = ["train", "val"] if exp["train"]["checkpoint"] == "best_val" else ["train"]
    return [j for s in splits for j in plan.units.get((ds, s, "raw"), [])]


def _test_units(plan: Plan, dist: str) -> list[Job]:
    return [
        j
        for (_, split, d), unit in plan.units.items()
        if split == "test" and d == dist
        for j in unit
    ]


def cell_state(plan: Plan, matrix: Matrix, run_ids: list[str], dist: str, progress: dict) -> Cell:
    evals = [plan.evals[(rid, dist)] for rid in run_ids]
    if all(e.state == "done" for e in evals):
        return Cell("done")
    trains = [plan.train[rid] for rid in run_ids]
    inputs = [*_test_units(plan, dist), *plan.checks.values()]
    for rid, t in zip(run_ids, trains, strict=True):
        if t.state != "done":
            inputs += _train_units(plan, matrix, rid)
    for state in ("failed", "interrupted"):
        bad = next((j for j in [*evals, *trains, *inputs] if j.state == state), None)
        if bad is not None:
            return Cell(state, f"({bad.rule} {' '.join(bad.key)}: {bad.log})", bad)
    running = next((e for e in evals if e.state == "running"), None)
    if running is not None:
        return Cell("evaluating", f"(run {running.key[0]}{_slurm(running)})", running)
    for rid, t in zip(run_ids, trains, strict=True):
        if t.state == "running":
            return Cell(
                "training", f"{epoch_text(progress.get(rid, {}))} (run {rid})" + _slurm(t), t
            )
    prep = next((j for j in inputs if j.state == "running"), None)
    if prep is not None:
        return Cell("preprocessing", f"({' '.join(prep.key)}{_slurm(prep)})", prep)
    if any(t.state != "done" for t in trains):
        ready = all(j.state == "done" for rid in run_ids for j in _train_units(plan, matrix, rid))
        left = ", ".join(r for r, t in zip(run_ids, trains, strict=True) if t.state != "done")
        if ready:
            return Cell("waiting for its run", f"(run {left}{_slurm_of(trains)})")
        return Cell("pending", f"(run {left}: its training data is not preprocessed yet)")
    return Cell("pending", "(run done, evaluation not started" + _slurm_of(evals) + ")")


def _slurm_of(jobs: list[Job]) -> str:
    return next((_slurm(j).replace(" (", ", ").rstrip(")") for j in jobs if j.slurm_state), "")


def epoch_text(p: dict) -> str:
    """``epoch e/E`` of a training run: the epoch in progress, or the outputs being written."""
    if not p.get("epochs"):
        return "epoch 1 (no epoch finished yet)"
    if p["epochs_done"] >= p["epochs"]:
        return f"epoch {p['epochs']}/{p['epochs']} done, writing its outputs"
    return f"epoch {p['epochs_done'] + 1}/{p['epochs']}"


def _slurm(job: Job) -> str:
    if job.slurm_state and job.slurm_state != "RUNNING":
        return f" (Slurm {job.slurm_state.lower()})"
    return ""


def collect(
    config: dict[str, Any],
    matrix: Matrix,
    root: Path,
    targets: list[str],
    slurm: bool = True,
    compute_cells: bool = True,
) -> Status:
    root = Path(root)
    tables = table_names(config, targets or ["all_tables"])
    plan = build_plan(config, matrix, tables)
    wd = Workdir(root)
    jobs = plan.all_jobs()
    for job in jobs:
        classify(job, wd)
    notes = []
    marked = any(j.state in ("running", "interrupted") for j in jobs)
    if slurm and marked and (shutil.which("squeue") or any(j.external_id for j in jobs)):
        if shutil.which("squeue"):
            notes.append(apply_slurm(jobs, wd, squeue_jobs))
        else:
            notes.append(
                "Slurm: job ids in .snakemake/incomplete but no squeue here; states from files"
            )
    problems = list(wd.problems)
    progress, flags, stuck = {}, [], []
    for rid, job in plan.train.items():
        batch = matrix.runs[rid].experiment["train"]["batch_real"]
        if job.state == "pending" and not (root / job.log).exists():
            continue
        log = tr.read_log(root, rid, batch)
        problems += log.problems
        info = {
            "epochs_done": log.epochs_done,
            "epochs": log.epochs or matrix.runs[rid].experiment["train"]["epochs"],
            "step_seconds": log.step_seconds,
            "resumed": log.resumed,
            "state_file": log.state_file,
            "training": job.state == "running",
        }
        losses = log.losses
        if job.state == "done":
            summary, why = tr.read_summary(root, rid)
            if why:
                problems.append(why)
            if summary is not None:
                losses = tr.summary_losses(summary) or losses
                info["step_seconds"] = summary.get("step_seconds") or info["step_seconds"]
                info["epochs"] = summary.get("epochs") or info["epochs"]
            if tr.loss_stuck(losses):
                stuck.append((rid, min(losses), len(losses)))
        progress[rid] = info
    if stuck:
        worst = ", ".join(f"{rid} (min {low:.4f}, {n} epochs)" for rid, low, n in stuck[:6])
        more = f" and {len(stuck) - 6} more" if len(stuck) > 6 else ""
        flags.append(
            f"{len(stuck)} finished run(s) whose training loss never fell "
            f"{tr.LN2_MARGIN} below ln 2 = {tr.LN2:.4f}: {worst}{more}: check the "
            "recipe before spending more"
        )
    cells, computed = {}, {}
    for table in tables:
        grid = {}
        for r in matrix.table_rows(table):
            for dist in table_distortions(matrix.tables[table]):
                grid[(r.index, dist)] = cell_state(plan, matrix, r.run_ids, dist, progress)
        cells[table] = grid
        done = {k for k, c in grid.items() if c.state == "done"}
        if done and compute_cells:
            _values(config, matrix, table, done, root, grid, computed, problems, plan)
        for (row, dist), c in grid.items():
            chance = [m for m, (_, lo, hi) in c.values.items() if lo <= CHANCE <= hi]
            if chance:
                where = "" if dist == "raw" else f" {dist}"
                flags.append(
                    f"{table} row {row}{where}: AUC CI contains chance (50) in "
                    f"{len(chance)} of {len(c.values)} cells ({', '.join(chance)})"
                )
    unknown = unknown_runs(root, matrix, config.get("external_checkpoints") or {})
    return Status(
        root, plan, tables, cells, progress, problems, notes, flags, unknown, computed, wd.locked
    )


def _values(config, matrix, table, done, root, grid, computed, problems, plan) -> None:
    """AUC [CI] per metric of the finished cells: the table's CSV when it is newer than
    every store, else computed by the report's code (adfd.status.cells.compute)."""
    from adfd.report.cells import table_metrics

    stores = [
        prediction_path(rid, ds, dist)
        for rid, ds, dist in matrix.table_evals(table)
        if (rid, dist) in plan.evals and plan.evals[(rid, dist)].state == "done"
    ]
    values = cells_from_csv(root, table, stores) if plan.reports[table].state == "done" else None
    if values is None:
        try:
            frame = compute(config, matrix, table, done, root)
        except Exception as err:
            problems.append(
                f"{table}: finished cells could not be computed from the "
                f"prediction store ({type(err).__name__}: {err})"
            )
            return
        computed[table] = frame
        values = (
            {}
            if frame is None
            else {
                (int(r.row), r.distortion, r.metric): (r.ours, r.ci_low, r.ci_high)
                for r in frame.itertuples()
            }
        )
    metrics = table_metrics(matrix.tables[table])
    for row, dist in done:
        grid[(row, dist)].values = {
            m: values[(row, dist, m)] for m in metrics if (row, dist, m) in values
        }


__all__ = ["Status", "collect", "row_records"]
