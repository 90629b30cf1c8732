"""Detector construction by timm name (EfficientNet-b4, §4.1) and safe checkpoint I/O.

``pretrained`` is a timm tag (``tf_efficientnet_b4.ap_in1k``: the AdvProp weights SBI used),
a local file, or null. Downloads happen only when ``allow_download`` is true; otherwise the
weights must already be in the Hugging Face cache or on disk, and a miss names what to set.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import timm
import torch
import torch.nn.functional as F

NUM_CLASSES = 2  # real / fake logits; score = softmax[:, 1] (docs/sbi-recipe.md §4)


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """The network's input: (H, W, 3) uint8 RGB -> (3, H, W) float32 in [0, 1] (no mean/std,
    as SBI). Shared by training and evaluation, so scoring never imports the synthesis."""
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255.0)


def create_model(
    model_cfg: dict[str, Any], *, allow_download: bool = False, seed: int = 0
) -> torch.nn.Module:
    """The detector as SBI builds it (docs/sbi-recipe.md §4): BatchNorm momentum/eps from
    ``model.bn_momentum``/``bn_eps`` and a freshly initialised 2-class head (``seed``)."""
    model = _create_timm(model_cfg, allow_download=allow_download)
    set_batchnorm(model, model_cfg.get("bn_momentum"), model_cfg.get("bn_eps"))
    init_classifier(model, seed)
    return model


def set_batchnorm(model: torch.nn.Module, momentum: float | None, eps: float | None) -> int:
    """Set every BatchNorm layer's momentum (PyTorch convention: weight of the new batch)
    and eps; None keeps timm's value. Returns the number of layers set.

    efficientnet_pytorch's b4 (SBI) uses momentum 0.01 (TF's decay 0.99) and eps 1e-3;
    timm builds momentum 0.1.
    """
    layers = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in layers:
        if momentum is not None:
            m.momentum = float(momentum)
        if eps is not None:
            m.eps = float(eps)
    return len(layers)


def init_classifier(model: torch.nn.Module, seed: int) -> None:
    """Re-initialise the new 2-class head with ``nn.Linear``'s default (kaiming uniform,
    a = sqrt(5): weights and bias within +-1/sqrt(fan_in)), as efficientnet_pytorch leaves
    SBI's ``_fc``; timm's own head init is about 30x wider. Own generator: deterministic
    and independent of the global RNG."""
    head = model.get_classifier()
    if not isinstance(head, torch.nn.Linear):
        raise TypeError(f"expected a Linear classifier, got {type(head).__name__}")
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        torch.nn.init.kaiming_uniform_(head.weight, a=5**0.5, generator=g)
        bound = 1 / head.in_features**0.5
        head.bias.uniform_(-bound, bound, generator=g)


def _create_timm(model_cfg: dict[str, Any], *, allow_download: bool) -> torch.nn.Module:
    name, pretrained = model_cfg["name"], model_cfg["pretrained"]
    # Regularisation of SBI's efficientnet_pytorch b4: dropout 0.4 before the head,
    # drop-connect 0.2 scaled over the blocks (timm: drop_path_rate). Both required: a
    # missing rate is an error, not a silent 0.
    missing = [k for k in ("drop_rate", "drop_path_rate") if k not in model_cfg]
    if missing:
        raise ValueError(
            f"model config for {name} lacks {', '.join(f'model.{k}' for k in missing)} "
            "(SBI's b4: drop_rate 0.4, drop_path_rate 0.2; 0 turns them off)"
        )
    drops = {k: float(model_cfg[k]) for k in ("drop_rate", "drop_path_rate")}
    if pretrained is None:
        return timm.create_model(name, pretrained=False, num_classes=NUM_CLASSES, **drops)
    if Path(pretrained).is_file():
        return timm.create_model(
            name,
            pretrained=True,
            num_classes=NUM_CLASSES,
            pretrained_cfg_overlay={"file": str(pretrained)},
            **drops,
        )
    arch = pretrained.split(".")[0]
    if arch != name:
        raise ValueError(
            f"model.pretrained '{pretrained}' is for '{arch}', but model.name is '{name}'"
        )
    previous = os.environ.get("HF_HUB_OFFLINE")
    if not allow_download:
        os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        return timm.create_model(pretrained, pretrained=True, num_classes=NUM_CLASSES, **drops)
    except Exception as err:  # timm/hub raise many types; re-raised with the fix
        raise RuntimeError(
            f"cannot load pretrained weights '{pretrained}' "
            f"({'download failed' if allow_download else 'not in the local cache'}): {err}. "
            "Set allow_download: true, point model.pretrained to a local weights file, "
            "or set it to null to train from scratch."
        ) from err
    finally:
        if previous is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = previous


def save_model(path: Path, model: torch.nn.Module, meta: dict[str, Any]) -> None:
    """Write weights + plain metadata atomically (loadable with ``weights_only=True``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"model": plain_state_dict(model.state_dict()), "meta": meta}, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Load a checkpoint without unpickling arbitrary objects."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises UnpicklingError or RuntimeError variants
        raise RuntimeError(
            f"{path}: refusing to load: not loadable with torch.load(weights_only=True) "
            f"({err}). Re-save it as a plain state dict."
        ) from err


