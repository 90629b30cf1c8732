"""Preemption: kill a real CPU training at random points (SIGTERM, SIGKILL), rerun until it
finishes, and compare the final weights bit for bit with an uninterrupted run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import torch

from adfd.train.model import load_checkpoint
from adfd.train.run import run
from tests.conftest import REPO

DRIVER = """
import json, logging, sys
from pathlib import Path
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
from adfd.train import loop
from adfd.train.run import run

def announced(step, *a):  # real training; each finished step is announced on stdout
    step(*a)
    print("step", flush=True)

_step = loop.Trainer.train_step
loop.Trainer.train_step = lambda self, *a: announced(_step, self, *a)
args = json.loads(Path(sys.argv[1]).read_text())
print("ready", flush=True)
run(experiment=args["experiment"], seed=5, train_shards=[Path(p) for p in args["train"]],
    val_shards=[Path(p) for p in args["val"]], out_dir=Path(args["out"]),
    state_dir=Path(args["state"]), provenance={}, threads=1)
"""


def _experiment(tiny_experiment, workers):
    exp = tiny_experiment
    exp["train"].update(epochs=4, workers=workers, checkpoint="best_val")
    exp["nrs"].update(enabled=True, t_k=2, k=2, k_s=8, filter="random", **{"lambda": 2.0})
    return exp


def _run_with_kills(tmp_path, shards, experiment, kills, rng):
    args = tmp_path / "args.json"
    out, state = tmp_path / "out", tmp_path / "state"
    spec = {"experiment": experiment, "out": str(out), "state": str(state)}
    spec.update({split: [str(p) for p in shards[split]] for split in ("train", "val")})
    args.write_text(json.dumps(spec))
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    codes, resumed = [], 0
    for attempt in range(len(kills) + 5):
        proc = subprocess.Popen(
            [sys.executable, str(driver), str(args)], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert proc.stdout.readline().strip() == "ready"
        if attempt < len(kills):  # kill after a random number of steps, mid-step
            for _ in range(rng.randint(1, 6)):
                if proc.stdout.readline() != "step\n":
                    break
            time.sleep(rng.uniform(0.0, 0.1))
            proc.send_signal(kills[attempt])
        _, err = proc.communicate(timeout=300)
        resumed += "resumed from" in err
        codes.append(proc.returncode)
        if (out / "model.pt").exists():
            break
    assert (out / "model.pt").exists(), err
    return load_checkpoint(out / "model.pt"), codes, resumed


@pytest.mark.slow
@pytest.mark.parametrize(
    ("workers", "kills"),
    [
        (0, [signal.SIGTERM, signal.SIGKILL, signal.SIGTERM, signal.SIGKILL]),
        (2, [signal.SIGTERM, signal.SIGKILL]),
    ],
)
def test_killed_training_resumes_bit_identically(tmp_path, shards, tiny_experiment, workers, kills):
    experiment = _experiment(tiny_experiment, workers)
    run(experiment=experiment, seed=5, train_shards=shards["train"], val_shards=shards["val"],
        out_dir=tmp_path / "ref", state_dir=tmp_path / "ref_state", provenance={},
        threads=1)  # fmt: skip
    ref = load_checkpoint(tmp_path / "ref" / "model.pt")
    got, codes, resumed = _run_with_kills(tmp_path, shards, experiment, kills, random.Random(0))
    print(f"workers={workers} exit codes {codes}, resumed {resumed} times")
    assert resumed >= 2 and 128 + signal.SIGTERM in codes
    assert got["meta"] == ref["meta"]
    assert all(torch.equal(ref["model"][k], got["model"][k]) for k in ref["model"])
    summary = json.loads((tmp_path / "out" / "train_summary.json").read_text())
    ref_summary = json.loads((tmp_path / "ref" / "train_summary.json").read_text())
    for a, b in zip(summary["history"], ref_summary["history"], strict=True):
        assert (a["loss"], a["nrs_noise"], a["val_auc"]) == (
            b["loss"],
            b["nrs_noise"],
            b["val_auc"],
        )
    final = load_checkpoint(tmp_path / "state" / "state.pt")  # kept until evaluation
    assert final["epoch"] == experiment["train"]["epochs"]
