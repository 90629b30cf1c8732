"""NRS (Eq. 5-9, Alg. 1): weights on crafted features, memory filters, the T_k switch."""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from adfd.train.model import load_checkpoint
from adfd.train.nrs import (
    NRS,
    RandomReals,
    TopPredicts,
    loss_weights,
    noise_distance,
    weighted_loss,
)
from adfd.train.run import run

# Two unit centres and four features at known angles to the nearest centre.
CENTRES = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
ANGLES = [0.0, math.pi / 6, math.pi / 3, math.pi / 2]
FEATURES = torch.tensor([[3 * math.cos(a), 0.0, 3 * math.sin(a)] for a in ANGLES])


def test_cosine_and_l2_distances_to_nearest_centre():
    cos = torch.tensor([math.cos(a) for a in ANGLES])
    assert torch.allclose(noise_distance(FEATURES, CENTRES, "cosine"), 1 - cos, atol=1e-6)
    # L2 between unit vectors: sqrt(2 - 2 cos); scale of the raw feature is irrelevant.
    assert torch.allclose(noise_distance(FEATURES, CENTRES, "l2"), (2 - 2 * cos).sqrt(), atol=1e-6)
    # The nearest centre wins: a feature on the second axis is at distance 0.
    assert noise_distance(torch.tensor([[0.0, 5.0, 0.0]]), CENTRES, "cosine").item() == 0.0


@pytest.mark.parametrize("distance", ["cosine", "l2"])
def test_weights_follow_eq5_eq6(distance):
    dist = noise_distance(FEATURES, CENTRES, distance)
    labels = torch.tensor([1, 1, 1, 1])
    lam, beta, epoch = 0.5, 200, 50
    w = loss_weights(dist, labels, lam=lam, beta=beta, epoch=epoch)
    ratio = epoch / beta
    for d, wi in zip(dist.tolist(), w.tolist(), strict=True):
        expected = d * ratio + (1 - ratio) if d < lam else 1.0
        assert wi == pytest.approx(expected, abs=1e-6)
    assert w[0].item() == pytest.approx(0.75)  # distance 0 at t/beta = 1/4
    # Real samples keep weight 1 whatever their distance.
    assert torch.all(loss_weights(dist, torch.zeros(4, dtype=torch.long), lam=lam, beta=beta,
                                  epoch=epoch) == 1)  # fmt: skip
    # Beyond beta epochs t/beta is clamped to 1: the weight is the distance itself.
    late = loss_weights(dist, labels, lam=lam, beta=beta, epoch=400)
    d1 = dist[1].item()
    assert late[0].item() == 0.0 and late[1].item() == pytest.approx(d1 if d1 < lam else 1.0)


def test_weighted_loss_is_eq9_and_plain_ce_without_weights():
    logits = torch.tensor([[2.0, -1.0], [0.5, 0.2], [-1.0, 1.0], [0.0, 0.3]])
    labels = torch.tensor([0, 0, 1, 1])
    w = torch.tensor([1.0, 1.0, 0.25, 1.0])
    ce = F.cross_entropy(logits, labels, reduction="none")
    assert torch.equal(weighted_loss(logits, labels, None), F.cross_entropy(logits, labels))
    assert weighted_loss(logits, labels, w).item() == pytest.approx((w * ce).sum().item() / 4)


def test_predicts_filter_keeps_highest_real_probability_across_steps():
    mem = TopPredicts(3, 8, [0])
    feats = torch.arange(8, dtype=torch.float32).unsqueeze(1).repeat(1, 2)
    prob = torch.tensor([0.1, 0.9, 0.5, 0.9, 0.2, 0.95, 0.3, 0.6])
    mem.add(feats[:4], prob[:4], torch.arange(4))
    mem.add(feats[4:], prob[4:], torch.arange(4, 8))
    # 0.95 (pos 5), then the tie 0.9 at pos 1 and 3: both kept, earlier first.
    assert mem.pos.tolist() == [5, 1, 3]
    assert torch.equal(mem.features()[:, 0], torch.tensor([5.0, 1.0, 3.0]))


