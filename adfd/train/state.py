"""Preemption-safe training state: atomic snapshots and a signal flag (Slurm requeue).

The snapshot holds everything the next step depends on: model, SGD/SAM state, scheduler,
epoch and step within the epoch, torch CPU/CUDA generator states, NRS memory and centres,
the best-validation model, and the running epoch statistics. Numpy draws need no state:
every sample derives its generator from ``(seed, epoch, index)`` and the loader order from
``(seed, epoch, 1)``. Snapshots load with ``torch.load(weights_only=True)``.

SIGTERM/SIGUSR1 only set a flag; the loop saves at the next step boundary and leaves with
``Preempted`` (exit status 128 + signal) so Slurm/Snakemake retry and the retry resumes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
from functools import cache
from pathlib import Path
from typing import Any

import torch

from adfd.train.model import load_checkpoint

log = logging.getLogger(__name__)
SIGNALS = (signal.SIGTERM, signal.SIGUSR1)


class Preempted(SystemExit):
    """Raised after the state was saved on a signal; non-zero exit status."""

    def __init__(self, signum: int):
        super().__init__(128 + signum)
        self.signum = signum


class StopFlag:
    """Install handlers that record the first SIGTERM/SIGUSR1; restore them on exit."""

    def __init__(self):
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def _handler(self, signum, frame) -> None:
        if self.signum is None:
            log.warning("received signal %d: saving state at the next step", signum)
        self.signum = signum

    def __enter__(self) -> StopFlag:
        for sig in SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)


def ignore_stop_signals(_worker_id: int = 0) -> None:
    """DataLoader worker init: Slurm signals every process; only the trainer reacts."""
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_IGN)


def rng_state() -> dict[str, Any]:
    state = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` atomically (temp file, fsync, rename): a kill leaves the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        torch.save(state, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_state(path: Path) -> dict[str, Any] | None:
    return load_checkpoint(path) if path.exists() else None


@cache
def code_fingerprint() -> str:
    """sha256 of the package's Python sources: a final state is reused only by the code
    that wrote it (a changed trainer retrains)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def release(state_dir: Path) -> bool:
    """Delete a run's final state once its model.pt is registered (its first consumer runs);
    until then a job killed after writing its outputs reruns them without training."""
    path = Path(state_dir) / "state.pt"
    if not path.exists():
        return False
    path.unlink()
    log.info("released the final training state %s", path)
    return True
