"""Data of the mask figures (Fig. 4, Fig. 7), built on the public synthesis functions.

Both work on the landmark crop of one real face, without the affine and elastic warps, so the
figure shows the mask generator alone; every variant of one figure shares the same random
draws and differs only by the axis the figure is about.
"""

from __future__ import annotations

import numpy as np

from adfd.synthesis.bbmg import VARIANTS, bbmg_layers, blurred_parts, draw_features
from adfd.synthesis.blur import blend_mask_with, draw_blur_params
from adfd.synthesis.masks import sbi_hull
from adfd.synthesis.pipeline import landmark_crop

# Fig. 4: SBI's baseline blur (docs/sbi-recipe.md §3): 192..256 px, k1, k2 in {5..25 odd},
# sigma2 5..45.
FIG4_BLUR = {"name": "gaussian", "resize": [192, 256], "kernel": [5, 25], "sigma2": [5, 45]}
# Table 12 rows 1-3 (``synthesis.mask.bbmg.variant``) as labelled in Fig. 7.
FIG7_LABELS = {
    "global_only": "1: global only",
    "narrowed_local": "2: narrowed local",
    "full": "3: full",
}


def fig4_masks(
    frame: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator, blur_cfg: dict | None = None
) -> dict[str, np.ndarray]:
    """Paper Fig. 4 data: one hull mask blurred as uint8 (value 1 and 255) and as float32.

    All variants share the same random blur draws, so they differ only by the mask dtype.
    Returns ``image`` (landmark crop, uint8), ``hull`` (float32 {0, 1}) and the blurred
    ``uint8``, ``uint8_255``, ``float32`` masks (float in [0, 1]) at crop size.
    """
    blur_cfg = FIG4_BLUR if blur_cfg is None else blur_cfg
    lm = np.asarray(landmarks, dtype=np.float64)
    image, lm, _ = landmark_crop(np.asarray(frame), lm, np.zeros(4))
    shape = image.shape[:2]
    params = draw_blur_params(blur_cfg, rng)
    variants = {"uint8": ("uint8", 1), "uint8_255": ("uint8", 255), "float32": ("float32", 1)}
    out = {"image": image, "hull": sbi_hull(lm, shape, rng, dtype="float32", value=1)}
    for key, (dtype, value) in variants.items():
        hull = sbi_hull(lm, shape, rng, dtype=dtype, value=value, line_type="LINE_8")
        out[key] = blend_mask_with(hull, blur_cfg, params).astype(np.float32)
    return out


def bbmg_variant_masks(
    frame: np.ndarray, landmarks: np.ndarray, synthesis_cfg: dict, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Paper Fig. 7 data: M_final of the three Table 12 variants from the same draws.

    (H, W) float32 in [0, 1] each, keyed ``1: global only``, ``2: narrowed local``,
    ``3: full``.
    """
    mask_cfg = synthesis_cfg["mask"]
    own = mask_cfg.get("bbmg") or {}
    image, lm, _ = landmark_crop(np.asarray(frame), np.asarray(landmarks, float), np.zeros(4))
    features = draw_features(rng, own.get("feature_p", 0.5))
    layers = bbmg_layers(
        lm,
        image.shape[:2],
        features,
        mask_cfg.get("dtype", "float32"),
        mask_cfg.get("value", 255),
        mask_cfg.get("line_type", "LINE_8"),
    )
    blur_cfg = synthesis_cfg["blur"]
    params_global = draw_blur_params(blur_cfg, rng)
    params_local = draw_blur_params(blur_cfg, rng)
    parts = blurred_parts(layers, blur_cfg, params_global, params_local)
    narrow = own.get("narrow", 0.5)
    return {label: VARIANTS[v](parts, narrow) for v, label in FIG7_LABELS.items()}
