"""The production recipe through the real DAG: config.yaml's training as it is
(tf_efficientnet_b4 at 380 px, SAM, fp32, NRS with memory and k-means, BN as SBI's, the
default checkpoint policy) on the demo data, only counts shrunk
(tests/overlays/production_smoke.yaml), then evaluation and one table. Everything asserted
comes from what the run recorded."""

import json
import time

import pandas as pd
import pytest
import torch
import yaml

from adfd.config import load_config
from tests.conftest import REPO, snakemake

OVERLAY = REPO / "tests/overlays/production_smoke.yaml"


@pytest.mark.slow
def test_production_recipe_trains_evaluates_and_tables(tmp_path):
    # the demo overlay's data, preprocessing and resources; its tiny-model baseline left out
    demo = yaml.safe_load((REPO / "demo/config.yaml").read_text())
    demo.pop("baseline")
    data = tmp_path / "demo_data.yaml"
    data.write_text(yaml.safe_dump(demo))
    workdir = tmp_path / "work"
    t0 = time.perf_counter()
    snakemake("--profile", str(REPO / "profiles/local"), "--directory", str(workdir),
              "table11", "--configfile", str(data), str(OVERLAY), timeout=1200)  # fmt: skip
    print(f"production smoke wall time: {time.perf_counter() - t0:.0f} s")

    paper = load_config()["baseline"]
    smoke = yaml.safe_load(OVERLAY.read_text())["baseline"]
    cells = pd.read_csv(workdir / "results/tables/table11.csv")
    cells = cells[cells["primary"]]
    assert set(cells["row_id"]) == {"nrs"} and set(cells["metric"]) >= {"ffiw"}
    assert cells["ours"].between(0, 100).all()
    (run_id,) = set(cells["run_ids"])
    assert (cells["checkpoint_policy"] == f"{paper['train']['checkpoint']}@epoch2").all()
    run = workdir / "results/train" / run_id

    summary = json.loads((run / "train_summary.json").read_text())
    meta = torch.load(run / "model.pt", map_location="cpu", weights_only=True)["meta"]
    config = yaml.safe_load((run / "config.yaml").read_text())
    print(
        "provenance:",
        json.dumps(
            {
                k: summary[k]
                for k in (
                    "model",
                    "image_size",
                    "optimizer",
                    "precision",
                    "channels_last",
                    "bn_momentum",
                    "bn_eps",
                    "nrs",
                    "checkpoint_policy",
                    "steps_per_epoch",
                    "steps_run",
                    "device",
                )
            }
        ),
    )
    print("model meta:", json.dumps(meta))
    print("history:", json.dumps(summary["history"]))
    # the production recipe, recorded by the run itself
    assert summary["model"] == meta["model_name"] == paper["model"]["name"] == "tf_efficientnet_b4"
    assert summary["image_size"] == meta["image_size"] == paper["data"]["image_size"] == 380
    assert summary["optimizer"] == paper["optim"]["name"] == "sam"
    assert summary["precision"] == paper["train"]["precision"] == "fp32"
    assert summary["channels_last"] is paper["train"]["channels_last"]
    assert summary["bn_momentum"] == meta["bn_momentum"] == paper["model"]["bn_momentum"] == 0.01
    assert summary["bn_eps"] == meta["bn_eps"] == paper["model"]["bn_eps"] == 0.001
    assert summary["checkpoint_policy"] == paper["train"]["checkpoint"]
    nrs = {**paper["nrs"], **smoke["nrs"], "enabled": True}
    assert summary["nrs"] == nrs
    # only counts differ from config.yaml's baseline
    for section in ("data", "synthesis", "optim", "schedule"):
        assert config[section] == paper[section], section
    assert config["model"] == {**paper["model"], "pretrained": None}
    counts = {"epochs", "batch_real", "max_steps", "workers"}
    assert {k: v for k, v in config["train"].items() if k not in counts} == {
        k: v for k, v in paper["train"].items() if k not in counts
    }
    # NRS really ran: memory in epoch 1 (= T_k - 1), k-means, weighted loss in epoch 2
    assert summary["steps_per_epoch"] == 2 and summary["steps_run"] == 4
    first, second = summary["history"]
    assert first["nrs_noise"] is None and second["nrs_noise"] is not None
    assert second["nrs_mean_weight"] is not None
    # evaluation released the final training state
    assert not (workdir / "results/train_state" / run_id / "state.pt").exists()