def plain_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keys without ``torch.compile``'s ``_orig_mod.`` wrapper prefix (a compiled module's
    state dict), so weights load into an eager or compiled model alike."""
    return {k.replace("_orig_mod.", ""): v for k, v in state.items()}


def load_model(path: Path) -> tuple[torch.nn.Module, dict[str, Any]]:
    ckpt = load_checkpoint(path)
    meta = ckpt["meta"]
    model = timm.create_model(meta["model_name"], pretrained=False, num_classes=NUM_CLASSES)
    # eps changes eval outputs; checkpoints from before it was recorded keep timm's value
    set_batchnorm(model, meta.get("bn_momentum"), meta.get("bn_eps"))
    model.load_state_dict(plain_state_dict(ckpt["model"]))
    return model.eval(), meta


def features_and_logits(model: torch.nn.Module, images: torch.Tensor):
    """One forward: the encoder features E(I; Θ) of Eq. 5-9 and the logits, as
    ``model(images)`` computes them.

    The features are the model family's own pre-logits (timm's ``forward_head(...,
    pre_logits=True)``: pooling, and e.g. MobileNetV3's ``conv_head``/``norm_head``/``act2``
    or ConvNeXt's norm) with the head's dropout switched off; the logits are the classifier
    applied to those features after that dropout, one ``F.dropout`` with the model's
    ``drop_rate``, as every timm head does (SBI: NRS features before the dropout). At rate 0
    no dropout is called (no RNG draw), as in timm.
    """
    with _head_dropout_off(model) as rate:
        features = model.forward_head(model.forward_features(images), pre_logits=True)
    dropped = F.dropout(features, p=rate, training=model.training) if rate > 0 else features
    return features, model.get_classifier()(dropped)


@contextlib.contextmanager
def _head_dropout_off(model: torch.nn.Module):
    """Within: the head's dropout is off, both timm's forms of it: the model's
    ``drop_rate`` attribute (functional dropout in ``forward_head``: EfficientNet, ResNet)
    and ``nn.Dropout`` modules of the head (``head.drop``: ByobNet, ConvNeXt; ``head_drop``:
    ViT). Dropout inside the encoder is untouched. Yields the head's dropout rate."""
    head = [
        m
        for name, m in model.named_modules()
        if isinstance(m, torch.nn.Dropout) and name.split(".")[0] in ("head", "head_drop")
    ]
    rate = getattr(model, "drop_rate", None)
    saved = [m.p for m in head]
    try:
        if rate is not None:
            model.drop_rate = 0.0
        for m in head:
            m.p = 0.0
        yield float(rate if rate is not None else max(saved, default=0.0))
    finally:
        if rate is not None:
            model.drop_rate = rate
        for m, p in zip(head, saved, strict=True):
            m.p = p


def autocast(device: torch.device, precision: str):
    """``train.precision``: fp32 runs as is; bf16 under torch.autocast (bfloat16)."""
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    if precision != "fp32":
        raise ValueError(f"train.precision must be fp32 or bf16, got {precision!r}")
    return contextlib.nullcontext()
