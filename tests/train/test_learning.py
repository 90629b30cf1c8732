"""A pipeline that doesn't learn fails here: the demo baseline, trained through the project's
own ``adfd.train.run.run`` on the demo's FF++ training shards, must fit its task (its loss
falls from ln 2; fresh pseudo-fakes of the people it trained on are detected, AUC >= 0.9),
detect pseudo-fakes of people it never saw above chance (the FF++ test people, AUC >= 0.6:
with four training identities this is where the demo's transfer stands, 0.65-0.69 measured
at 400 to 1000 steps) and score the demo's FF++ test fakes above its reals.

Two negative controls run the same training and must stay at chance, proving the checks
can fail: the fake label shuffled within every batch, and an all-zero blend mask (every
pseudo-fake equals its real).

Budget: the demo recipe (``demo/config.yaml``) at 64 px for ``EPOCHS`` epochs (4 steps
each), about a quarter of a demo run's cost; the preprocessed shards come from the shared
demo ``all_tables`` run (``demo_run``). Each model is trained once per session and every
assertion reads the same figures.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from adfd.config import load_config
from adfd.config.matrix import build_matrix
from adfd.datasets.entries import VideoEntry
from adfd.evaluate.infer import run_many
from adfd.evaluate.protocol import resolve_protocol, video_scores
from adfd.preprocess.images import read_rgb
from adfd.preprocess.shards import load_shards, training_faces
from adfd.preprocess.write import run_shard
from adfd.registries import BLENDS
from adfd.synthesis.pipeline import make_training_pair
from adfd.train import loop
from adfd.train.model import load_model
from adfd.train.run import run
from adfd.train.validate import sbi_validation

REPO = Path(__file__).resolve().parents[2]
SEED = 5
EPOCHS = 100  # x 4 steps of 8 real + 8 fake faces
BUDGET = {"data": {"image_size": 64}, "train": {"epochs": EPOCHS},
          "schedule": {"start_decay": 75}}  # fmt: skip
LN2 = math.log(2)


def demo_baseline() -> dict:
    """The resolved experiment of the demo's SBI baseline (Table 7 row 1), short budget."""
    config = load_config([REPO / "config.yaml", REPO / "demo/config.yaml"])
    matrix = build_matrix(config)
    experiment = copy.deepcopy(matrix.runs[matrix.row("table7", 1).run_ids[0]].experiment)
    for section, values in BUDGET.items():
        experiment[section].update(values)
    return experiment


def held_out_reals(shards: list[Path]) -> list[dict]:
    """The real faces (with landmarks) of ``shards``."""
    videos, faces = load_shards(shards)
    real = set(videos.loc[videos["label"] == 0, "video_id"])
    rows = training_faces(faces[faces["video_id"].isin(real)])
    return [{"frame_path": r.frame_file, "landmarks": r.landmarks, "box": r.box}
            for r in rows.itertuples(index=False)]  # fmt: skip


def held_out_shard(workdir: Path, out: Path) -> list[Path]:
    """The FF++ test split's real videos (the demo's test identities, never trained on)
    preprocessed as training frames are (detector and landmarks of the demo config), so
    that SBI pseudo-fakes can be made of people the model never saw."""
    if not (out / "faces.parquet").is_file():
        config = load_config([REPO / "config.yaml", REPO / "demo/config.yaml"])
        root = workdir / config["datasets"]["ffpp"]["root"]
        pairs = json.loads((root / "test.json").read_text())
        videos = root / "original_sequences/youtube/raw/videos"
        entries = [VideoEntry(i, videos / f"{i}.mp4", 0, "real") for pair in pairs for i in pair]
        pre = config["preprocess"]
        run_shard(entries, out, frames=pre["frames"]["train"], detector_cfg=pre["detector"],
                  landmarks_cfg=pre["landmarks"])  # fmt: skip
    return [out]


