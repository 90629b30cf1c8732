"""A job SIGKILLed after writing its outputs, before the workflow registered them, costs no
retraining: the rerun (outputs deleted, as `--rerun-incomplete` does) turns the kept final
state into the same model.pt without a single training step."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from adfd.train.model import load_checkpoint
from adfd.train.run import run
from adfd.train.state import release, save_state
from tests.conftest import REPO

DRIVER = """
import json, logging, sys, time
from pathlib import Path
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
from adfd.train import loop
from adfd.train.run import run

_step = loop.Trainer.train_step
def announced(self, *a):  # real training; each finished step is announced on stdout
    _step(self, *a)
    print("step", flush=True)
loop.Trainer.train_step = announced
args = json.loads(Path(sys.argv[1]).read_text())
run(experiment=args["experiment"], seed=5, train_shards=[Path(p) for p in args["train"]],
    val_shards=[], out_dir=Path(args["out"]), state_dir=Path(args["state"]), provenance={},
    threads=1)
print("outputs written", flush=True)
time.sleep(600)  # the workflow has not registered the outputs yet: killed here
"""


@pytest.mark.slow
def test_kill_after_the_outputs_are_written_costs_no_training(tmp_path, shards, tiny_experiment):
    exp = tiny_experiment
    exp["train"].update(epochs=2)
    exp["nrs"].update(enabled=True, t_k=2, k=2, k_s=8)
    run(experiment=exp, seed=5, train_shards=shards["train"], val_shards=[],
        out_dir=tmp_path / "ref", state_dir=tmp_path / "ref_state", provenance={},
        threads=1)  # fmt: skip
    ref = load_checkpoint(tmp_path / "ref" / "model.pt")
    out, state = tmp_path / "out", tmp_path / "state"
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"experiment": exp, "train": [str(p) for p in shards["train"]],
                                "out": str(out), "state": str(state)}))  # fmt: skip
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}

    def attempt(kill: bool):
        proc = subprocess.Popen([sys.executable, str(driver), str(args)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
        steps = 0
        for line in proc.stdout:
            steps += line == "step\n"
            if line == "outputs written\n":
                break
        if kill:
            proc.send_signal(signal.SIGKILL)
        else:
            proc.terminate()
        _, err = proc.communicate(timeout=120)
        return steps, err

    steps1, _ = attempt(kill=True)
    assert steps1 == 2 * 4 and (out / "model.pt").exists() and (state / "state.pt").exists()
    for name in ("model.pt", "train_summary.json", "config.yaml"):  # as --rerun-incomplete
        (out / name).unlink()
    steps2, err = attempt(kill=False)
    summary = json.loads((out / "train_summary.json").read_text())
    print(f"attempt 1: {steps1} steps, SIGKILLed after its outputs; attempt 2: {steps2} steps, "
          f"summary steps_run {summary['steps_run']}")  # fmt: skip
    assert steps2 == 0 and summary["steps_run"] == 0
    assert "training had finished" in err and "resumed from" not in err
    got = load_checkpoint(out / "model.pt")
    assert got["meta"] == ref["meta"]
    assert got["model"].keys() == ref["model"].keys()
    assert all(ref["model"][k].equal(got["model"][k]) for k in ref["model"])
    ref_summary = json.loads((tmp_path / "ref" / "train_summary.json").read_text())
    assert [h["loss"] for h in summary["history"]] == [h["loss"] for h in ref_summary["history"]]
    # a final state written by other code is not trusted: the run trains again
    kept = load_checkpoint(state / "state.pt")
    save_state(state / "state.pt", {**kept, "code": "other"})
    again = run(experiment=exp, seed=5, train_shards=shards["train"], val_shards=[],
                out_dir=out, state_dir=state, provenance={}, threads=1)  # fmt: skip
    assert again["steps_run"] == 2 * 4
    retrained = load_checkpoint(out / "model.pt")
    assert all(ref["model"][k].equal(retrained["model"][k]) for k in ref["model"])
    # the first consumer of model.pt (evaluate_run) releases the state
    assert release(state) and not (state / "state.pt").exists()
    assert not release(state)