def test_random_filter_is_seeded_and_keeps_k_s_features():
    def fill(seed):
        mem = RandomReals(3, 8, [5, seed, 2])
        feats = torch.arange(8, dtype=torch.float32).unsqueeze(1)
        for start in (0, 4):
            mem.add(feats[start : start + 4], torch.rand(4), torch.arange(start, start + 4))
        return mem.features()[:, 0].tolist()

    assert fill(1) == fill(1) and len(fill(1)) == 3 and len(set(fill(1))) == 3
    assert any(fill(1) != fill(s) for s in (2, 3, 4))


def test_t_k_switch_collects_from_t_k_minus_1_and_weighs_from_t_k():
    cfg = {"enabled": True, "t_k": 3, "lambda": 2.0, "beta": 200, "k": 2, "k_s": 4,
           "filter": "predicts", "distance": "cosine"}  # fmt: skip
    nrs = NRS(cfg, seed=5, reals_per_epoch=4)
    feats, labels = torch.randn(8, 6), torch.tensor([0] * 4 + [1] * 4)
    logits = torch.randn(8, 2)
    seen = []
    for t in (1, 2, 3, 4):
        nrs.start_epoch(t)
        w, _ = nrs.weights(feats, labels)
        seen.append((t, nrs.collects(t), w is not None))
        nrs.observe(feats, logits, torch.arange(4), torch.arange(4))
        nrs.end_epoch()
    assert seen == [(1, False, False), (2, True, False), (3, True, True), (4, True, True)]
    assert not NRS({**cfg, "enabled": False}, seed=5, reals_per_epoch=4).collects(5)


def _train(tmp_path, shards, experiment, name):
    run(
        experiment=experiment,
        seed=5,
        train_shards=shards["train"],
        val_shards=shards["val"],
        out_dir=tmp_path / name,
        state_dir=tmp_path / f"{name}_state",
        provenance={},
    )
    return load_checkpoint(tmp_path / name / "model.pt")["model"]


def test_nrs_off_is_plain_ce_and_on_changes_training_from_t_k(tmp_path, shards, tiny_experiment):
    tiny_experiment["train"]["epochs"] = 2
    off = _train(tmp_path, shards, tiny_experiment, "off")
    # NRS on, T_k beyond the last epoch: memory may be built, the loss stays plain CE.
    late = copy.deepcopy(tiny_experiment)
    late["nrs"].update(enabled=True, t_k=3, k=2, k_s=8, **{"lambda": 2.0})
    late_w = _train(tmp_path, shards, late, "late")
    assert all(torch.equal(off[k], late_w[k]) for k in off)
    # T_k = 2: the second epoch is weighted (lambda 2: every pseudo-fake is a noise sample).
    on = copy.deepcopy(late)
    on["nrs"]["t_k"] = 2
    on_w = _train(tmp_path, shards, on, "on")
    assert not all(torch.equal(off[k], on_w[k]) for k in off)
    import json

    history = json.loads((tmp_path / "on" / "train_summary.json").read_text())["history"]
    assert history[0]["nrs_noise"] is None and history[1]["nrs_noise"] == 16
    assert 0 < history[1]["nrs_mean_weight"] < 1


def test_an_epoch_that_collected_too_few_features_is_an_error_not_stale_centres():
    cfg = {"enabled": True, "t_k": 2, "lambda": 0.5, "beta": 200, "k": 2, "k_s": 4,
           "filter": "predicts", "distance": "cosine"}  # fmt: skip
    nrs = NRS(cfg, seed=5, reals_per_epoch=4)
    nrs.start_epoch(1)  # collects (t >= T_k - 1) but observes nothing
    with pytest.raises(RuntimeError, match=r"NRS epoch 1: the memory holds 0 real features"):
        nrs.end_epoch()
