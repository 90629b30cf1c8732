"""Every backbone the configs and tests can name works: features and logits follow the timm
family's own head, and one SAM training step runs.

The names are read from ``config.yaml`` (the baseline and every table override),
``demo/config.yaml``, ``tests/overlays/*.yaml`` and the tests' sources (any quoted string that
timm knows as a model), plus one model of each other head family timm builds (MobileNetV3's
``conv_head``, ByobNet's and ConvNeXt's ``head`` module, ViT's ``head_drop``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import timm
import torch
import torch.nn.functional as F
import yaml

from adfd.train.fast import make_optimizer
from adfd.train.model import create_model, features_and_logits

ROOT = Path(__file__).resolve().parents[2]
HEAD_FAMILIES = ("mobilenetv3_small_100", "test_byobnet", "test_convnext", "test_vit")


def _model_names(node) -> set[str]:
    if isinstance(node, dict):
        named = isinstance(node.get("name"), str) and "drop_rate" in node
        found = {node["name"]} if named else set()
        model = node.get("model")
        if isinstance(model, dict) and isinstance(model.get("name"), str):
            found.add(model["name"])
        return found.union(*(_model_names(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_model_names(v) for v in node))
    return set()


def named_backbones() -> list[str]:
    names: set[str] = set()
    for path in [ROOT / "config.yaml", ROOT / "demo/config.yaml",
                 *sorted((ROOT / "tests/overlays").glob("*.yaml"))]:  # fmt: skip
        names |= _model_names(yaml.safe_load(path.read_text()))
    for path in sorted((ROOT / "tests").rglob("*.py")):
        quoted = re.findall(r"[\"']([a-z][a-z0-9_]+)[\"']", path.read_text(encoding="utf-8"))
        names |= {q for q in quoted if "_" in q and timm.is_model(q)}
    return sorted(names)


def test_the_configs_name_the_paper_and_demo_backbones():
    names = named_backbones()
    assert {"tf_efficientnet_b4", "test_efficientnet"} <= set(names), names
    assert all(timm.is_model(n) for n in names)


def _size(name: str) -> int:
    cfg = timm.get_pretrained_cfg(name)
    fixed = cfg is not None and cfg.input_size[-1] and "vit" in name  # ViTs: fixed input size
    return cfg.input_size[-1] if fixed else 64


@pytest.mark.parametrize("name", sorted({*named_backbones(), *HEAD_FAMILIES}))
def test_features_and_logits_follow_the_family_head_and_a_sam_step_runs(name):
    torch.manual_seed(0)
    cfg = {"name": name, "pretrained": None, "drop_rate": 0.4, "drop_path_rate": 0.2,
           "bn_momentum": 0.01, "bn_eps": 0.001}  # fmt: skip
    model = create_model(cfg, seed=0)
    size = _size(name)
    images = torch.randn(4, 3, size, size, generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([0, 0, 1, 1])

    model.eval()
    features, logits = features_and_logits(model, images)
    assert features.ndim == 2 and features.shape[0] == 4
    torch.testing.assert_close(logits, model(images))  # the family's own head, eval mode
    # train mode: dropout drawn once, in the same place as timm's own forward
    model.train()
    torch.manual_seed(7)
    reference = model(images)
    torch.manual_seed(7)
    _, logits = features_and_logits(model, images)
    torch.testing.assert_close(logits, reference)
    # features come before the head's dropout: two train-mode calls give the same features
    # when the encoder has no randomness left (drop-path off)
    for m in model.modules():
        if hasattr(m, "drop_prob"):
            m.drop_prob = 0.0
    torch.manual_seed(8)
    f1, l1 = features_and_logits(model, images)
    torch.manual_seed(9)
    f2, l2 = features_and_logits(model, images)
    torch.testing.assert_close(f1, f2)
    assert not torch.equal(l1, l2)  # while the logits see dropout

    optim = {"name": "sam", "rho": 0.05, "lr": 0.01, "momentum": 0.9, "weight_decay": 0.0}
    opt = make_optimizer(model.parameters(), optim, {"compile": False, "precision": "fp32"})
    before = [p.detach().clone() for p in model.parameters()]
    F.cross_entropy(features_and_logits(model, images)[1], labels).backward()
    opt.first_step()
    loss = F.cross_entropy(features_and_logits(model, images)[1], labels)
    loss.backward()
    opt.second_step()
    assert torch.isfinite(loss)
    moved = sum(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert moved > 0.9 * len(before), f"{name}: {moved}/{len(before)} tensors updated"
