"""Session fixture: real-face videos and broken files for the data tests (see datamedia)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from datamedia import (
    astronaut,
    carphone_path,
    grace_hopper,
    shifted_frames,
    truncated_copy,
    write_mp4,
)


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("media")
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
