"""Frame sampling and sequential video reading (docs/sbi-recipe.md §2 "Frame sampling", §7).

Frames are sampled with ``linspace(0, N - 1, n, dtype=int)`` over the container's frame
count N, as both SBI preprocessing scripts do. Unlike the reference, the return value of
every read is checked: ``CAP_PROP_FRAME_COUNT`` can overstate the readable frames
(docs/sbi-recipe.md §7 "End-of-stream bug"), so frames past the end of the stream are counted as
missing instead of crashing, and undecodable files come back with status ``unreadable``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np


@dataclass
class ReadInfo:
    """What reading one video gave; ``frames_read < frames_sampled`` means a short stream."""

    frame_count: int = 0  # as reported by the container
    frames_sampled: int = 0
    frames_read: int = 0
    frames_decoded: int = 0  # frames traversed before the stream ended or the last sample
    width: int = 0
    height: int = 0
    fps: float = 0.0
    status: str = "ok"  # ok | unreadable
    error: str = ""
    missing: list[int] = field(default_factory=list)  # sampled indices that could not be read


def sample_indices(frame_count: int, n: int) -> np.ndarray:
    """Unique sorted frame indices ``linspace(0, frame_count - 1, n, dtype=int)`` (SBI §2)."""
    if frame_count <= 0 or n <= 0:
        return np.zeros(0, dtype=int)
    return np.unique(np.linspace(0, frame_count - 1, n, dtype=int))


def spaced_subset(indices: list[int], n: int) -> list[int]:
    """SBI's training-frame choice (docs/sbi-recipe.md §2 "Which frames training uses").

    With more than ``n`` frames, the ones at positions ``round(linspace(0, len - 1, n))`` of
    the sorted list; otherwise all of them. Python's ``round`` on numpy floats rounds half
    to even, as ``np.round`` does, so both give the same positions.
    """
    ordered = sorted(indices)
    if len(ordered) <= n:
        return ordered
    return [ordered[int(i)] for i in np.round(np.linspace(0, len(ordered) - 1, n))]


def read_frames(path: str | Path, n: int) -> tuple[dict[int, np.ndarray], ReadInfo]:
    """Read ``n`` linspace-sampled frames sequentially: ``{index: (H, W, 3) uint8 RGB}``.

    Never raises for a bad file: a missing, empty or undecodable video returns no frames and
    ``info.status == "unreadable"`` with the reason in ``info.error``.
    """
    path = Path(path)
    info = ReadInfo()
    if not path.is_file():
        return {}, _unreadable(info, f"file not found: {path}")
    if path.stat().st_size == 0:
        return {}, _unreadable(info, f"empty file (0 bytes): {path}")
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            return {}, _unreadable(info, f"OpenCV cannot open the container: {path}")
        info.frame_count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        info.width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        info.height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        info.fps = float(cap.get(cv2.CAP_PROP_FPS))
        count = info.frame_count
        if count <= 0:  # some containers do not report a count: count by decoding
            count = _count_frames(cap)
            cap.release()
            cap = cv2.VideoCapture(str(path))
        frames = _read_sampled(cap, sample_indices(count, n), info)
    finally:
        cap.release()
    if not frames:
        return {}, _unreadable(info, f"no frame could be decoded from {path}")
    return frames, info


def probe_video(path: Path) -> str:
    """Open ``path`` with OpenCV and decode its first frame; the reason it fails, or ``""``.

    The integrity gate's probe (``adfd.datasets.check``, ``adfd datasets check --probe``).
    """
    frames, info = read_frames(path, 1)
    return "" if frames else info.error or "no frame decoded"


def _read_sampled(
    cap: cv2.VideoCapture, wanted: np.ndarray, info: ReadInfo
) -> dict[int, np.ndarray]:
    info.frames_sampled = len(wanted)
    targets = {int(i) for i in wanted}
    last = max(targets, default=-1)
    frames: dict[int, np.ndarray] = {}
    index = 0
    while index <= last:
        if index in targets:
            ok, bgr = cap.read()
            ok = ok and bgr is not None
            if ok:
                frames[index] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        else:
            ok = cap.grab()  # skip without converting
        if not ok:  # end of the readable stream: the container count overstated it
            break
        index += 1
    info.frames_decoded = index
    info.frames_read = len(frames)
    info.missing = sorted(targets - frames.keys())
    return frames


def _count_frames(cap: cv2.VideoCapture) -> int:
    count = 0
    while cap.grab():
        count += 1
    return count


def _unreadable(info: ReadInfo, message: str) -> ReadInfo:
    info.status = "unreadable"
    info.error = message
    return info
