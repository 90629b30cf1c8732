"""Table 10 distortions: deterministic, shape-preserving, and each really distorts."""

import numpy as np
import pytest
from skimage import data

from adfd.preprocess.distortions import build_distortion

CASES = [
    {"name": "resize", "size": 128}, {"name": "resize", "size": 256},
    {"name": "gaussian_blur", "kernel": 3}, {"name": "gaussian_blur", "kernel": 5},
    {"name": "jpeg", "quality": 50}, {"name": "jpeg", "quality": 100},
]  # fmt: skip


@pytest.mark.parametrize("cfg", CASES, ids=lambda c: f"{c['name']}-{list(c.values())[1]}")
def test_distortion(cfg):
    frame = data.astronaut()
    fn = build_distortion(cfg)
    out = fn(frame)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert np.array_equal(out, fn(frame))
    assert not np.array_equal(out, frame)


def test_raw_is_none():
    assert build_distortion({"name": "none"}) is None


def test_stronger_is_further():
    frame = data.astronaut().astype(float)
    err = {q: np.abs(build_distortion({"name": "jpeg", "quality": q})(frame.astype(np.uint8))
                     - frame).mean() for q in (50, 100)}  # fmt: skip
    assert err[50] > err[100]
