"""The detector is built as SBI's efficientnet_pytorch 0.7.1 b4: BatchNorm momentum/eps of
every layer, the new head's initial distribution, and NRS features taken before the head's
dropout (Eq. 5-9 measure distances on the encoder features E(I; Θ))."""

from __future__ import annotations

import copy

# The reference itself (requirements-nodeps.txt): a missing package fails these tests.
import efficientnet_pytorch
import numpy as np
import pytest
import scipy.stats
import timm
import torch

from adfd.config import load_config
from adfd.train.model import create_model, features_and_logits, load_model, save_model


@pytest.fixture(scope="module")
def models():
    cfg = copy.deepcopy(load_config()["baseline"]["model"])
    cfg["pretrained"] = None  # offline; the head is re-initialised in both cases
    ours = create_model(cfg, seed=5)
    torch.manual_seed(0)
    sbi = efficientnet_pytorch.EfficientNet.from_name("efficientnet-b4", num_classes=2)
    return cfg, ours, sbi


def _bns(model):
    return [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


def test_batchnorm_momentum_and_eps_equal_sbi_in_every_layer(models, tmp_path):
    cfg, ours, sbi = models
    a, b = _bns(ours), _bns(sbi)
    print(f"BN layers: ours {len(a)}, efficientnet_pytorch {len(b)}; "
          f"momentum {sorted({m.momentum for m in a})} vs {sorted({m.momentum for m in b})}, "
          f"eps {sorted({m.eps for m in a})} vs {sorted({m.eps for m in b})}")  # fmt: skip
    assert len(a) == len(b) > 90
    for x, y in zip(a, b, strict=True):  # same order: stem, blocks, head
        assert x.num_features == y.num_features
        assert (x.momentum, x.eps) == pytest.approx((y.momentum, y.eps), rel=1e-12)
    assert (a[0].momentum, a[0].eps) == pytest.approx((0.01, 1e-3))
    # survives a checkpoint round trip (load_model rebuilds from the recorded meta)
    save_model(tmp_path / "m.pt", ours, {"model_name": cfg["name"], "bn_momentum": 0.01,
                                         "bn_eps": 1e-3})  # fmt: skip
    loaded, _ = load_model(tmp_path / "m.pt")
    assert {(m.momentum, m.eps) for m in _bns(loaded)} == {(0.01, 1e-3)}


def test_head_init_follows_nn_linear_default_as_sbi(models):
    cfg, ours, sbi = models
    w, ref = ours.get_classifier().weight.detach(), sbi._fc.weight.detach()
    bound = 1 / np.sqrt(ref.shape[1])
    again = create_model(cfg, seed=5)  # same seed, same head bytes (own generator)
    assert torch.equal(again.get_classifier().weight, w)
    raw = timm.create_model(cfg["name"], pretrained=False, num_classes=2).get_classifier()
    ks = scipy.stats.ks_2samp(w.flatten().numpy(), ref.flatten().numpy())
    print(f"head weight: ours std {w.std():.5f} max {w.abs().max():.5f}; efficientnet_pytorch "
          f"std {ref.std():.5f} max {ref.abs().max():.5f}; bound {bound:.5f}; "
          f"timm's own init std {raw.weight.std():.5f}; KS p = {ks.pvalue:.3f}")  # fmt: skip
    assert w.shape == ref.shape == (2, 1792)
    assert w.abs().max() <= bound and ours.get_classifier().bias.abs().max() <= bound
    # uniform(-b, b): std = b / sqrt(3); 3584 draws -> relative sd of the estimate ~1.3 %
    assert float(w.std()) == pytest.approx(bound / np.sqrt(3), rel=0.05)
    assert ks.pvalue > 0.01
    assert raw.weight.std() > 10 * w.std()  # what the re-initialisation replaces


def test_nrs_features_do_not_see_the_head_dropout(models):
    """Train mode with the blocks' drop-connect off: features equal eval-mode features
    (head dropout p=0.4 is not applied to them), while the logits still see dropout."""
    _, ours, _ = models
    model = copy.deepcopy(ours)
    assert model.drop_rate == pytest.approx(0.4)
    x = torch.rand(2, 3, 96, 96, generator=torch.Generator().manual_seed(1))
    model.eval()
    with torch.no_grad():
        f_eval, l_eval = features_and_logits(model, x)
        torch.testing.assert_close(l_eval, model(x), rtol=0, atol=0)
    model.train()
    for m in model.modules():  # BN in eval (running stats), drop-connect inside blocks off
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.eval()
        if hasattr(m, "drop_path") and hasattr(m.drop_path, "drop_prob"):
            m.drop_path.drop_prob = 0.0
    with torch.no_grad():
        torch.manual_seed(2)
        f_train, l_train = features_and_logits(model, x)
        torch.manual_seed(2)
        l_forward = model(x)
    diff = (f_train - f_eval).abs().max()
    zeros = float((f_train == 0).float().mean())
    print(
        f"features train vs eval: max |diff| {diff:.2e}, zero share {zeros:.3f}; "
        f"logits train vs eval: max |diff| {(l_train - l_eval).abs().max():.2e}"
    )
    torch.testing.assert_close(f_train, f_eval, rtol=0, atol=0)
    assert not torch.allclose(l_train, l_eval)  # dropout still reaches the classifier
    torch.testing.assert_close(l_train, l_forward, rtol=0, atol=0)  # == model(x), same RNG


@pytest.mark.parametrize("key", ["drop_rate", "drop_path_rate"])
def test_a_missing_drop_rate_is_an_error_naming_the_key(key):
    cfg = copy.deepcopy(load_config()["baseline"]["model"])
    cfg["pretrained"] = None
    del cfg[key]
    with pytest.raises(ValueError, match=rf"model\.{key}"):
        create_model(cfg, seed=5)
