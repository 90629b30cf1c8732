"""`optim.name` and `train.max_steps` do what they say: plain SGD is one forward/backward
and one torch SGD step (not SAM), SAM is two; max_steps caps the steps of every epoch."""

from __future__ import annotations

import copy
import json

import pytest
import torch

from adfd.config.canonical import drop_inert
from adfd.preprocess.shards import training_samples
from adfd.registries import CHECKPOINTS
from adfd.train.dataset import PairDataset, collate_pairs
from adfd.train.loop import Trainer
from adfd.train.run import run
from adfd.train.sam import SAM


def _trainer(exp, shards):
    torch.manual_seed(5)
    dataset = PairDataset(training_samples(shards["train"]), exp, 5)
    return Trainer(exp, 5, dataset, CHECKPOINTS.get("last")(), torch.device("cpu"), False)


def _batch(dataset, n):
    return collate_pairs([dataset[i] for i in range(n)])


@pytest.mark.parametrize(("name", "passes"), [("sgd", 1), ("sam", 2)])
def test_optimiser_name_is_honoured(shards, tiny_experiment, name, passes):
    exp = copy.deepcopy(tiny_experiment)
    exp["optim"]["name"] = name
    trainer = _trainer(exp, shards)
    assert isinstance(trainer.optimizer, SAM) == (name == "sam")
    expected = copy.deepcopy(trainer.model)  # the same step by hand
    calls = []
    trainer.model.conv_stem.register_forward_hook(lambda *_: calls.append(1))  # encoder passes
    images, labels, _ = _batch(trainer.dataset, 4)
    rng = torch.get_rng_state()
    trainer.train_step(images, labels, torch.arange(4))
    print(f"optim.name {name}: {len(calls)} forward pass(es) per step")
    assert len(calls) == passes
    if name == "sgd":
        torch.set_rng_state(rng)  # same dropout / drop-connect draws
        opt = exp["optim"]
        sgd = torch.optim.SGD(expected.parameters(), lr=opt["lr"], momentum=opt["momentum"],
                              weight_decay=opt["weight_decay"])  # fmt: skip
        torch.nn.functional.cross_entropy(expected(images), labels).backward()
        sgd.step()
        for (k, a), b in zip(trainer.model.state_dict().items(), expected.state_dict().values(),
                             strict=True):  # fmt: skip
            assert torch.equal(a, b), k


def test_rho_is_inert_only_without_sam(tiny_experiment):
    exp = copy.deepcopy(tiny_experiment)
    assert "rho" in drop_inert(exp)["optim"]
    exp["optim"]["name"] = "sgd"
    assert "rho" not in drop_inert(exp)["optim"]


def test_max_steps_caps_every_epoch(tmp_path, shards, tiny_experiment):
    exp = copy.deepcopy(tiny_experiment)
    exp["train"].update(epochs=2, max_steps=2)  # 16 faces / 4 = 4 steps without the cap
    run(experiment=exp, seed=5, train_shards=shards["train"], val_shards=[],
        out_dir=tmp_path / "out", state_dir=tmp_path / "state", provenance={})  # fmt: skip
    summary = json.loads((tmp_path / "out" / "train_summary.json").read_text())
    assert summary["steps_per_epoch"] == 2 and summary["max_steps"] == 2
    assert summary["steps_run"] == 4 and len(summary["history"]) == 2
    # one timed step per epoch (the first of each epoch pays the loader start-up)
    assert all(h["step_seconds"] > 0 for h in summary["history"])
    assert summary["device"] == {"kind": "cpu", "name": "cpu"}


@pytest.mark.parametrize(
    ("k", "k_s", "max_steps", "memory"), [(5, 4, None, "memory of 4"), (5, 8, 1, "4 reals")]
)
def test_nrs_k_above_its_memory_is_refused_before_training(
    tmp_path, shards, tiny_experiment, k, k_s, max_steps, memory
):
    exp = copy.deepcopy(tiny_experiment)
    exp["nrs"].update(enabled=True, k=k, k_s=k_s)
    exp["train"]["max_steps"] = max_steps
    with pytest.raises(ValueError, match=rf"nrs.k = {k} centres > .*{memory}"):
        run(experiment=exp, seed=5, train_shards=shards["train"], val_shards=[],
            out_dir=tmp_path / "out", state_dir=tmp_path / "state", provenance={})  # fmt: skip
    assert not (tmp_path / "out").exists() and not (tmp_path / "state").exists()
