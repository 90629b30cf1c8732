"""Blending (paper Eq. 1, Table 7; docs/sbi-recipe.md §3 step 4e).

I_sb = M * I_s + (1 - M) * I_t, where M is the blurred blend mask times the blend ratio:
``dynamic`` draws the ratio uniformly from the list entries (SBI [0.25, 0.5, 0.75, 1, 1, 1]),
``alpha`` fixes it at 1 (SBI ``alpha_blend``). The float result is cast to uint8 by
truncation, as SBI's ``astype(np.uint8)``.
"""

from __future__ import annotations

import numpy as np

from adfd.registries import BLENDS
from adfd.synthesis.masks import nonzero_box


def blend(source: np.ndarray, target: np.ndarray, mask: np.ndarray, ratio: float):
    """Eq. 1 with M = ratio * mask.

    source I_s, target I_t: (H, W, 3) uint8; mask: (H, W) float in [0, 1].
    Returns (blended (H, W, 3) uint8, M (H, W) float32).

    In the mask's own dtype, as SBI: a float32 mask (float32 canvases, BBMG) blends in
    float32, a mask blurred from uint8 (``/ max`` gives float64) in float64; truncated to
    uint8, only inside the bounding box of M > 0 (outside it M = 0 and the result is I_t).
    """
    out = np.array(target, dtype=np.uint8, copy=True)
    m = np.asarray(mask)
    box = nonzero_box(m)  # mask >= 0: non-zero is > 0
    if box is not None and ratio > 0:
        roi = np.s_[box[0] : box[1], box[2] : box[3]]
        w = m[roi][..., None] * float(ratio)  # float32 stays float32 (SBI: mask *= ratio)
        out[roi] = (w * source[roi] + (1 - w) * target[roi]).astype(np.uint8)  # truncates
    return out, (m * ratio).astype(np.float32)


@BLENDS.register("dynamic")
def dynamic(source, target, mask, rng: np.random.Generator, *, ratios=(0.25, 0.5, 0.75, 1, 1, 1)):
    """SBI ``dynamic_blend``: ratio = ratios[np.random.randint(len(ratios))]."""
    ratio = float(ratios[int(rng.integers(len(ratios)))])
    return blend(source, target, mask, ratio)


@BLENDS.register("alpha")
def alpha(source, target, mask, rng: np.random.Generator, *, ratios=None):
    """SBI ``alpha_blend``: the same blend mask, ratio 1 (``ratios`` is inert)."""
    return blend(source, target, mask, 1.0)
