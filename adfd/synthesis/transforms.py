"""Source-target preprocessing and pair augmentation (Tables 5-6; docs/sbi-recipe.md §3 4c-4d, 5).

albumentations 1.x arguments of the reference, mapped explicitly to 2.0.8 (docs/environment.md):
``RGBShift(r/g/b_shift_limit)``, ``HueSaturationValue(hue/sat/val_shift_limit)``,
``RandomBrightnessContrast(brightness_limit, contrast_limit)``, ``Sharpen(alpha, lightness)``
keep their names; ``ImageCompression(quality_lower=40, quality_upper=100)`` becomes
``quality_range=(40, 100)``. Every Compose is built once per parameter set with
``strict=True`` (a misspelt or 1.x-only argument raises instead of silently using a default)
and re-seeded per call from the caller's ``rng``.

``RandomDownScale`` (SBI's own transform), the affine and the elastic warp are written here
with OpenCV from the reference facts, so the elastic runs on the mask only (SBI warps the
source too and throws it away: docs/sbi-recipe.md §7, two thirds of the loader time).
"""

from __future__ import annotations

from functools import lru_cache

import albumentations as A
import cv2
import numpy as np

from adfd.synthesis.masks import nonzero_box

SEED_HIGH = 2**32  # albumentations seeds: numpy default_rng and random.Random accept any int


def _seeded(compose: A.Compose, rng: np.random.Generator) -> A.Compose:
    compose.set_random_seed(int(rng.integers(SEED_HIGH)))
    return compose


@lru_cache(maxsize=16)
def color_compose(
    rgb_shift: float, rgb_shift_p: float, hsv: float, brightness: float, contrast: float
) -> A.Compose:
    """SBI ``get_source_transforms`` colour Compose (p = 1)."""
    return A.Compose(
        [
            A.RGBShift(rgb_shift, rgb_shift, rgb_shift, p=rgb_shift_p, strict=True),
            A.HueSaturationValue(hsv, hsv, hsv, p=1.0, strict=True),
            A.RandomBrightnessContrast(brightness, contrast, p=1.0, strict=True),
        ],
        p=1.0,
        strict=True,
    )


@lru_cache(maxsize=16)
def sharpen_compose(alpha: tuple[float, float], lightness: tuple[float, float]) -> A.Compose:
    """SBI: ``alb.Sharpen(alpha=(0.2, 0.5), lightness=(0.5, 1.0))`` inside the frequency OneOf."""
    return A.Compose([A.Sharpen(alpha=alpha, lightness=lightness, p=1.0, strict=True)], strict=True)


def color(image: np.ndarray, cfg: dict, rng: np.random.Generator) -> np.ndarray:
    """Colour transform of one image (RGBShift p=0.3, HSV p=1, brightness/contrast p=1)."""
    compose = color_compose(
        float(cfg["rgb_shift"]),
        float(cfg["rgb_shift_p"]),
        float(cfg["hsv"]),
        float(cfg["brightness"]),
        float(cfg["contrast"]),
    )
    return _seeded(compose, rng)(image=image)["image"]


def downscale(image: np.ndarray, factor: int) -> np.ndarray:
    """SBI ``RandomDownScale``: nearest down to (int(W/r), int(H/r)), bilinear back up."""
    height, width = image.shape[:2]
    small = cv2.resize(
        image, (int(width / factor), int(height / factor)), interpolation=cv2.INTER_NEAREST
    )
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def frequency(image: np.ndarray, cfg: dict, rng: np.random.Generator) -> np.ndarray:
    """SBI frequency ``OneOf`` (p = 1): downscale by a factor from the list, or sharpen, 50/50."""
    if rng.random() < 0.5:  # albumentations OneOf over two p=1 transforms
        factors = cfg["downscale"]
        return downscale(image, int(factors[int(rng.integers(len(factors)))]))
    compose = sharpen_compose(tuple(cfg["sharpen_alpha"]), tuple(cfg["sharpen_lightness"]))
    return _seeded(compose, rng)(image=image)["image"]


def source_target_transform(image: np.ndarray, cfg: dict, rng: np.random.Generator) -> np.ndarray:
    """SBI ``get_source_transforms``: colour then frequency, each switchable (Table 5)."""
    if cfg["color"]["enabled"]:
        image = color(image, cfg["color"], rng)
    if cfg["frequency"]["enabled"]:
        image = frequency(image, cfg["frequency"], rng)
    return image


def affine_matrix(
    width: int, height: int, tx: float, ty: float, sx: float, sy: float
) -> np.ndarray:
    """Forward 2x3 matrix of albumentations 1.x ``Affine`` (no rotation/shear).

    Scale about the pixel centre ((W - 1) / 2, (H - 1) / 2), then translate by (tx, ty) px.
    """
    cx, cy = width / 2 - 0.5, height / 2 - 0.5
    return np.array([[sx, 0.0, cx - sx * cx + tx], [0.0, sy, cy - sy * cy + ty]])


