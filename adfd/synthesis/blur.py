"""Boundary blur of the blend mask (Table 4, Fig. 4-5; docs/sbi-recipe.md §3 ``get_blend_mask``).

SBI's blend mask, for every operator registered in ``BLURS``:

1. resize the mask bilinearly to (h, w), each drawn uniformly from 192..256;
2. first pass with odd kernel k1, ``/= max``, then ``[< 1] = 0``: on a float32 mask this is
   exactly an erosion by a k1 x k1 square, on uint8 value 1 none (the blur rounds back to
   {0, 1}), on uint8 value 255 slightly less than k1 (docs/sbi-recipe.md §3, §8 table);
3. second pass with odd kernel k2 (Gaussian: sigma2 drawn from 5..45), ``/= max``;
4. resize back to (W, H) bilinearly.

Fig. 5 mode: ``fixed_kernel: K`` replaces steps 2-3 by one pass with kernel K (sigma from the
kernel) and ``/= max``; ``keep_core: true`` keeps the regions where the unblurred mask is 1
at 1 ("fixed regions in the mask without any blurring").

BBMG uses the two steps apart: ``erode_outline`` (step 2) on the face outline and
``feather_small`` (step 3) on every layer, so the erosion never widens its holes or erases
its features.

A registered operator is one filter pass ``fn(mask, k, sigma) -> mask`` of the same dtype.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from adfd.registries import BLURS


@BLURS.register("gaussian")
def gaussian(mask: np.ndarray, k: int, sigma: float) -> np.ndarray:
    """``cv2.GaussianBlur`` (k x k); ``sigma = 0`` lets OpenCV derive it from k."""
    return cv2.GaussianBlur(mask, (k, k), sigma)


@BLURS.register("average")
def average(mask: np.ndarray, k: int, sigma: float) -> np.ndarray:
    """``cv2.blur`` box filter (k x k); a box filter has no sigma."""
    return cv2.blur(mask, (k, k))


@BLURS.register("median")
def median(mask: np.ndarray, k: int, sigma: float) -> np.ndarray:
    """``cv2.medianBlur`` (k x k); has no sigma.

    OpenCV's median accepts float32 only for k in {3, 5}: a float mask in [0, 1] is taken to
    uint8 x 255 (rounded), filtered, and brought back to float32 / 255.
    """
    if mask.dtype == np.uint8:
        return cv2.medianBlur(mask, k)
    u8 = np.round(np.clip(mask, 0.0, 1.0) * 255.0).astype(np.uint8)
    return cv2.medianBlur(u8, k).astype(np.float32) / np.float32(255.0)


def draw_blur_params(blur_cfg: dict, rng: np.random.Generator) -> dict:
    """Every random value of one blend mask: working size, k1, k2, sigma2."""
    lo, hi = blur_cfg["resize"]  # SBI: np.random.randint(192, 257), h and w independently
    h, w = (int(v) for v in rng.integers(lo, hi + 1, size=2))
    klo, khi = blur_cfg["kernel"]  # SBI: random.randrange(5, 26, 2)
    odd = np.arange(klo, khi + 1, 2)
    k1, k2 = (int(v) for v in rng.choice(odd, size=2))
    sigma_cfg = blur_cfg.get("sigma2")  # SBI: np.random.randint(5, 46); null = from kernel
    sigma2 = 0 if sigma_cfg is None else int(rng.integers(sigma_cfg[0], sigma_cfg[1] + 1))
    return {"size": (h, w), "k1": k1, "k2": k2, "sigma2": sigma2}


def blur_small(mask: np.ndarray, blur_cfg: dict, params: dict) -> np.ndarray:
    """Steps 2-3 (or the Fig. 5 single pass) at the working resolution."""
    op = BLURS.get(blur_cfg["name"])
    fixed = blur_cfg.get("fixed_kernel")
    if fixed is not None:
        out = _normalise(op(mask, int(fixed), 0))
    else:
        out = first_pass(mask, op, params["k1"])
        out = _normalise(op(out, params["k2"], params["sigma2"]))
    return _keep_core(out, mask, blur_cfg)


def erode_outline(mask: np.ndarray, blur_cfg: dict, params: dict) -> np.ndarray:
    """Step 2 alone: SBI's first pass (an erosion on float32 masks), float ``/= max``.

    Under ``fixed_kernel`` (Fig. 5: no first pass) only ``/= max``. BBMG's face outline.
    """
    if blur_cfg.get("fixed_kernel") is not None:
        return _normalise(mask.astype(np.float32))
    return first_pass(mask, BLURS.get(blur_cfg["name"]), params["k1"])


def feather_small(mask: np.ndarray, blur_cfg: dict, params: dict) -> np.ndarray:
    """Step 3 alone (or the Fig. 5 single pass), ``/= max``: boundary blur without erosion.

    The first pass would erode by (k1 - 1) / 2 px at the working size, as much as a whole eye.
    Float input in [0, 1] (not uint8: the blur of a uint8 value-1 mask rounds back to binary).
    """
    op = BLURS.get(blur_cfg["name"])
    fixed = blur_cfg.get("fixed_kernel")
    k, sigma = (int(fixed), 0) if fixed is not None else (params["k2"], params["sigma2"])
    return _keep_core(_normalise(op(mask, k, sigma)), mask, blur_cfg)


def _keep_core(out: np.ndarray, mask: np.ndarray, blur_cfg: dict) -> np.ndarray:
    if blur_cfg.get("keep_core", False):
        out = out.copy()
        out[mask == mask.max()] = 1  # Fig. 5: unblurred mask == 1 stays 1
    return out


def first_pass(mask: np.ndarray, op: Callable, k1: int) -> np.ndarray:
    """Step 2: blur with k1 (sigma from the kernel), ``/= max``, ``[< 1] = 0``.

    float32 masks: exactly an erosion by a k1 x k1 square; uint8 value 1: none; uint8 value
    255: slightly less than k1 (docs/sbi-recipe.md §8 table).
    """
    out = _normalise(op(mask, k1, 0))
    out[out < 1] = 0
    return out


def blend_mask(mask: np.ndarray, blur_cfg: dict, rng: np.random.Generator) -> np.ndarray:
    """SBI ``get_blend_mask``: (H, W) uint8|float32 mask -> (H, W) float in [0, 1], max 1."""
    params = draw_blur_params(blur_cfg, rng)
    return blend_mask_with(mask, blur_cfg, params)


def blend_mask_with(mask: np.ndarray, blur_cfg: dict, params: dict) -> np.ndarray:
    """``blend_mask`` with the random values given (pure; used for paired comparisons)."""
    height, width = mask.shape[:2]
    h, w = params["size"]
    small = cv2.resize(mask, (w, h))  # bilinear, keeps the dtype (uint8 stays uint8)
    out = blur_small(small, blur_cfg, params)
    return cv2.resize(out, (width, height))


def _normalise(mask: np.ndarray) -> np.ndarray:
    peak = mask.max()
    if peak <= 0:
        raise ValueError("blend mask is empty after blurring (the hull vanished)")
    # uint8 / max gives float64, float32 / float32 stays float32, as in SBI.
    return mask / peak