def train_and_measure(workdir: Path, out: Path, experiment: dict) -> dict:
    pre = workdir / "results/preprocess/ffpp"
    train = sorted((pre / "train/raw").glob("shard-*"))
    test = sorted((pre / "test/raw").glob("shard-*"))
    held_out = held_out_reals(held_out_shard(workdir, workdir / "results/held_out_ffpp_test_reals"))
    torch.set_num_threads(1)
    summary = run(experiment=experiment, seed=SEED, train_shards=train, val_shards=[],
                       out_dir=out, state_dir=out / "state", provenance={}, threads=1,
                       allow_download=False)  # fmt: skip
    model, _ = load_model(out / "model.pt")
    cpu = torch.device("cpu")
    pseudo = sbi_validation(held_out, experiment, SEED, device=cpu)
    seen = sbi_validation(held_out_reals(train), experiment, SEED, device=cpu)
    store = run_many(model=out / "model.pt", jobs=[("ffpp", test, out / "ffpp.parquet")],
                     run_id=out.name, distortion="raw")["ffpp"]  # fmt: skip
    from sklearn.metrics import roc_auc_score

    videos = video_scores(store, resolve_protocol(load_config()["evaluation"]))
    losses = [h["loss"] for h in summary["history"]]
    figures = {
        "first_loss": losses[0],
        "final_loss": summary["final_loss"],  # the last tenth of the epochs
        "pseudo_fake_auc_seen": seen(model),  # fresh pairs (train=False) of trained people
        "pseudo_fake_auc": pseudo(model),  # people never trained on
        "ffpp_auc": float(roc_auc_score(videos["label"], videos["score"])),
    }
    print(f"{out.name}: " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()))
    return figures


@pytest.fixture(scope="module")
def learned(demo_run, tmp_path_factory) -> dict:
    return train_and_measure(demo_run, tmp_path_factory.mktemp("learn") / "baseline",
                             demo_baseline())  # fmt: skip


@pytest.fixture(scope="module")
def shuffled(demo_run, tmp_path_factory) -> dict:
    """Control: the fake label of every batch shuffled (seeded) before the loss."""
    step = loop.Trainer.train_step
    g = torch.Generator().manual_seed(0)

    def shuffled_step(self, images, labels, positions, reals=None):
        return step(self, images, labels[torch.randperm(len(labels), generator=g)], positions,
                    reals)  # fmt: skip

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(loop.Trainer, "train_step", shuffled_step)
        return train_and_measure(demo_run, tmp_path_factory.mktemp("learn") / "shuffled",
                                 demo_baseline())  # fmt: skip


def zero_mask_blend(monkeypatch) -> None:
    """Every blend of the demo baseline's blend type made with an all-zero mask (the rest of
    the synthesis, its random draws included, unchanged): each pseudo-fake is its real."""
    name = demo_baseline()["synthesis"]["blend"]["name"]
    blend = BLENDS.get(name)

    def with_zero_mask(source, target, mask, rng, **kwargs):
        return blend(source, target, np.zeros_like(mask), rng, **kwargs)

    monkeypatch.setitem(BLENDS._items, name, with_zero_mask)


@pytest.fixture(scope="module")
def fake_equals_real(demo_run, tmp_path_factory) -> dict:
    """Control: every blend mask all zero, so each pseudo-fake is its real."""
    with pytest.MonkeyPatch.context() as mp:
        zero_mask_blend(mp)
        return train_and_measure(demo_run, tmp_path_factory.mktemp("learn") / "zero_mask",
                                 demo_baseline())  # fmt: skip


def test_the_demo_baseline_learns(learned):
    assert learned["first_loss"] > 0.65 and learned["final_loss"] < 0.6, learned
    assert learned["pseudo_fake_auc_seen"] >= 0.9, learned  # it fits its task
    assert learned["pseudo_fake_auc"] >= 0.6, learned  # and it transfers to new people
    assert learned["ffpp_auc"] > 0.55, learned  # the demo's FF++ test fakes above its reals


def at_chance(figures: dict) -> None:
    assert figures["final_loss"] > LN2 - 0.03, figures
    assert abs(figures["pseudo_fake_auc_seen"] - 0.5) < 0.15, figures
    assert abs(figures["pseudo_fake_auc"] - 0.5) < 0.1, figures


def test_shuffled_labels_stay_at_chance(shuffled):
    at_chance(shuffled)


def test_fake_equal_to_real_stays_at_chance(fake_equals_real, demo_run):
    experiment = demo_baseline()
    train = sorted((demo_run / "results/preprocess/ffpp/train/raw").glob("shard-*"))
    sample = held_out_reals(train)[0]
    with pytest.MonkeyPatch.context() as mp:  # the control really makes fake == real
        zero_mask_blend(mp)
        pair = make_training_pair(
            read_rgb(sample["frame_path"]), sample["landmarks"], sample["box"],
            experiment["synthesis"], experiment["data"], np.random.default_rng(0),
        )  # fmt: skip
    assert np.array_equal(pair.real, pair.fake) and not pair.mask.any()
    at_chance(fake_equals_real)
