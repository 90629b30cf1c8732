"""Real-face helpers for the synthesis tests (dlib HOG + face_recognition_models 68 points)."""

from __future__ import annotations

import importlib.util
import pathlib
from dataclasses import dataclass

import numpy as np
import pytest


@dataclass(frozen=True)
class Face:
    image: np.ndarray  # (H, W, 3) uint8 RGB
    landmarks: np.ndarray  # (68, 2) float, dlib iBUG-68
    landmarks81: np.ndarray  # (81, 2): 68 + 13 forehead points, temple to temple (synthetic)
    box: np.ndarray  # (4,) x0, y0, x1, y1 from the HOG detector


def predictor_path() -> pathlib.Path:
    # Importing face_recognition_models fails on current setuptools (pkg_resources).
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        pytest.skip("face_recognition_models is not installed")
    return pathlib.Path(spec.origin).parent / "models" / "shape_predictor_68_face_landmarks.dat"


def detect(image: np.ndarray, predictor) -> tuple[np.ndarray, np.ndarray]:
    import dlib

    rects = dlib.get_frontal_face_detector()(image, 0)
    assert len(rects) >= 1, "no face found"
    rect = max(rects, key=lambda r: r.width() * r.height())
    shape = predictor(image, rect)
    landmarks = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float64)
    box = np.array([rect.left(), rect.top(), rect.right(), rect.bottom()], dtype=np.float64)
    return landmarks, box


def forehead(landmarks: np.ndarray) -> np.ndarray:
    """13 points on an arc above the brows from temple 0 to temple 16 (stand-in for dlib-81)."""
    left, right = landmarks[0], landmarks[16]
    centre = (left + right) / 2
    height = np.linalg.norm(right - left) * 0.6
    t = np.linspace(np.pi, 0, 13)
    half = np.linalg.norm(right - left) / 2
    return np.stack([centre[0] + half * np.cos(t), centre[1] - height * np.sin(t)], axis=1)
