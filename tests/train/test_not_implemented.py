"""Training refuses a configuration it cannot honour before doing any work."""

import copy
from pathlib import Path

import pytest

from adfd.config import load_config
from adfd.train.run import run


def test_best_val_without_validation_shards_fails_before_training(tmp_path, shards):
    experiment = copy.deepcopy(load_config()["baseline"])
    experiment["train"]["checkpoint"] = "best_val"
    with pytest.raises(ValueError, match="best_val needs validation shards"):
        run(
            experiment=experiment,
            seed=5,
            train_shards=shards["train"],
            val_shards=[],
            out_dir=tmp_path / "out",
            state_dir=tmp_path / "state",
            provenance={},
        )
    assert not (tmp_path / "out").exists()


def test_unknown_checkpoint_policy_is_a_key_error(tmp_path):
    experiment = copy.deepcopy(load_config()["baseline"])
    experiment["train"]["checkpoint"] = "best_test"
    with pytest.raises(KeyError, match="best_test"):
        run(
            experiment=experiment,
            seed=5,
            train_shards=[Path("/nonexistent")],
            val_shards=[],
            out_dir=tmp_path / "out",
            state_dir=tmp_path / "state",
            provenance={},
        )
