"""Real-face fixtures: skimage's astronaut with dlib HOG detection and 68-point landmarks."""

from __future__ import annotations

import copy
import os
import pathlib

import numpy as np
import pytest
import yaml
from synth_faces import Face, detect, forehead, predictor_path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def predictor():
    import dlib

    return dlib.shape_predictor(str(predictor_path()))


@pytest.fixture(scope="session")
def face(predictor) -> Face:
    from skimage import data

    image = np.ascontiguousarray(data.astronaut())
    landmarks, box = detect(image, predictor)
    return Face(image, landmarks, np.concatenate([landmarks, forehead(landmarks)]), box)


@pytest.fixture(scope="session")
def _baseline() -> dict:
    with open(REPO / "config.yaml") as fh:
        return yaml.safe_load(fh)["baseline"]


@pytest.fixture
def syn_cfg(_baseline) -> dict:
    return copy.deepcopy(_baseline["synthesis"])


@pytest.fixture
def data_cfg(_baseline) -> dict:
    return copy.deepcopy(_baseline["data"])
