"""Text of ``adfd status``: stage counts, runs training, failures, ETA, one grid per table."""

from __future__ import annotations

import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

from adfd.config.matrix import Matrix
from adfd.status import Status, epoch_text
from adfd.status import eta as eta_mod

STATES = ("done", "running", "failed", "interrupted", "pending")
SHORT = {
    "evaluating": "eval",
    "training": "train",
    "preprocessing": "prep",
    "waiting for its run": "wait",
    "pending": "pend",
    "failed": "FAIL",
    "interrupted": "intr",
}


def _counts(jobs) -> str:
    c = Counter(j.state for j in jobs)
    parts = [f"{c[s]} {s}" for s in STATES if c[s] or s in ("done", "running", "failed", "pending")]
    return f"{len(jobs):>4}: " + ", ".join(parts)


def stage_lines(st: Status) -> list[str]:
    plan = st.plan
    units = []
    for shards in plan.units.values():  # a unit's state: its shards'
        states = {j.state for j in shards}
        units.append(
            type(
                "U",
                (),
                {
                    "state": next(
                        (s for s in ("failed", "interrupted", "running", "pending") if s in states),
                        "done",
                    )
                },
            )
        )
    return [
        f"dataset checks    {_counts(list(plan.checks.values()))}",
        f"preprocess units  {_counts(units)}",
        f"training runs     {_counts(list(plan.train.values()))}",
        f"evaluations       {_counts(list(plan.evals.values()))}",
        f"tables            {_counts(list(plan.reports.values()))}",
    ]


def training_lines(st: Status, matrix: Matrix) -> list[str]:
    out = []
    for rid, job in st.plan.train.items():
        if job.state != "running":
            continue
        p = st.progress.get(rid, {})
        epoch = epoch_text(p)
        step = f", {p['step_seconds']:.3f} s/step" if p.get("step_seconds") else ""
        extra = [
            x for x in (p.get("resumed"), p.get("state_file") and f"state {p['state_file']}") if x
        ]
        slurm = f", Slurm job {job.external_id} {job.slurm_state or '?'}" if job.external_id else ""
        rows = ", ".join(matrix.runs[rid].rows)
        out.append(
            f"  {rid} ({rows}): {epoch}{step}{slurm}; log {job.log}"
            + (f"; {'; '.join(extra)}" if extra else "")
        )
    return out


def failure_lines(st: Status) -> list[str]:
    out = []
    for job in st.plan.all_jobs():
        if job.state == "failed":
            where = " ".join(str(k) for k in job.key)
            out.append(f"  {job.rule} {where}: log {job.log}: {job.error}")
            out += [f"    Slurm log {p}" for p in job.slurm_logs]
        elif job.state == "interrupted":
            where = " ".join(str(k) for k in job.key)
            out.append(
                f"  {job.rule} {where}: interrupted (marked incomplete, no controller "
                f"and no Slurm job): the rerun redoes it; log {job.log}"
            )
    return out


