"""SLADD's local masks (paper Table 2 rows 3-4; docs/sbi-recipe.md §6 "SLADD local masks").

Registered in ``MASKS``:
- ``sladd_local``: one of SLADD's ten local regions, uniform, from landmarks 0..67;
- ``lal_or_local``: per sample the ``lal`` mask or ``sladd_local``, 50/50 (Table 2 row 4).

A *part* is a line of thickness 2 and value 1 on a uint8 canvas (SLADD: ``cv2.line``, LINE_8)
grown by ``n`` iterations of a binary dilation with the cross-shaped element (SLADD:
``scipy.ndimage.binary_dilation``). ``n`` iterations of the cross are exactly the pixels within
city-block (L1) distance ``n`` of the line, which one ``cv2.distanceTransform(DIST_L1)`` gives
in a single pass (tests check the equality with scipy). Parts (left/right = image side):

- ``left_eye`` 36 -> 39, ``right_eye`` 42 -> 45: ``n = 4 * (length // 4)``;
- ``both_eyes``: eye centre to eye centre (centre = mean of the corners), ``n = d // 4`` with
  d the inter-eye distance; ``nose``: 33 -> midpoint of the eye centres, ``n = d // 4``;
- ``mouth`` 48 -> 54: ``n = width // 3``.

SLADD's ``random_deform`` (piecewise-affine shrink + 5x5 Gaussian) is not applied: Table 2
compares mask *regions* inside SBI, whose affine, elastic and blend-mask blur follow unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from adfd.registries import MASKS
from adfd.synthesis.masks import Canvas, binary_canvas, lal, on_canvas


def _point(p: np.ndarray) -> tuple[int, int]:
    return int(p[0]), int(p[1])  # truncation, as the int landmarks of SLADD and the LAL


def _centres(lm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SLADD ``get_five_key``: eye centres as the means of the eye corners (36, 39), (42, 45)."""
    return (lm[36] + lm[39]) / 2, (lm[42] + lm[45]) / 2


def _length(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.linalg.norm(np.asarray(b, float) - np.asarray(a, float)))


def dilated_line(
    shape: tuple[int, int], p0: np.ndarray, p1: np.ndarray, iterations: int
) -> np.ndarray:
    """(H, W) bool: line p0 -> p1 (thickness 2, value 1) grown by ``iterations`` cross dilations.

    ``iterations < 1`` keeps the line (scipy would instead repeat until nothing changes and
    fill the image; it happens only for eyes under 4 px).
    """
    canvas = np.zeros(shape, np.uint8)
    cv2.line(canvas, _point(p0), _point(p1), 1, thickness=2)  # SLADD: value 1, thickness 2
    if iterations < 1:
        return canvas > 0
    # L1 distance to the nearest line pixel; distanceTransform measures to the nearest zero
    dist = cv2.distanceTransform(1 - canvas, cv2.DIST_L1, 3)
    return dist <= iterations


def _left_eye(lm, shape):
    return dilated_line(shape, lm[36], lm[39], 4 * (_length(lm[36], lm[39]) // 4))


def _right_eye(lm, shape):
    return dilated_line(shape, lm[42], lm[45], 4 * (_length(lm[42], lm[45]) // 4))


def _both_eyes(lm, shape):
    left, right = _centres(lm)
    return dilated_line(shape, left, right, _length(left, right) // 4)


def _nose(lm, shape):
    left, right = _centres(lm)
    return dilated_line(shape, lm[33], (left + right) / 2, _length(left, right) // 4)


def _mouth(lm, shape):
    return dilated_line(shape, lm[48], lm[54], _length(lm[48], lm[54]) // 3)


SLADD_PARTS: dict[str, Callable[[np.ndarray, tuple[int, int]], np.ndarray]] = {
    "left_eye": _left_eye,
    "right_eye": _right_eye,
    "both_eyes": _both_eyes,
    "nose": _nose,
    "mouth": _mouth,
}

# SLADD synthesizer.parse: region index -> OR of parts ("eyes" in 9 = the both-eyes part).
SLADD_REGIONS: tuple[tuple[str, ...], ...] = (
    ("left_eye",),
    ("right_eye",),
    ("both_eyes",),
    ("nose",),
    ("mouth",),
    ("nose", "left_eye"),
    ("nose", "right_eye"),
    ("nose", "both_eyes"),
    ("nose", "mouth"),
    ("both_eyes", "nose", "mouth"),
)


def sladd_part(landmarks: np.ndarray, shape: tuple[int, int], part: str) -> np.ndarray:
    """One SLADD part as an (H, W) bool region, from landmarks 0..67 (cast to int32)."""
    return SLADD_PARTS[part](np.asarray(landmarks)[:68].astype(np.int32), shape)


def sladd_region(landmarks: np.ndarray, shape: tuple[int, int], index: int) -> np.ndarray:
    """SLADD local region ``index`` (0..9) as an (H, W) bool region (OR of its parts)."""
    region = np.zeros(shape, bool)
    for part in SLADD_REGIONS[index]:
        region |= sladd_part(landmarks, shape, part)
    return region


@MASKS.register("sladd_local")
@on_canvas()
def sladd_local(landmarks: np.ndarray, shape: tuple[int, int], rng, canvas: Canvas) -> np.ndarray:
    """SLADD local mask: one of the ten regions, uniform.

    Returns (H, W) of ``dtype``: float32 {0, 1}, uint8 {0, value} (as ``draw_hulls``); the
    line type is inert (parts are dilated lines, binary before conversion).
    """
    index = int(rng.integers(len(SLADD_REGIONS)))
    return binary_canvas(sladd_region(landmarks, shape, index), canvas.dtype, canvas.value)


@MASKS.register("lal_or_local")
@on_canvas()
def lal_or_local(landmarks: np.ndarray, shape: tuple[int, int], rng, canvas: Canvas) -> np.ndarray:
    """Table 2 row 4: the ``lal`` mask with p = 0.5, else ``sladd_local``."""
    fn = lal if rng.random() < 0.5 else sladd_local
    return fn(landmarks, shape, rng, **canvas._asdict())
