"""Pseudo-fake synthesis: mask generation -> source-target preprocessing -> blending.

Importing this package registers every implemented axis value in ``adfd.registries``:
``MASKS`` (sbi_hull, lal, sladd_local, lal_or_local, bbmg), ``BLURS`` (gaussian, average,
median), ``BLENDS`` (dynamic, alpha).
"""

from adfd.synthesis import bbmg, blend, blur, local, masks, transforms  # noqa: F401
from adfd.synthesis.bbmg import bbmg_variant_masks
from adfd.synthesis.blur import blend_mask, blend_mask_with, draw_blur_params
from adfd.synthesis.pipeline import Pair, fig4_masks, make_training_pair, self_blend

blend_mask_preview = blend_mask

__all__ = [
    "Pair",
    "bbmg_variant_masks",
    "blend_mask",
    "blend_mask_preview",
    "blend_mask_with",
    "draw_blur_params",
    "fig4_masks",
    "make_training_pair",
    "self_blend",
]
