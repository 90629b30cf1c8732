"""Released SBI weights -> our ``model.pt`` (timm ``tf_efficientnet_b4``).

SBI's ``.tar`` files are ``torch.save({"model": state_dict, ...})`` of
``EfficientNet.from_name("efficientnet-b4", num_classes=2)`` (efficientnet_pytorch 0.7.1,
docs/sbi-recipe.md §4). Its static "same" padding, BN eps 1e-3 and Swish match timm's
``tf_efficientnet_b4`` (TF "same" padding computed per input), so the conversion is a
renaming of keys; tests check the logits against efficientnet_pytorch itself. Blocks are
numbered flat there (``_blocks.N``) and per stage in timm (``blocks.S.I``): both list the
same blocks in the same order. Files load with ``weights_only=True`` only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import timm
import torch

from adfd.train.model import (
    NUM_CLASSES,
    load_checkpoint,
    plain_state_dict,
    save_model,
    set_batchnorm,
)

SBI_BN = {"bn_momentum": 0.01, "bn_eps": 1e-3}  # efficientnet_pytorch b4

# efficientnet_pytorch name -> timm name, inside one block (expanding or not).
_EXPAND = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw",
           "_bn1": "bn2", "_se_reduce": "se.conv_reduce", "_se_expand": "se.conv_expand",
           "_project_conv": "conv_pwl", "_bn2": "bn3"}  # fmt: skip
_NO_EXPAND = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_se_reduce": "se.conv_reduce",
              "_se_expand": "se.conv_expand", "_project_conv": "conv_pw",
              "_bn2": "bn2"}  # fmt: skip
_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2",
        "_fc": "classifier"}  # fmt: skip
FORMATS = ("efficientnet_pytorch",)


def efficientnet_pytorch_to_timm(
    state: dict[str, torch.Tensor], model: torch.nn.Module
) -> dict[str, torch.Tensor]:
    """Rename an efficientnet_pytorch state dict to ``model``'s (a timm EfficientNet) keys."""
    blocks = [f"blocks.{s}.{i}" for s, stage in enumerate(model.blocks) for i in range(len(stage))]
    expanding = {
        int(m.group(1)) for k in state if (m := re.match(r"_blocks\.(\d+)\._expand_conv", k))
    }
    out = {}
    for key, value in state.items():
        m = re.match(r"_blocks\.(\d+)\.(\w+)\.(.+)$", key)
        if m:
            n, part, leaf = int(m.group(1)), m.group(2), m.group(3)
            names = _EXPAND if n in expanding else _NO_EXPAND
            new = f"{blocks[n]}.{names[part]}.{leaf}"
        else:
            part, leaf = key.split(".", 1)
            new = f"{_TOP[part]}.{leaf}"
        out[new] = value
    target = model.state_dict()
    missing, extra = sorted(set(target) - set(out)), sorted(set(out) - set(target))
    if missing or extra:
        raise ValueError(f"layout mismatch: missing {missing[:5]}, unexpected {extra[:5]}")
    for k, v in out.items():
        if v.shape != target[k].shape:
            raise ValueError(f"{k}: shape {tuple(v.shape)} != {tuple(target[k].shape)}")
    return out


def convert_checkpoint(
    src: Path,
    dst: Path,
    *,
    fmt: str = "efficientnet_pytorch",
    model_name: str = "tf_efficientnet_b4",
    image_size: int = 380,
    test_margin: float = 0.125,
    name: str = "",
) -> dict[str, Any]:
    """Convert an external checkpoint into ``model.pt`` (weights + meta) for evaluation."""
    if fmt not in FORMATS:
        raise KeyError(f"unknown checkpoint format '{fmt}'; known: {', '.join(FORMATS)}")
    ckpt = load_checkpoint(Path(src))
    state = ckpt.get("model", ckpt) if isinstance(ckpt, dict) else ckpt
    state = {k.removeprefix("module."): v for k, v in state.items()}  # DataParallel saves
    state = {k.removeprefix("net."): v for k, v in state.items()}  # SBI's Detector wrapper
    state = plain_state_dict(state)  # saved from a torch.compile'd module
    model = timm.create_model(model_name, pretrained=False, num_classes=NUM_CLASSES)
    set_batchnorm(model, SBI_BN["bn_momentum"], SBI_BN["bn_eps"])
    model.load_state_dict(efficientnet_pytorch_to_timm(state, model))
    meta = {
        "model_name": model_name,
        "image_size": int(image_size),
        "test_margin": float(test_margin),
        "checkpoint": f"external:{name}" if name else "external",
        "checkpoint_epoch": ckpt.get("epoch") if isinstance(ckpt.get("epoch"), int) else None,
        "source": str(src),
        "source_format": fmt,
        "seed": None,
        **SBI_BN,
    }
    save_model(Path(dst), model.eval(), meta)
    return meta
