"""MP4 writing for the demo videos: H.264 (libx264 through PyAV), single-threaded.

One encoder thread and fixed options make the bytes a pure function of the frames, so two
builds with the same seed give identical files (checked by tests/test_demo_data.py).
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

CRF = "18"  # near-lossless: the demo's artefacts should come from the manipulations


def write_mp4(path: Path, frames: np.ndarray, fps: int) -> None:
    """Write (N, H, W, 3) uint8 RGB frames as an H.264 yuv420p MP4 at ``fps``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _, h, w, _ = frames.shape
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.thread_count = 1
        stream.options = {"crf": CRF, "preset": "ultrafast", "threads": "1"}
        for frame in frames:
            packets = stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24"))
            container.mux(packets)
        container.mux(stream.encode(None))