def _hours(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def eta_lines(
    st: Status, config: dict[str, Any], matrix: Matrix, profile: Path | None, gpus: int | None
) -> list[str]:
    n, src = (gpus, "--gpus") if gpus else eta_mod.profile_gpus(profile)
    done = {r for r, j in st.plan.train.items() if j.state == "done"}
    runs = list(st.plan.train)
    per_run = eta_mod.run_plan(config, matrix, runs, st.progress, done, st.root)
    left_evals = [k for k, j in st.plan.evals.items() if j.state != "done"]
    e_secs, e_src = eta_mod.eval_seconds(st.root, config, len(left_evals))
    evals = {}
    for rid, dist in left_evals:
        running = st.plan.evals[(rid, dist)].state == "running"
        evals[(rid, dist)] = (rid, e_secs / 2 if running else e_secs)
    finish = eta_mod.schedule(n, {r: s for r, (s, _) in per_run.items()}, evals, runs)
    train_left = sum(s for s, _ in per_run.values())
    lines = [
        f"ETA on {n} GPU job(s) at once ({src}); preprocessing and queue waits not "
        "included; jobs laid out in table order"
    ]
    sources = Counter(src for s, src in per_run.values() if src != "done")
    lines.append(f"  training: {len(runs) - len(done)} run(s) left, {_hours(train_left)} GPU time")
    lines += [f"    {k} run(s): {s}" for s, k in sources.items()]
    lines.append(
        f"  evaluation: {len(left_evals)} job(s) left at {e_secs:.0f} s each "
        f"({_hours(e_secs * len(left_evals))}): {e_src}"
    )
    now = time.time()
    end_all = 0.0
    for table in st.tables:
        keys = [
            ("eval", rid, dist)
            for rid, _ds, dist in matrix.table_evals(table)
            if (rid, dist) in evals
        ]
        end = max((finish.get(k, 0.0) for k in keys), default=0.0)
        end_all = max(end_all, end)
        when = (
            "in"
            if not keys
            else f"{_hours(end)} ({time.strftime('%a %H:%M', time.localtime(now + end))})"
        )
        lines.append(f"  {table:12} {when}")
    lines.append(
        f"  {'study':12} {_hours(end_all)} "
        f"({time.strftime('%a %d %b %H:%M', time.localtime(now + end_all))})"
    )
    return lines


def cell_text(cell, metric: str) -> str:
    if cell.state == "done":
        v = cell.values.get(metric)
        if v is None:
            return "done"
        ours, lo, hi = v
        if math.isnan(ours):
            return "n/a"
        return f"{ours:.2f}" + ("!" if lo <= 50 <= hi else "")
    return SHORT.get(cell.state, cell.state)


def table_lines(st: Status, matrix: Matrix, table: str) -> list[str]:
    from adfd.report.cells import table_metrics
    from adfd.report.grid import _name

    spec = matrix.tables[table]
    grid = st.cells[table]
    metrics = table_metrics(spec)
    n_done = sum(c.state == "done" for c in grid.values())
    lines = [f"{table}: {n_done}/{len(grid)} (row, distortion) in"]
    width = max(8, *(len(_name(m)) + 1 for m in metrics))
    idw = max(len(r.id) for r in matrix.table_rows(table))
    lines.append(
        f"  {'row':>3} {'id':{idw}} {'dist':9}" + "".join(f"{_name(m):>{width}}" for m in metrics)
    )
    for (row, dist), cell in grid.items():
        rid = matrix.table_rows(table)[row - 1].id
        head = f"  {row:>3} {rid:{idw}} {dist:9}"
        if cell.state == "done":
            lines.append(head + "".join(f"{cell_text(cell, m):>{width}}" for m in metrics))
        else:
            detail = f" {cell.detail}" if cell.detail else ""
            lines.append(f"{head}  {cell.state}{detail}")
    return lines


def render(
    st: Status,
    config: dict[str, Any],
    matrix: Matrix,
    *,
    profile: Path | None = None,
    gpus: int | None = None,
    grids: bool = True,
    seconds: float | None = None,
) -> str:
    lines = [f"adfd status: {', '.join(st.tables)} in {st.root.resolve()}"]
    lines.append(
        "Snakemake: a controller holds the lock (running)"
        if st.locked
        else "Snakemake: no controller holds the lock"
    )
    lines += st.notes
    lines += stage_lines(st)
    train = training_lines(st, matrix)
    if train:
        lines += ["training now:", *train]
    fails = failure_lines(st)
    if fails:
        lines += ["failed:", *fails]
    if st.flags:
        lines += ["sanity:", *(f"  {f}" for f in st.flags)]
    if st.problems:
        lines += ["unreadable files (reported, skipped):", *(f"  {p}" for p in st.problems)]
    if st.unknown:
        lines.append("results from another config? run ids the plan does not know:")
        lines += [f"  {rid}: {', '.join(where)}" for rid, where in sorted(st.unknown.items())]
    lines += eta_lines(st, config, matrix, profile, gpus)
    if grids:
        lines.append("cells: AUC % where done (! = CI contains 50), else the cell's state")
        for table in st.tables:
            lines += table_lines(st, matrix, table)
    if seconds is not None:
        lines.append(f"(read in {seconds:.2f} s)")
    return "\n".join(lines) + "\n"
