"""Face crop windows (docs/sbi-recipe.md §2, "Crop margins").

Two crops: the deterministic *landmark crop* used first in training (generous context for
the blend), and the *box crop* around the detector box with per-side margins, random
(5-20 % of the box side) in training and fixed (12.5 %) at validation/test time.
Windows are integer ``(x0, y0, x1, y1)`` with exclusive ``x1, y1``, clipped to the image.

Preprocessing stores, per face, only its *context window* (``context_window``): the union of
every window the training and test crops can take, in both flip orientations. Both crops
and the flip give the same pixels on the stored context as on the full frame (windows are
integer, the context holds each of them or meets the same frame edge; flipping the context
is the context of the flipped frame), so a pseudo-fake made from the context equals the one
made from the frame, byte for byte (tests/synthesis/test_synth_context.py), at a fraction of
the decode.
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


def _mirror(window: Window, width: int) -> Window:
    """The columns of a window of the h-flipped frame, in the original frame (x -> W - x)."""
    x0, y0, x1, y1 = window
    return width - x1, y0, width - x0, y1


def context_window(
    landmarks: np.ndarray | None, box: np.ndarray, margin: float, height: int, width: int
) -> Window:
    """Union of every crop window of one face (see the module docstring).

    Landmark window (when ``landmarks`` are given) and box window with ``margin`` on each
    side, each as computed on the frame and on its horizontal flip (SBI flips with
    x -> W - x, so the flipped windows are not exact mirrors: both are covered). Any box
    margin <= ``margin`` gives a window inside this one.
    """
    bx = np.asarray(box, dtype=np.float64).reshape(-1)[:4]
    flipped_box = np.array([width - bx[2], bx[1], width - bx[0], bx[3]])
    margins = (float(margin),) * 4
    windows = [
        box_window(bx, margins, height, width),
        _mirror(box_window(flipped_box, margins, height, width), width),
    ]
    if landmarks is not None and len(landmarks):
        pts = np.asarray(landmarks, dtype=np.float64)[:68]
        flipped = np.stack([width - pts[:, 0], pts[:, 1]], axis=1)
        windows += [
            landmark_window(pts, height, width),
            _mirror(landmark_window(flipped, height, width), width),
        ]
    x0, y0 = min(w[0] for w in windows), min(w[1] for w in windows)
    x1, y1 = max(w[2] for w in windows), max(w[3] for w in windows)
    return x0, y0, x1, y1
