"""SBI's released layout (efficientnet_pytorch 0.7.1) -> timm tf_efficientnet_b4, same logits."""

from __future__ import annotations

import pickle

import cv2

# The reference itself (requirements-nodeps.txt): a missing package fails these tests.
import efficientnet_pytorch
import numpy as np
import pytest
import skimage.data
import torch

from adfd.train.convert import convert_checkpoint
from adfd.train.model import load_checkpoint, load_model


class Custom:  # a pickled custom object: torch.load(weights_only=True) must refuse it
    pass


def _crops(size: int = 380) -> torch.Tensor:
    image = skimage.data.astronaut()
    boxes = [(30, 150, 230, 330), (10, 120, 260, 360)]  # y0, x0, y1, x1 around the face
    crops = [cv2.resize(image[y0:y1, x0:x1], (size, size)) for y0, x0, y1, x1 in boxes]
    return torch.from_numpy(np.stack(crops).transpose(0, 3, 1, 2)).float() / 255


@pytest.mark.slow
def test_sbi_checkpoint_converts_to_identical_logits(tmp_path):
    torch.manual_seed(0)
    src = efficientnet_pytorch.EfficientNet.from_name("efficientnet-b4", num_classes=2).eval()
    with torch.no_grad():  # non-trivial BN statistics and head
        for m in src.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
        src._fc.weight.mul_(50)
    # SBI saves Detector.state_dict() (keys "net._conv_stem...") plus optimiser and epoch.
    state = {f"net.{k}": v for k, v in src.state_dict().items()}
    torch.save({"model": state, "optimizer": {"state": {}}, "epoch": 99}, tmp_path / "sbi.tar")
    meta = convert_checkpoint(tmp_path / "sbi.tar", tmp_path / "model.pt", name="sbi")
    assert meta["checkpoint_epoch"] == 99 and meta["image_size"] == 380
    model, meta = load_model(tmp_path / "model.pt")
    x = _crops()
    with torch.no_grad():
        expected, got = src(x), model(x)
        feat_src = src._avg_pooling(src.extract_features(x)).flatten(1)
        feat_dst = model.forward_head(model.forward_features(x), pre_logits=True)
    assert expected.abs().max() > 0.1
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(feat_dst, feat_src, atol=1e-5, rtol=1e-5)


def test_checkpoint_needing_arbitrary_pickle_is_refused(tmp_path):
    path = tmp_path / "evil.tar"
    with open(path, "wb") as fh:
        pickle.dump({"model": Custom()}, fh, protocol=2)
    with pytest.raises(RuntimeError, match=r"refusing to load.*weights_only=True"):
        load_checkpoint(path)
    with pytest.raises(RuntimeError, match="refusing to load"):
        convert_checkpoint(path, tmp_path / "model.pt")
    torch.save({"model": {"w": torch.zeros(1)}, "meta": Custom()}, path)
    with pytest.raises(RuntimeError, match="refusing to load"):
        load_checkpoint(path)


def test_checkpoint_of_a_compiled_model_converts_like_the_plain_one(tmp_path):
    """Keys saved from a torch.compile'd module (``_orig_mod.``) convert to the same weights."""
    torch.manual_seed(0)
    src = efficientnet_pytorch.EfficientNet.from_name("efficientnet-b4", num_classes=2)
    plain = src.state_dict()
    torch.save({"model": plain}, tmp_path / "plain.tar")
    compiled = torch.compile(src).state_dict()  # never called: nothing is compiled
    assert all(k.startswith("_orig_mod.") for k in compiled)
    torch.save({"model": compiled}, tmp_path / "compiled.tar")
    for name in ("plain", "compiled"):
        convert_checkpoint(tmp_path / f"{name}.tar", tmp_path / f"{name}.pt")
    a, b = load_checkpoint(tmp_path / "plain.pt"), load_checkpoint(tmp_path / "compiled.pt")
    assert a["model"].keys() == b["model"].keys()
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
