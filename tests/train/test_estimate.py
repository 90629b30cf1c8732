"""`adfd plan --estimate` calibrates only from finished runs of the same setup: a real tiny
CPU training (test_efficientnet, 64 px) is ignored for the paper's b4 at 380 px on a GPU,
and used, scaled by images per step, for a plan with its own key."""

from __future__ import annotations

import json

import yaml

from adfd.config import build_matrix, load_config
from adfd.estimate import estimate
from adfd.train.run import run


def test_estimate_uses_only_runs_with_the_same_key(tmp_path, monkeypatch, shards, tiny_experiment):
    monkeypatch.chdir(tmp_path)
    exp = tiny_experiment
    exp["train"].update(epochs=1)
    out = tmp_path / "results/train/0123456789ab"
    run(experiment=exp, seed=5, train_shards=shards["train"], val_shards=[], out_dir=out,
        state_dir=tmp_path / "state", provenance={})  # fmt: skip
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["step_seconds"] > 0 and summary["batch_real"] == 4

    paper = estimate(load_config(), build_matrix(load_config()), ["table2"])
    print(paper)
    assert "measured: " not in paper  # no finished run calibrates it
    assert "training: 143 ms per step (4 run(s)): constant evaluation.cost" in paper
    assert "evaluation: 1772 faces/s: constant evaluation.cost" in paper

    overlay = tmp_path / "cpu.yaml"
    overlay.write_text(yaml.safe_dump({
        "baseline": {"data": {"image_size": 64}, "train": {"batch_real": 8},
                     "model": {"name": "test_efficientnet", "pretrained": None}},
        "evaluation": {"cost": {"device": "cpu"}},
    }))  # fmt: skip
    config = load_config([overlay])
    mine = estimate(config, build_matrix(config), ["table2"])
    print(mine)
    ms = summary["step_seconds"] / 8 * 16 * 1000  # measured at 4 + 4, planned 8 + 8 per step
    line = next(x for x in mine.splitlines() if "measured: " in x)
    assert f"measured: 1 run(s) of {out.relative_to(tmp_path)}" in line
    assert f"training: {ms:.0f} ms per step (4 run(s))" in line
