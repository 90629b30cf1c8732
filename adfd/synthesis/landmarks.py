"""Landmark handling before mask generation (docs/sbi-recipe.md §2 reorder, §3 steps 2 and 4a).

- ``hflip``: horizontal flip of the frame with the left<->right landmark index remap for iBUG-68
  and for dlib-81 whose forehead points 68..80 already run temple to temple (so the flip
  reverses them), and the box remap (corners swap).
- ``truncate``: drop the 13 forehead points (81 -> 68) with probability ``p``.
"""

from __future__ import annotations

import cv2
import numpy as np


def _mirror_index(n_points: int) -> np.ndarray:
    """Index map ``new[i] = old[map[i]]`` that keeps each landmark's meaning after a flip.

    iBUG-68: jaw 0..16, brows 17..26, nostrils 31..35, outer lip 48..54 and 55..59, inner lip
    60..64 and 65..67 are reversed; nose ridge 27..30 stays; the eyes swap as mirror pairs
    (36..39 <- 45..42, 40..41 <- 47..46 and back). dlib-81: forehead 68..80 reversed.
    """
    idx = np.arange(n_points)

    def reverse(lo: int, hi: int) -> None:
        idx[lo:hi] = np.arange(lo, hi)[::-1]

    for lo, hi in ((0, 17), (17, 27), (31, 36), (48, 55), (55, 60), (60, 65), (65, 68)):
        reverse(lo, hi)
    idx[36:40], idx[40:42] = np.arange(42, 46)[::-1], np.arange(46, 48)[::-1]
    idx[42:46], idx[46:48] = np.arange(36, 40)[::-1], np.arange(40, 42)[::-1]
    if n_points == 81:
        reverse(68, 81)
    return idx


_MIRROR = {n: _mirror_index(n) for n in (68, 81)}


def hflip(
    image: np.ndarray, landmarks: np.ndarray, box: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mirror the image, its landmarks (index remap) and its box ``(x0, y0, x1, y1)``.

    x -> W - x as in SBI (not W - 1 - x: SBI's one-pixel offset is kept on purpose).
    """
    n = len(landmarks)
    if n not in _MIRROR:
        raise ValueError(f"hflip needs 68 or 81 landmarks, got {n}")
    width = image.shape[1]
    flipped = cv2.flip(image, 1)  # = image[:, ::-1], contiguous
    pts = np.asarray(landmarks, dtype=np.float64)[_MIRROR[n]].copy()
    pts[:, 0] = width - pts[:, 0]
    x0, y0, x1, y1 = np.asarray(box, dtype=np.float64).reshape(-1)[:4]
    new_box = np.array([width - x1, y0, width - x0, y1])  # corners swap
    return flipped, pts, new_box


def truncate(landmarks: np.ndarray, rng: np.random.Generator, p: float) -> np.ndarray:
    """Keep landmarks 0..67 with probability ``p`` (SBI: ``np.random.rand() < 0.25``).

    The Bernoulli draw is made for 68-point input too, so the draw count does not depend on
    the landmark model.
    """
    drop = rng.random() < p
    return landmarks[:68] if drop else landmarks
