"""Facial landmark predictors, registered in ``LANDMARKS`` (docs/sbi-recipe.md §2).

- ``dlib81``: codeniko's ``shape_predictor_81_face_landmarks.dat`` as SBI uses it (the user
  supplies the file); slots 68..80 are reordered after prediction as SBI's
  ``reorder_landmark`` does, so the forehead runs from one temple to the other.
- ``dlib68``: dlib's iBUG-68 predictor shipped in the ``face-recognition-models`` wheel.

Unlike SBI (which runs dlib's own detector), landmarks are predicted inside each box from
the configured detector, so every detected face has landmarks and a box. Points are float
``(n, 2)`` ``(x, y)`` arrays in frame pixels.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from adfd.registries import LANDMARKS

# SBI reorder_landmark: new[68 + i] = old[REORDER_81[i]]
REORDER_81 = (77, 75, 76, 68, 69, 70, 71, 80, 72, 73, 79, 74, 78)


class LandmarkError(RuntimeError):
    """A landmark model cannot be found or loaded."""


@dataclass
class LandmarkPredictor:
    """``predictor(frame_rgb, box) -> (n_points, 2) float64``."""

    predictor: Any  # dlib.shape_predictor
    n_points: int
    reorder: bool
    info: dict[str, Any] = field(default_factory=dict)

    def __call__(self, frame: np.ndarray, box: Sequence[float]) -> np.ndarray:
        import dlib

        x0, y0, x1, y1 = (round(float(v)) for v in box[:4])
        shape = self.predictor(np.ascontiguousarray(frame), dlib.rectangle(x0, y0, x1, y1))
        points = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float64)
        if len(points) != self.n_points:
            raise LandmarkError(f"model gave {len(points)} points, expected {self.n_points}")
        return reorder_81(points) if self.reorder else points


def build_landmarks(cfg: dict[str, Any] | None) -> LandmarkPredictor | None:
    """Build ``cfg["name"]`` (``cfg = config["preprocess"]["landmarks"]``); None = off."""
    if not cfg or cfg.get("name") in (None, "none"):
        return None
    return LANDMARKS.get(cfg["name"])(cfg)


def reorder_81(points: np.ndarray) -> np.ndarray:
    """SBI's forehead reorder of an (81, 2) array: ``new[68 + i] = old[REORDER_81[i]]``."""
    out = np.array(points, copy=True)
    out[68:81] = points[list(REORDER_81)]
    return out


def face_recognition_models_dir() -> Path:
    """``face_recognition_models/models`` without importing it (its import needs pkg_resources)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        raise LandmarkError(
            "dlib68 needs the 'face-recognition-models' package "
            "(pip install --no-deps face-recognition-models) or preprocess.landmarks.model_path"
        )
    return Path(spec.origin).parent / "models"


@LANDMARKS.register("dlib68")
def dlib68(cfg: dict[str, Any]) -> LandmarkPredictor:
    path = cfg.get("model_path")
    path = (
        Path(path)
        if path
        else face_recognition_models_dir() / "shape_predictor_68_face_landmarks.dat"
    )
    return _load(path, 68, reorder=False, name="dlib68")


@LANDMARKS.register("dlib81")
def dlib81(cfg: dict[str, Any]) -> LandmarkPredictor:
    path = cfg.get("model_path")
    if not path:
        raise LandmarkError(
            "dlib81 needs shape_predictor_81_face_landmarks.dat (codeniko), which no package "
            "ships: set preprocess.landmarks.model_path to the file, or use name: dlib68"
        )
    return _load(Path(path), 81, reorder=True, name="dlib81")


def _load(path: Path, n_points: int, *, reorder: bool, name: str) -> LandmarkPredictor:
    import dlib

    if not path.is_file():
        raise LandmarkError(
            f"{name}: landmark model {path} not found (preprocess.landmarks.model_path)"
        )
    try:
        predictor = dlib.shape_predictor(str(path))
    except RuntimeError as err:
        raise LandmarkError(f"{name}: cannot load {path}: {err}") from err
    info = {"name": name, "model_file": path.name, "model_path": str(path), "points": n_points}
    return LandmarkPredictor(predictor, n_points, reorder, info)