def draw_affine(cfg: dict, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """SBI ``randaffine``: tx U(+-3 %) W, ty U(+-1.5 %) H; sx, sy independent U(0.95, 1/0.95)."""
    tx = rng.uniform(-cfg["translate_x"], cfg["translate_x"]) * width
    ty = rng.uniform(-cfg["translate_y"], cfg["translate_y"]) * height
    # albumentations 1.0-1.3: keep_ratio=False, x and y scales drawn independently
    sx, sy = rng.uniform(cfg["scale"][0], cfg["scale"][1], size=2)
    return affine_matrix(width, height, tx, ty, float(sx), float(sy))


def warp_affine(
    image: np.ndarray, mask: np.ndarray, matrix: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Image bilinear, mask nearest, constant 0 border (albumentations 1.x Affine defaults)."""
    height, width = image.shape[:2]
    kw = {"dsize": (width, height), "borderMode": cv2.BORDER_CONSTANT, "borderValue": 0}
    img = cv2.warpAffine(image, matrix, flags=cv2.INTER_LINEAR, **kw)
    msk = cv2.warpAffine(mask, matrix, flags=cv2.INTER_NEAREST, **kw)
    return img, msk


def _grow(box: tuple[int, int, int, int], by: int, height: int, width: int):
    y0, y1, x0, x1 = box
    return max(0, y0 - by), min(height, y1 + by), max(0, x0 - by), min(width, x1 + by)


def elastic_mask(
    mask: np.ndarray, alpha: float, sigma: float, rng: np.random.Generator
) -> np.ndarray:
    """albumentations 1.x ``ElasticTransform(alpha, sigma, alpha_affine=0)`` on the mask only.

    Displacements dx, dy = gaussian_filter(U(-1, 1) noise, sigma) * alpha (scipy defaults:
    mode 'reflect', truncate 4 sigma); the mask is remapped with INTER_NEAREST and
    BORDER_REFLECT_101. alpha_affine = 0 makes the preceding affine an identity: skipped.

    Only where it can matter: |dx|, |dy| <= alpha (the kernel sums to 1, |noise| <= 1), so a
    pixel farther than alpha + 1 px from the mask's non-zero box samples a zero (reflection
    at the frame edge cannot bring it back into the box) and stays 0. The fields are computed
    on that box grown by alpha + 1, from noise drawn on it grown by the kernel radius (clipped
    to the frame, where the reflection is the full frame's): the same distribution as
    fields over the whole frame, at a fraction of the cost. float32 throughout (4x faster
    than float64, within 1e-7 px of scipy's displacement).
    """
    height, width = mask.shape[:2]
    box = nonzero_box(mask)
    if box is None:
        return mask.copy()
    radius = int(4 * sigma + 0.5)  # scipy.ndimage truncate=4.0
    ksize = 2 * radius + 1
    out_y0, out_y1, out_x0, out_x1 = _grow(box, int(np.ceil(alpha)) + 1, height, width)
    ny0, ny1, nx0, nx1 = _grow((out_y0, out_y1, out_x0, out_x1), radius, height, width)
    # U(-1, 1) = 2 U(0, 1) - 1, and the kernel sums to 1: G * (2u - 1) = 2 (G * u) - 1
    noise = rng.random((2, ny1 - ny0, nx1 - nx0), dtype=np.float32)
    inner = np.s_[out_y0 - ny0 : out_y1 - ny0, out_x0 - nx0 : out_x1 - nx0]
    dx, dy = (
        cv2.GaussianBlur(n, (ksize, ksize), sigma, borderType=cv2.BORDER_REFLECT)[inner]
        * np.float32(2 * alpha)
        - np.float32(alpha)
        for n in noise
    )
    grid_x, grid_y = np.meshgrid(
        np.arange(out_x0, out_x1, dtype=np.float32), np.arange(out_y0, out_y1, dtype=np.float32)
    )
    warped = cv2.remap(
        mask, grid_x + dx, grid_y + dy, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT_101
    )
    out = np.zeros_like(mask)
    out[out_y0:out_y1, out_x0:out_x1] = warped.reshape(out[out_y0:out_y1, out_x0:out_x1].shape)
    return out


def random_affine(
    source: np.ndarray, mask: np.ndarray, cfg: dict, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """SBI ``randaffine``: Affine on source and mask, then the elastic warp on the mask only."""
    height, width = source.shape[:2]
    matrix = draw_affine(cfg, width, height, rng)
    source, mask = warp_affine(source, mask, matrix)
    return source, elastic_mask(mask, cfg["elastic_alpha"], cfg["elastic_sigma"], rng)


@lru_cache(maxsize=16)
def pair_compose(
    rgb_shift: float,
    hsv: float,
    brightness_contrast: float,
    p: float,
    jpeg_quality: tuple[int, int],
    jpeg_p: float,
) -> A.Compose:
    """SBI ``get_transforms``: shared by (fake as ``image``, real as ``image1``), train only."""
    bc = brightness_contrast
    return A.Compose(
        [
            A.RGBShift(rgb_shift, rgb_shift, rgb_shift, p=p, strict=True),
            A.HueSaturationValue(hsv, hsv, hsv, p=p, strict=True),
            A.RandomBrightnessContrast(bc, bc, p=p, strict=True),
            # 1.x quality_lower=40, quality_upper=100 -> quality_range; randint, inclusive
            A.ImageCompression(quality_range=jpeg_quality, p=jpeg_p, strict=True),
        ],
        additional_targets={"image1": "image"},
        p=1.0,
        strict=True,
    )


def pair_augment(
    real: np.ndarray, fake: np.ndarray, cfg: dict, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Apply one draw of the pair augmentation to both images (identical parameters)."""
    compose = pair_compose_from_cfg(cfg)
    out = _seeded(compose, rng)(image=fake, image1=real)
    return out["image1"], out["image"]


def pair_compose_from_cfg(cfg: dict) -> A.Compose:
    return pair_compose(
        float(cfg["rgb_shift"]),
        float(cfg["hsv"]),
        float(cfg["brightness_contrast"]),
        float(cfg["p"]),
        tuple(int(q) for q in cfg["jpeg_quality"]),
        float(cfg["jpeg_p"]),
    )
