"""The state of every job of the DAG, read from files only.

A job's outputs are the paths of ``workflow/rules/*.smk`` (``results/...``), its log the
rule's ``log:`` (``logs/...``). Snakemake marks the outputs of a job it started in
``.snakemake/incomplete/<urlsafe base64 of the path>`` (with the Slurm job id as
``external_jobid``) and removes the marker when the job ends; a failed job's outputs are
removed, its log stays. So, per job:

- ``done``: every output exists and none is marked incomplete;
- ``running``: an output is marked incomplete and a controller holds the lock
  (``.snakemake/locks``) or Slurm still knows the job; ``interrupted`` when neither does
  (a killed controller: the rerun redoes it);
- ``failed``: not done, not running, and its log ends in an error;
- ``pending``: anything else.

Nothing here takes Snakemake's lock or writes a file.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

ERROR_LINE = re.compile(
    r"^(?:[\w.]+(?:Error|Exception|Exit|Interrupt|Preempted|Failure)\b.*|.*\bERROR\b.*)$"
)


@dataclass
class Job:
    rule: str
    key: tuple  # wildcards, e.g. (run,), (run, distortion), (dataset, split, distortion, shard)
    outputs: list[str]
    log: str
    state: str = "pending"
    external_id: str | None = None  # Slurm job id from the incomplete marker
    slurm_state: str | None = None
    error: str | None = None  # last error line of a failed job's log
    slurm_logs: list[str] = field(default_factory=list)


def marker_name(path: str) -> str:
    return base64.urlsafe_b64encode(path.encode()).decode()


class Workdir:
    """What one listing of ``.snakemake/`` says: incomplete markers, lock, problems."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[str] = []
        inc = root / ".snakemake/incomplete"
        self.markers = set(os.listdir(inc)) if inc.is_dir() else set()
        locks = root / ".snakemake/locks"
        self.locked = locks.is_dir() and any(locks.iterdir())

    def marker(self, path: str) -> dict | None:
        """The incomplete marker of ``path`` (``{}`` when unreadable), or None."""
        name = marker_name(path)
        if name not in self.markers:
            return None
        try:
            return json.loads((self.root / ".snakemake/incomplete" / name).read_text() or "{}")
        except (OSError, ValueError) as err:
            self.problems.append(f".snakemake/incomplete/{name} ({path}): unreadable ({err})")
            return {}

    def exists(self, path: str) -> bool:
        return (self.root / path).exists()


def last_error(path: Path, tail: int = 16384) -> str | None:
    """The last error line of a log (a Python exception, an ERROR record), or None."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - tail))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return None
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for line in reversed(lines):
        if ERROR_LINE.match(line) and "job failed" not in line:
            return line[:300]
    return None


def classify(job: Job, wd: Workdir) -> Job:
    """Set ``job.state`` (and its marker's Slurm id / failed job's error) from the files."""
    markers = [m for m in (wd.marker(p) for p in job.outputs) if m is not None]
    if markers:
        job.state = "running"
        job.external_id = next(
            (str(m["external_jobid"]) for m in markers if m.get("external_jobid")), None
        )
        if not wd.locked and job.external_id is None:
            job.state = "interrupted"
        return job
    if all(wd.exists(p) for p in job.outputs):
        job.state = "done"
        return job
    log = wd.root / job.log
    if log.is_file():
        error = last_error(log)
        if error is not None:
            job.state, job.error = "failed", error
            slurm = wd.root / ".snakemake/slurm_logs" / f"rule_{job.rule}"
            if slurm.is_dir():
                key = [str(k) for k in job.key]
                job.slurm_logs = sorted(
                    str(p.relative_to(wd.root))
                    for p in slurm.glob("*/*.log")
                    if all(k in p.parent.name for k in key)
                )
    return job


def apply_slurm(jobs: list[Job], wd: Workdir, query) -> str | None:
    """Slurm's view of the jobs marked incomplete; a line saying what was seen or why the
    controller could not be asked (never raises). ``query() -> [(id, state, comment)]``: the
    plugin names each job's rule and wildcards in its ``--comment``
    (``rule_<rule>_wildcards_<wildcards>``); a marker's ``external_jobid`` is used too."""
    marked = [j for j in jobs if j.state in ("running", "interrupted")]
    if not marked:
        return None
    try:
        seen = query()
    except Exception as err:  # any failure to reach Slurm is reported, not fatal
        return f"Slurm: could not ask the controller ({err}); job states from files only"
    by_id = {jid: state for jid, state, _ in seen}
    for job in marked:
        if job.external_id is None:
            key = [str(k) for k in job.key]
            hit = next(
                (
                    jid
                    for jid, _, comment in seen
                    if comment.startswith(f"rule_{job.rule}_") and all(k in comment for k in key)
                ),
                None,
            )
            job.external_id = hit
        job.slurm_state = by_id.get(job.external_id) if job.external_id else None
        if job.slurm_state is not None:
            job.state = "running"
        elif job.external_id and not wd.locked:
            job.state = "interrupted"  # Slurm forgot it and no controller waits on it
    return f"Slurm: squeue asked ({len(seen)} job(s) queued or running)"
