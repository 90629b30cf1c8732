"""Boundary Blur Mask Generator (paper §3.3, Eq. 2-4; Table 12 variants, Fig. 7).

- M_landmark: the convex hull of every landmark given (81, or 68 after the truncation), drawn
  on the configured canvas like ``sbi_hull`` (the LAL's ``facehull``).
- Features {left eye, right eye, nose, mouth}: the convex hulls of iBUG-68 points 36-41,
  42-47, 27-35 and 48-59, grown by 1/8 of the inter-eye distance (eyelids, nose wings, lip
  margin) and clipped to M_landmark ("extracted from the global mask"). Each joins M_local
  independently with p = ``feature_p``; an empty draw is redrawn.
- M_local = M_landmark · [union of the chosen features], M_global = M_landmark - M_local (Eq. 2).
- Boundary blur, each layer with its own draw of ``synthesis.blur`` (working size, k1, k2,
  sigma2): M_global^b = SBI's blend mask of M_global, except that the first pass (SBI's
  float32 erosion) acts on the face outline only and the holes are cut after it; each
  chosen feature gets the feathering pass alone, normalised to max 1; M_local^b = their max.
- Variants (Table 12): ``global_only`` M_final = M_global^b; ``narrowed_local`` each feature's
  blurred mask scaled by ``narrow`` about its centroid before the maximum; ``full`` Eq. 3.

``bbmg`` returns a ``SelfBlurred``: the layers (M_landmark, chosen features) are warped with the
source by the pipeline's affine and elastic, then ``bbmg_finish`` blurs them: the same order as
SBI (warp, then blur), and the pipeline never applies ``synthesis.blur`` to M_final again.
Eq. 4 is the configured blend (``BLENDS``) with M = ratio x M_final.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import cv2
import numpy as np

from adfd.registries import MASKS
from adfd.synthesis.blur import draw_blur_params, erode_outline, feather_small
from adfd.synthesis.masks import Canvas, SelfBlurred, channel_max, on_canvas, sbi_hull

# paper §3.3: left eye, right eye, nose, mouth (iBUG-68 index groups)
FEATURES: dict[str, range] = {
    "left_eye": range(36, 42),
    "right_eye": range(42, 48),
    "nose": range(27, 36),
    "mouth": range(48, 60),
}
FEATURE_MARGIN = 1 / 8  # of the inter-eye distance: about the eyelid height


class BlurredParts(NamedTuple):
    global_b: np.ndarray  # (H, W) float32 in [0, 1]: M_global^b at crop size
    features: list[tuple[np.ndarray, tuple[float, float]]]  # (h, w) blurred feature, centroid
    shape: tuple[int, int]  # (H, W) crop size


def draw_features(rng: np.random.Generator, feature_p: float) -> tuple[str, ...]:
    """Chosen features: each with p = ``feature_p``, independently; redrawn while empty."""
    if not 0 < feature_p <= 1:
        raise ValueError(f"synthesis.mask.bbmg.feature_p must be in (0, 1], got {feature_p}")
    while True:
        chosen = rng.random(len(FEATURES)) < feature_p
        if chosen.any():
            return tuple(f for f, c in zip(FEATURES, chosen, strict=True) if c)


def feature_region(landmarks: np.ndarray, shape: tuple[int, int], feature: str) -> np.ndarray:
    """(H, W) bool: the feature's landmark hull grown by ``FEATURE_MARGIN`` x inter-eye distance.

    The distance transform runs on the hull's box grown by the margin and a few pixels: a
    pixel outside it is farther than the margin, and the 5 x 5 chamfer distance of a pixel
    inside depends only on pixels between it and the hull, inside the same box.
    """
    lm = np.asarray(landmarks, dtype=np.float64)[:68]
    eyes = np.linalg.norm(lm[36:42].mean(axis=0) - lm[42:48].mean(axis=0))
    reach = FEATURE_MARGIN * eyes
    points = cv2.convexHull(lm[FEATURES[feature]].astype(np.int32))
    grow = int(np.ceil(1.1 * reach)) + 3  # the chamfer distance errs by < 2 % of the distance
    x0, y0 = np.maximum(points.reshape(-1, 2).min(axis=0) - grow, 0)
    x1, y1 = np.minimum(points.reshape(-1, 2).max(axis=0) + grow + 1, (shape[1], shape[0]))
    region = np.zeros(shape, bool)
    if x1 <= x0 or y1 <= y0:  # the feature lies outside the crop
        return region
    hull = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(hull, points - np.array([x0, y0], dtype=np.int32), 1)
    region[y0:y1, x0:x1] = cv2.distanceTransform(1 - hull, cv2.DIST_L2, 5) <= reach
    return region


def bbmg_layers(
    landmarks: np.ndarray,
    shape: tuple[int, int],
    features: tuple[str, ...],
    dtype: str,
    value: float,
    line_type: str,
) -> np.ndarray:
    """(H, W, 1 + F) of ``dtype``: M_landmark, then each chosen feature within M_landmark."""
    m_landmark = sbi_hull(landmarks, shape, None, dtype=dtype, value=value, line_type=line_type)
    zero = m_landmark.dtype.type(0)
    parts = (np.where(feature_region(landmarks, shape, f), m_landmark, zero) for f in features)
    return np.dstack([m_landmark, *parts])


def split_landmark(layers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Extract the chosen features from the face (Eq. 2).

    M_global(i, j) = M_landmark(i, j) - M_local(i, j), M_local = max over the feature layers;
    layers: (H, W, 1 + F) from ``bbmg_layers``. Returns (M_global, M_local), canvas dtype.
    """
    m_local = channel_max(layers[..., 1:])
    return layers[..., 0] - m_local, m_local


