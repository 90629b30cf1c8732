"""Pseudo-fake synthesis: mask generation -> source-target preprocessing -> blending.

Importing this package registers every implemented axis value in ``adfd.registries``:
``MASKS`` (sbi_hull, lal, sladd_local, lal_or_local, bbmg), ``BLURS`` (gaussian, average,
median), ``BLENDS`` (dynamic, alpha).
"""

from adfd.synthesis import bbmg, blend, blur, local, masks, transforms  # noqa: F401
from adfd.synthesis.blur import blend_mask, blend_mask_with, draw_blur_params
from adfd.synthesis.pipeline import Pair, make_training_pair, self_blend

__all__ = [
    "Pair",
    "blend_mask",
    "blend_mask_with",
    "draw_blur_params",
    "make_training_pair",
    "self_blend",
]
