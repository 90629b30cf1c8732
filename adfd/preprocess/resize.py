"""Longest-side resize of a frame before detection (SBI: ``LongestMaxSize(2048)``, which
also upscales; docs/sbi-recipe.md §2 "RetinaFace")."""

from __future__ import annotations

import cv2
import numpy as np


def resize_longest(frame: np.ndarray, max_size: int | None) -> tuple[np.ndarray, float]:
    """Resize so the longest side is ``max_size`` (up or down, bilinear); return the scale."""
    if not max_size:
        return frame, 1.0
    h, w = frame.shape[:2]
    scale = max_size / max(h, w)
    if scale == 1.0:
        return frame, 1.0
    size = (round(w * scale), round(h * scale))
    return cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR), scale
