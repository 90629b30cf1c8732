"""Facial landmark predictors, registered in ``LANDMARKS`` (docs/sbi-recipe.md §2).

- ``dlib81``: codeniko's ``shape_predictor_81_face_landmarks.dat`` as SBI uses it (the user
  supplies the file); slots 68..80 are reordered after prediction as SBI's
  ``reorder_landmark`` does, so the forehead runs from one temple to the other.
- ``dlib68``: dlib's iBUG-68 predictor shipped in the ``face-recognition-models`` wheel.

Which box the predictor runs in is ``preprocess.landmarks.box`` (:class:`LandmarkBoxes`):
``dlib_hog`` as SBI (dlib's own HOG face, paired with a detector face by IoU) or
``detector`` (inside each detector box). Points are float ``(n, 2)`` ``(x, y)`` arrays in
frame pixels (integer-valued: dlib predicts whole pixels).
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


@dataclass
class FrameLandmarks:
    """Landmarks of one frame's detector faces (``points[i]`` for ``faces[i]``, or None)."""

    points: list[np.ndarray | None]
    source: str  # hog | detector | fallback | missed (HOG found no face) | none (no predictor)
    iou: float | None = None  # dlib_hog: IoU of the paired detector face (+1 px convention)


class LandmarkBoxes:
    """Where landmarks are predicted (``preprocess.landmarks.box``; docs/sbi-recipe.md §2).

    ``dlib_hog`` (SBI): dlib's frontal HOG detector with 1 upsample on the RGB frame, the
    predictor on every HOG box, the face with the largest landmark extent kept; it is paired
    with the detector face (among the two largest) of highest IoU against the landmark
    extent box, IoU with the +1 pixel convention (first face on ties). When HOG finds no face
    the frame has no landmarks, or, with ``fallback_to_detector``, the predictor runs inside
    the largest detector box; either way the frame is counted (source ``missed`` /
    ``fallback``). ``detector``: the predictor inside every detector box.
    """

    def __init__(self, predictor: LandmarkPredictor, cfg: dict[str, Any]) -> None:
        self.predictor = predictor
        self.box = str(cfg.get("box", "dlib_hog"))
        if self.box not in ("dlib_hog", "detector"):
            raise LandmarkError(f"preprocess.landmarks.box '{self.box}': dlib_hog | detector")
        self.fallback = bool(cfg.get("fallback_to_detector", False))
        self.upsample = 1  # SBI's crop script
        self._hog = None

    @property
    def info(self) -> dict[str, Any]:
        return {
            **self.predictor.info,
            "box": self.box,
            "fallback_to_detector": self.fallback,
            **({"hog_upsample": self.upsample} if self.box == "dlib_hog" else {}),
        }

    def hog_landmarks(self, frame: np.ndarray) -> np.ndarray | None:
        """Landmarks of the HOG face with the largest landmark extent (None: no face)."""
        import dlib

        if self._hog is None:
            self._hog = dlib.get_frontal_face_detector()
        rects = self._hog(np.ascontiguousarray(frame), self.upsample)
        best, best_area = None, -1.0
        for r in rects:
            points = self.predictor(frame, (r.left(), r.top(), r.right(), r.bottom()))
            (x0, y0), (x1, y1) = points.min(0), points.max(0)
            area = (x1 - x0) * (y1 - y0)
            if area > best_area:  # stable: the first of equal areas, as a stable sort
                best, best_area = points, area
        return best

    def __call__(self, frame: np.ndarray, boxes: Sequence[Sequence[float]]) -> FrameLandmarks:
        """Landmarks for the detector ``boxes`` (sorted largest first) of ``frame``."""
        if not len(boxes):
            return FrameLandmarks([], "none")
        if self.box == "detector":
            return FrameLandmarks([self.predictor(frame, b) for b in boxes], "detector")
        points = self.hog_landmarks(frame)
        out: list[np.ndarray | None] = [None] * len(boxes)
        if points is None:
            if not self.fallback:
                return FrameLandmarks(out, "missed")
            out[0] = self.predictor(frame, boxes[0])
            return FrameLandmarks(out, "fallback")
        extent = (*points.min(0), *points.max(0))
        ious = [iou_plus1(extent, b) for b in boxes[:2]]
        best = int(np.argmax(ious))
        out[best] = points
        return FrameLandmarks(out, "hog", float(ious[best]))


def iou_plus1(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of ``x0, y0, x1, y1`` boxes with inclusive pixel ends (width = x1 - x0 + 1)."""
    ix = min(a[2], b[2]) - max(a[0], b[0]) + 1
    iy = min(a[3], b[3]) - max(a[1], b[1]) + 1
    inter = max(0.0, ix) * max(0.0, iy)
    area_a = (a[2] - a[0] + 1) * (a[3] - a[1] + 1)
    area_b = (b[2] - b[0] + 1) * (b[3] - b[1] + 1)
    return float(inter / (area_a + area_b - inter))


def build_landmark_boxes(cfg: dict[str, Any] | None) -> LandmarkBoxes | None:
    """Predictor plus box source of ``preprocess.landmarks``; None when landmarks are off."""
    predictor = build_landmarks(cfg)
    return None if predictor is None else LandmarkBoxes(predictor, cfg or {})
