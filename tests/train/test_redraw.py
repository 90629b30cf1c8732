"""A training sample whose synthesis raises is replaced by a seeded redraw, counted, and the
run fails, naming the samples, only above ``train.max_redraw_fraction``.

The bad sample is a real one: a shard whose faces.parquet pairs a face's landmarks with a
detector box far outside its landmark crop (what an IoU-0 HOG/detector pair looks like), on
which the box crop raises ``empty crop window``.
"""

from __future__ import annotations

import copy
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from adfd.preprocess.shards import training_samples
from adfd.synthesis import make_training_pair
from adfd.train.dataset import PairDataset
from adfd.train.run import run


@pytest.fixture(scope="module")
def bad_shard(shards, tmp_path_factory):
    src = shards["train"][0]
    dst = tmp_path_factory.mktemp("bad") / src.name
    shutil.copytree(src, dst)
    faces = pd.read_parquet(dst / "faces.parquet")
    row = faces.index[faces["landmarks"].map(len) > 0][3]
    faces.loc[row, ["x0", "y0", "x1", "y1"]] = [5000.0, 5000.0, 5040.0, 5050.0]
    faces.to_parquet(dst / "faces.parquet")
    return dst, str(dst / faces.loc[row, "frame_file"])


def test_the_corrupted_pair_really_fails_synthesis(bad_shard, tiny_experiment):
    shard, bad = bad_shard
    sample = next(s for s in training_samples([shard]) if str(s["frame_path"]) == bad)
    from adfd.preprocess.images import read_rgb

    with pytest.raises(ValueError, match="empty crop window"):
        make_training_pair(
            read_rgb(sample["frame_path"]), sample["landmarks"], sample["box"],
            tiny_experiment["synthesis"], tiny_experiment["data"], np.random.default_rng(0),
        )  # fmt: skip


def test_redraw_is_deterministic_and_travels_with_the_item(bad_shard, tiny_experiment):
    shard, bad = bad_shard
    samples = training_samples([shard])
    index = next(i for i, s in enumerate(samples) if str(s["frame_path"]) == bad)
    a = PairDataset(samples, tiny_experiment, 5)[index]
    b = PairDataset(samples, tiny_experiment, 5)[index]
    assert [r.sample for r in a.redraws] == [bad] and "empty crop window" in a.redraws[0].error
    assert a.real.equal(b.real) and a.fake.equal(b.fake)  # same replacement every time
    assert not PairDataset(samples, tiny_experiment, 5)[(index + 1) % len(samples)].redraws


def _train(tmp_path, exp, shard, shards):
    return run(
        experiment=exp, seed=5, train_shards=[shard], val_shards=shards["val"],
        out_dir=tmp_path / "out", state_dir=tmp_path / "state", provenance={}, threads=1,
    )  # fmt: skip


@pytest.mark.slow
def test_a_run_over_a_bad_pair_redraws_counts_and_finishes(
    bad_shard, shards, tiny_experiment, tmp_path, capsys
):
    shard, bad = bad_shard
    exp = copy.deepcopy(tiny_experiment)
    exp["train"].update(epochs=2, max_redraw_fraction=0.1)  # 16 faces: 1 allowed per epoch
    summary = _train(tmp_path, exp, shard, shards)
    history = summary["history"]
    assert [h["redraws"] for h in history] == [1, 1], history  # drawn once per epoch
    assert all(h["redrawn_samples"] == [bad] for h in history)
    on_disk = json.loads((tmp_path / "out" / "train_summary.json").read_text())
    assert on_disk["redraws"] == 2 and on_disk["max_redraw_fraction"] == 0.1
    print(f"\nredraws per epoch {[h['redraws'] for h in history]}: {bad}")


@pytest.mark.slow
def test_more_redraws_than_allowed_fail_the_run_naming_the_sample(
    bad_shard, shards, tiny_experiment, tmp_path
):
    shard, bad = bad_shard
    exp = copy.deepcopy(tiny_experiment)
    exp["train"].update(epochs=1, max_redraw_fraction=0.001)  # 16 faces: none allowed
    with pytest.raises(RuntimeError, match="max_redraw_fraction") as err:
        _train(tmp_path, exp, shard, shards)
    assert bad in str(err.value) and "empty crop window" in str(err.value)
