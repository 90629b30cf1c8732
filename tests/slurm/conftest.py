"""Helpers for the Slurm tests: is the single-node Slurm of .ci/slurm/up running, snakemake
through the slurm profile (+ the CI overlay), and a watcher that records Slurm's own view
of the jobs (squeue / scontrol) while a workflow runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
PARTITION = "ci"  # .ci/slurm/up
SLURM_DIR = Path(os.environ.get("ADFD_SLURM_DIR", "/tmp/adfd-slurm"))
PROFILES = ["--profile", str(REPO / "profiles/slurm"), "--profile", str(REPO / "profiles/slurm-ci")]


def slurm_state() -> str | None:
    """The state of the `ci` partition's node, or None when Slurm is not usable."""
    if not shutil.which("sinfo") or not shutil.which("sbatch"):
        return None
    try:
        res = subprocess.run(["sinfo", "-h", "-p", PARTITION, "-o", "%t"],
                             capture_output=True, text=True, timeout=15)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    state = res.stdout.strip()
    return state if res.returncode == 0 and state in {"idle", "mix", "alloc"} else None


SKIP_REASON = (
    f"Slurm is not running (no usable partition '{PARTITION}'): start it with .ci/slurm/up "
    "(root), stop it with .ci/slurm/down"
)


def snakemake_argv(workdir: Path, *targets_and_flags: str, overlays=()) -> list[str]:
    """Targets (and -R lists) first: --configfile takes every following word."""
    return [
        SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), *targets_and_flags, *PROFILES,
        "--directory", str(workdir),
        "--configfile", str(REPO / "demo/config.yaml"), *map(str, overlays),
    ]  # fmt: skip


def env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "NO_ALBUMENTATIONS_UPDATE": "1"}


def run_snakemake(workdir: Path, *args: str, check: bool = True, timeout: float = 900, overlays=()):
    argv = snakemake_argv(workdir, *args, overlays=overlays)
    res = subprocess.run(argv, env=env(), capture_output=True, text=True, timeout=timeout)
    if check and res.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{res.stdout}\n{res.stderr}")
    return res


def start_snakemake(workdir: Path, *args: str, log: Path, overlays=()) -> subprocess.Popen:
    fh = log.open("w")
    return subprocess.Popen(snakemake_argv(workdir, *args, overlays=overlays), env=env(), stdout=fh,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip


def squeue() -> list[dict[str, str]]:
    """Jobs Slurm knows about (pending/running): id, name (the run uuid), comment (rule)."""
    res = subprocess.run(["squeue", "-h", "-p", PARTITION, "-o", "%i|%j|%k|%T"],
                         capture_output=True, text=True, timeout=30)  # fmt: skip
    jobs = []
    for line in res.stdout.splitlines():
        jid, name, comment, state = line.split("|", 3)
        jobs.append({"id": jid, "name": name, "comment": comment, "state": state})
    return jobs


def scontrol_job(jid: str) -> dict[str, str]:
    """`scontrol show job -d`, as key=value pairs (jobs stay MinJobAge=600 s after the end)."""
    res = subprocess.run(["scontrol", "show", "job", "-d", str(jid)], capture_output=True,
                         text=True, timeout=30)  # fmt: skip
    fields = dict(re.findall(r"(\w+)=(\S*)", res.stdout))
    gres = re.search(r"\bGRES=(\S+)", res.stdout)  # per node: gpu:fake:1(IDX:0)
    if gres:
        fields["NodeGRES"] = gres[1]
    return fields


class SlurmWatcher(threading.Thread):
    """Polls squeue (and scontrol for running jobs) until stopped."""

    def __init__(self, interval: float = 1.0):
        super().__init__(daemon=True)
        self.interval, self.jobs, self._halt = interval, {}, threading.Event()

    def run(self):
        while not self._halt.is_set():
            try:
                for job in squeue():
                    seen = self.jobs.setdefault(job["id"], {**job, "states": set()})
                    seen["states"].add(job["state"])
                    if job["state"] == "RUNNING" and "NodeGRES" not in seen:
                        info = scontrol_job(job["id"])
                        if "NodeGRES" in info:
                            seen["NodeGRES"] = info["NodeGRES"]
            except Exception:  # a transient squeue hiccup must not kill the watcher
                pass
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join(timeout=10)


def slurm_logs(workdir: Path) -> dict[str, Path]:
    """The plugin's per-job logs: .snakemake/slurm_logs/rule_<rule>/<wildcards>/<jobid>.log."""
    return {p.stem: p for p in (workdir / ".snakemake/slurm_logs").rglob("*.log")}


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"snakemake exited ({proc.returncode}) before {what}")
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="session")
def slurm_available():
    if slurm_state() is None:
        pytest.skip(SKIP_REASON)
