"""The RetinaFace-ResNet50 network, its prior boxes and their decoding, as ternaus/retinaface
(``retinaface_pytorch`` 0.0.8, MIT licence, (c) Vladimir Iglovikov) defines them for model
``resnet50_2020-07-20`` (docs/sbi-recipe.md §2, §5); the detector that runs it, its weights
and its pre- and post-processing: :mod:`adfd.preprocess.retinaface_r50`.

The state-dict keys are the same, so the released ternaus weights load unchanged:

- ``body.*``: torchvision ResNet-50 up to ``layer4`` (IntermediateLayerGetter, layers 2-4);
- ``fpn.*``: 1x1 lateral convs (512/1024/2048 -> 256) and two 3x3 merge convs;
- ``ssh1..3.*``: SSH context modules (3x3 | 5x5 | 7x7 branches, 128 + 64 + 64 channels);
- ``ClassHead/BboxHead/LandmarkHead.{0,1,2}.conv1x1``: 2 anchors per cell, 2/4/10 outputs.

Priors per input shape: min sizes [[16, 32], [64, 128], [256, 512]], steps [8, 16, 32],
variances [0.1, 0.2].
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

MIN_SIZES = ((16, 32), (64, 128), (256, 512))
STEPS = (8, 16, 32)
VARIANCE = (0.1, 0.2)
RETURN_LAYERS = {"layer2": "0", "layer3": "1", "layer4": "2"}


def _conv_bn(cin: int, cout: int, k: int, relu: bool) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, k, 1, k // 2, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if relu:  # out_channels 256 > 64: ternaus uses leaky slope 0, i.e. ReLU
        layers.append(nn.LeakyReLU(0.0, inplace=True))
    return nn.Sequential(*layers)


class SSH(nn.Module):
    """Single-stage headless context module: 3x3, 5x5 and 7x7 receptive fields, concatenated."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv3X3 = _conv_bn(channels, channels // 2, 3, relu=False)
        self.conv5X5_1 = _conv_bn(channels, channels // 4, 3, relu=True)
        self.conv5X5_2 = _conv_bn(channels // 4, channels // 4, 3, relu=False)
        self.conv7X7_2 = _conv_bn(channels // 4, channels // 4, 3, relu=True)
        self.conv7x7_3 = _conv_bn(channels // 4, channels // 4, 3, relu=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c5_1 = self.conv5X5_1(x)
        c7_2 = self.conv7X7_2(c5_1)
        out = torch.cat([self.conv3X3(x), self.conv5X5_2(c5_1), self.conv7x7_3(c7_2)], dim=1)
        return F.relu(out)


class FPN(nn.Module):
    """Feature pyramid over strides 8, 16, 32 (nearest upsampling, top-down)."""

    def __init__(self, in_channels: tuple[int, int, int], out: int) -> None:
        super().__init__()
        self.output1 = _conv_bn(in_channels[0], out, 1, relu=True)
        self.output2 = _conv_bn(in_channels[1], out, 1, relu=True)
        self.output3 = _conv_bn(in_channels[2], out, 1, relu=True)
        self.merge1 = _conv_bn(out, out, 3, relu=True)
        self.merge2 = _conv_bn(out, out, 3, relu=True)

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        o1, o2, o3 = self.output1(feats[0]), self.output2(feats[1]), self.output3(feats[2])
        o2 = self.merge2(o2 + F.interpolate(o3, size=o2.shape[2:], mode="nearest"))
        o1 = self.merge1(o1 + F.interpolate(o2, size=o1.shape[2:], mode="nearest"))
        return [o1, o2, o3]


class _Head(nn.Module):
    def __init__(self, channels: int, outputs: int, anchors: int = 2) -> None:
        super().__init__()
        self.outputs = outputs
        self.conv1x1 = nn.Conv2d(channels, anchors * outputs, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1x1(x).permute(0, 2, 3, 1).contiguous()
        return out.view(out.shape[0], -1, self.outputs)


class RetinaFaceR50(nn.Module):
    """``forward(x) -> (loc (B, P, 4), conf logits (B, P, 2), landmarks (B, P, 10))``."""

    def __init__(self) -> None:
        super().__init__()
        from torchvision.models import resnet50
        from torchvision.models._utils import IntermediateLayerGetter

        self.body = IntermediateLayerGetter(resnet50(weights=None), RETURN_LAYERS)
        self.fpn = FPN((512, 1024, 2048), 256)
        self.ssh1, self.ssh2, self.ssh3 = SSH(256), SSH(256), SSH(256)
        self.ClassHead = nn.ModuleList(_Head(256, 2) for _ in range(3))
        self.BboxHead = nn.ModuleList(_Head(256, 4) for _ in range(3))
        self.LandmarkHead = nn.ModuleList(_Head(256, 10) for _ in range(3))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        fpn = self.fpn(list(self.body(x).values()))
        feats = [self.ssh1(fpn[0]), self.ssh2(fpn[1]), self.ssh3(fpn[2])]
        loc = torch.cat([h(f) for h, f in zip(self.BboxHead, feats, strict=True)], dim=1)
        conf = torch.cat([h(f) for h, f in zip(self.ClassHead, feats, strict=True)], dim=1)
        land = torch.cat([h(f) for h, f in zip(self.LandmarkHead, feats, strict=True)], dim=1)
        return loc, conf, land


def prior_boxes(height: int, width: int) -> torch.Tensor:
    """(P, 4) ``cx, cy, w, h`` priors of a ``height x width`` input, normalised per axis.

    Row-major cells of each stride, the two anchor sizes of a cell next to each other; x is
    normalised by the width and y by the height (ternaus ``priorbox`` for a non-square
    input), computed in float64 and stored as float32.
    """
    out = []
    for step, sizes in zip(STEPS, MIN_SIZES, strict=True):
        rows, cols = math.ceil(height / step), math.ceil(width / step)
        cy = (torch.arange(rows, dtype=torch.float64) + 0.5) * step / height
        cx = (torch.arange(cols, dtype=torch.float64) + 0.5) * step / width
        cy, cx = torch.meshgrid(cy, cx, indexing="ij")
        per_size = [
            torch.stack(
                [cx, cy, torch.full_like(cx, s / width), torch.full_like(cx, s / height)], -1
            )
            for s in sizes
        ]
        out.append(torch.stack(per_size, dim=2).reshape(-1, 4))
    return torch.cat(out).float()


def decode_boxes(loc: torch.Tensor, priors: torch.Tensor) -> torch.Tensor:
    """``x0, y0, x1, y1`` (normalised) from box regressions (SSD encoding, variances 0.1/0.2).

    The same float32 operations in the same order as ternaus ``decode``: centre and size,
    then ``x0 = cx - w / 2`` and ``x1 = x0 + w``.
    """
    centre = priors[:, :2] + loc[..., :2] * VARIANCE[0] * priors[:, 2:]
    size = priors[:, 2:] * torch.exp(loc[..., 2:] * VARIANCE[1])
    corner = centre - size / 2
    return torch.cat([corner, size + corner], dim=-1)


def decode_keypoints(land: torch.Tensor, priors: torch.Tensor) -> torch.Tensor:
    """(..., 5, 2) normalised keypoints from landmark regressions."""
    offsets = land.reshape(*land.shape[:-1], 5, 2)
    return priors[:, None, :2] + offsets * VARIANCE[0] * priors[:, None, 2:]
