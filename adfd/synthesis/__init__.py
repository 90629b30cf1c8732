"""Pseudo-fake synthesis: mask generation -> source-target preprocessing -> blending.

Importing this package registers the implemented axis values in ``adfd.registries``:
``MASKS`` (sbi_hull, lal), ``BLURS`` (gaussian, average, median), ``BLENDS`` (dynamic, alpha).
``sladd_local``, ``lal_or_local`` and ``bbmg`` are declared but not implemented yet: building
them raises ``NotImplementedError("not implemented: synthesis.mask.name=<name>")``.
"""

from adfd.synthesis import blend, blur, masks, transforms  # noqa: F401  (registrations)
from adfd.synthesis.blur import blend_mask, blend_mask_with, draw_blur_params
from adfd.synthesis.pipeline import Pair, fig4_masks, make_training_pair, self_blend

blend_mask_preview = blend_mask

__all__ = [
    "Pair",
    "blend_mask",
    "blend_mask_preview",
    "blend_mask_with",
    "draw_blur_params",
    "fig4_masks",
    "make_training_pair",
    "self_blend",
]
