"""Axis values named in the matrix but not implemented yet fail at once, by name."""

import copy
from pathlib import Path

import pytest

from adfd.config import load_config
from adfd.train.loop import run


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"nrs": {"enabled": True}}, r"not implemented: nrs\.filter=predicts"),
        ({"train": {"checkpoint": "best_val"}}, r"not implemented: baseline\.train\.checkpoint"),
    ],
)
def test_training_refuses_unimplemented_axis_before_any_work(tmp_path, override, message):
    experiment = copy.deepcopy(load_config()["baseline"])
    for key, value in override.items():
        experiment[key].update(value)
    with pytest.raises(NotImplementedError, match=message):
        run(
            experiment=experiment,
            seed=5,
            train_shards=[Path("/nonexistent")],
            val_shards=[],
            out_dir=tmp_path / "out",
            state_dir=tmp_path / "state",
            provenance={},
        )
    assert not (tmp_path / "out").exists()