def _centroid(layer: np.ndarray) -> tuple[float, float]:
    m = cv2.moments(layer)
    return m["m10"] / m["m00"], m["m01"] / m["m00"]


def _small(layer: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    h, w = size
    return cv2.resize(np.ascontiguousarray(layer), (w, h))  # bilinear, keeps the dtype


def blurred_global(layers: np.ndarray, blur_cfg: dict, params: dict) -> np.ndarray:
    """M_global^b at crop size: outline eroded (SBI first pass), holes cut, feathered."""
    height, width = layers.shape[:2]
    outline = erode_outline(_small(layers[..., 0], params["size"]), blur_cfg, params)
    local = _small(channel_max(layers[..., 1:]).astype(np.float32, copy=False), params["size"])
    cut = outline.astype(np.float32, copy=False) * (1 - local / max(local.max(), 1e-12))
    return cv2.resize(feather_small(cut, blur_cfg, params), (width, height)).astype(np.float32)


def blurred_parts(
    layers: np.ndarray, blur_cfg: dict, params_global: dict, params_local: dict
) -> BlurredParts:
    """M_global^b and each feature's feathered mask (at the local working size, with centroid)."""
    h, w = params_local["size"]
    small = _small(layers[..., 1:].astype(np.float32, copy=False), (h, w)).reshape(h, w, -1)
    features = []
    for i in range(small.shape[2]):
        layer = small[..., i]
        peak = layer.max()
        if peak <= 0:  # the feature left the frame (affine border): nothing to blend
            continue
        layer = layer / peak
        blurred = feather_small(layer, blur_cfg, params_local).astype(np.float32)
        features.append((blurred, _centroid(layer)))
    global_b = blurred_global(layers, blur_cfg, params_global)
    return BlurredParts(global_b, features, layers.shape[:2])


def merge_local(parts: BlurredParts, scale: float) -> np.ndarray:
    """M_local^b at crop size: the max of the feature masks, each scaled about its centroid."""
    height, width = parts.shape
    if not parts.features:
        return np.zeros((height, width), np.float32)
    h, w = parts.features[0][0].shape
    acc = np.zeros((h, w), np.float32)
    for blurred, (cx, cy) in parts.features:
        if scale != 1:
            matrix = np.array([[scale, 0, cx * (1 - scale)], [0, scale, cy * (1 - scale)]])
            blurred = cv2.warpAffine(blurred, matrix, (w, h), flags=cv2.INTER_LINEAR)
        np.maximum(acc, blurred, out=acc)
    return cv2.resize(acc, (width, height))


def _global_only(parts: BlurredParts, narrow: float) -> np.ndarray:
    return parts.global_b


def _narrowed_local(parts: BlurredParts, narrow: float) -> np.ndarray:
    return np.maximum(parts.global_b, merge_local(parts, narrow))


def final_mask(parts: BlurredParts, narrow: float) -> np.ndarray:
    """Merge the blurred masks (Eq. 3).

    M_final(i, j) = max(M_global^b(i, j), M_local^b(i, j)); (H, W) float32 in [0, 1].
    """
    return np.maximum(parts.global_b, merge_local(parts, 1.0))


# Table 12 rows 1-3 (``synthesis.mask.bbmg.variant``) and their Fig. 7 labels.
VARIANTS: dict[str, Callable[[BlurredParts, float], np.ndarray]] = {
    "global_only": _global_only,
    "narrowed_local": _narrowed_local,
    "full": final_mask,
}


def bbmg_finish(
    layers: np.ndarray, blur_cfg: dict, rng: np.random.Generator, *, variant: str, narrow: float
) -> np.ndarray:
    """``SelfBlurred.finish``: draw the global, then the local blur, and merge per variant."""
    params_global = draw_blur_params(blur_cfg, rng)
    params_local = draw_blur_params(blur_cfg, rng)
    return VARIANTS[variant](blurred_parts(layers, blur_cfg, params_global, params_local), narrow)


@MASKS.register("bbmg")
@on_canvas()
def bbmg(
    landmarks: np.ndarray,
    shape: tuple[int, int],
    rng: np.random.Generator,
    canvas: Canvas,
    *,
    variant: str = "full",
    feature_p: float = 0.5,
    narrow: float = 0.5,
) -> SelfBlurred:
    """BBMG layers (M_landmark and the chosen features) with their own boundary blur (Eq. 2-3)."""
    if variant not in VARIANTS:
        raise KeyError(
            f"unknown synthesis.mask.bbmg.variant '{variant}'; allowed: {', '.join(VARIANTS)}"
        )
    features = draw_features(rng, feature_p)
    layers = bbmg_layers(landmarks, shape, features, *canvas)
    return SelfBlurred(layers, functools.partial(bbmg_finish, variant=variant, narrow=narrow))
