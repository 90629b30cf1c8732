"""Face crop windows (SBI reference §2, "Crop margins").

Two crops: the deterministic *landmark crop* used first in training (generous context for
the blend), and the *box crop* around the detector box with per-side margins, random
(5-20 % of the box side) in training and fixed (12.5 %) at validation/test time.
Windows are integer ``(x0, y0, x1, y1)`` with exclusive ``x1, y1``, clipped to the image.
"""

from __future__ import annotations

import numpy as np

Window = tuple[int, int, int, int]


def landmark_window(landmarks: np.ndarray, height: int, width: int) -> Window:
    """Window around landmarks 0..67: w/2 left and right, h on top, 0.4 h below."""
    pts = np.asarray(landmarks, dtype=np.float64)[:68]
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    w, h = x1 - x0, y1 - y0
    return _clip(x0 - w / 2, y0 - h, x1 + w / 2, y1 + 0.4 * h, height, width)


def box_window(
    box: np.ndarray, margins: tuple[float, float, float, float], height: int, width: int
) -> Window:
    """Window around ``box = (x0, y0, x1, y1)`` with margins (left, top, right, bottom).

    Each margin is a fraction of the box side it extends (width for left/right, height
    for top/bottom).
    """
    x0, y0, x1, y1 = (float(v) for v in np.asarray(box, dtype=np.float64).reshape(-1)[:4])
    w, h = x1 - x0, y1 - y0
    left, top, right, bottom = margins
    return _clip(x0 - w * left, y0 - h * top, x1 + w * right, y1 + h * bottom, height, width)


def draw_train_margins(rng: np.random.Generator, low: float, high: float) -> tuple[float, ...]:
    """Four independent per-side margins, uniform in [low, high) (SBI: U[0.2, 0.8) / 4)."""
    return tuple(float(v) for v in rng.uniform(low, high, size=4))


def apply_window(image: np.ndarray, window: Window) -> np.ndarray:
    x0, y0, x1, y1 = window
    return image[y0:y1, x0:x1]


def _clip(x0: float, y0: float, x1: float, y1: float, height: int, width: int) -> Window:
    wx0, wy0 = max(0, int(x0)), max(0, int(y0))
    wx1, wy1 = min(width, int(x1) + 1), min(height, int(y1) + 1)
    if wx1 <= wx0 or wy1 <= wy0:
        raise ValueError(f"empty crop window ({x0:.1f}, {y0:.1f}, {x1:.1f}, {y1:.1f})")
    return wx0, wy0, wx1, wy1
