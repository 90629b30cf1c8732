"""Stored face images of a shard: PNG (lossless, compact) or NPY (raw RGB, no decode).

Training reads every face once per epoch (100 epochs in SBI), so training and validation
splits store raw ``.npy`` (a ~550 x 650 context is 1 MB, less than SBI's full-frame PNG,
read in a fraction of a millisecond); test splits, read once, store PNG
(``preprocess.crop_format``). Both hold the same RGB pixels.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

FORMATS = ("png", "npy")


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown preprocess.crop_format '{fmt}'; allowed: {', '.join(FORMATS)}")


def write_image(path: str | Path, rgb: np.ndarray, fmt: str) -> str:
    """Write ``rgb`` ((H, W, 3) uint8) as ``path`` + ``.png`` | ``.npy``; return the file name."""
    check_format(fmt)
    target = Path(f"{path}.{fmt}")
    if fmt == "npy":
        np.save(target, np.ascontiguousarray(rgb, dtype=np.uint8), allow_pickle=False)
    elif not cv2.imwrite(str(target), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"cv2.imwrite failed for {target}")
    return target.name


def read_rgb(path: str | Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB from a stored ``.npy`` or any image OpenCV reads (PNG frames)."""
    path = Path(path)
    if path.suffix == ".npy":
        try:
            image = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise OSError(f"cannot read face image {path}: {err}") from err
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"{path}: expected (H, W, 3) uint8, got {image.shape} {image.dtype}")
        return image
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"cannot read frame {path}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
