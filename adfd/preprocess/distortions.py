"""Test-time distortions of Table 10, applied to raw RGB frames before face detection.

Resize(s): down to s x s and back to the original size; GaussianBlur(k): kernel k,
sigma from k (OpenCV sigma=0); JPEGCompress(q): encode/decode at quality q. All are
deterministic (no random draw), so every run sees the same distorted frames.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from adfd.registries import DISTORTIONS

Frame = np.ndarray


@DISTORTIONS.register("none")
def none() -> None:
    return None


@DISTORTIONS.register("resize")
def resize(size: int) -> Callable[[Frame], Frame]:
    def apply(frame: Frame) -> Frame:
        h, w = frame.shape[:2]
        small = cv2.resize(frame, (size, size), interpolation=cv2.INTER_LINEAR)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)

    return apply


@DISTORTIONS.register("gaussian_blur")
def gaussian_blur(kernel: int) -> Callable[[Frame], Frame]:
    def apply(frame: Frame) -> Frame:
        return cv2.GaussianBlur(frame, (kernel, kernel), 0)

    return apply


@DISTORTIONS.register("jpeg")
def jpeg(quality: int) -> Callable[[Frame], Frame]:
    def apply(frame: Frame) -> Frame:
        ok, buf = cv2.imencode(".jpg", frame[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise RuntimeError(f"JPEG encoding failed at quality {quality}")
        return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].copy()

    return apply


def build_distortion(cfg: dict) -> Callable[[Frame], Frame] | None:
    """Distortion function from its config entry, or None for raw frames."""
    params = {k: v for k, v in cfg.items() if k != "name"}
    return DISTORTIONS.get(cfg["name"])(**params)
