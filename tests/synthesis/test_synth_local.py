"""SLADD local masks (docs/sbi-recipe.md §6) and Table 2's LAL-or-local choice, on a real face."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy import ndimage, stats

from adfd.synthesis.local import (
    SLADD_PARTS,
    SLADD_REGIONS,
    dilated_line,
    lal_or_local,
    sladd_local,
    sladd_part,
    sladd_region,
)
from adfd.synthesis.masks import LAL_HULLS, lal_hull
from adfd.synthesis.pipeline import landmark_crop

ALPHA = 1e-3


@pytest.fixture(scope="module")
def crop(face):
    image, lm, _ = landmark_crop(face.image, face.landmarks81, face.box)
    return image.shape[:2], lm


@pytest.mark.parametrize(("a", "b", "rule"), [(36, 39, 4), (42, 45, 4), (48, 54, 3)])
def test_distance_transform_equals_scipy_cross_dilation(crop, a, b, rule):
    shape, lm = crop
    p0, p1 = lm[a].astype(np.int32), lm[b].astype(np.int32)
    n = int(np.linalg.norm(p1 - p0.astype(float))) // rule * (4 if rule == 4 else 1)
    line = np.zeros(shape, np.uint8)
    cv2.line(line, (int(p0[0]), int(p0[1])), (int(p1[0]), int(p1[1])), 1, thickness=2)
    cross = ndimage.generate_binary_structure(2, 1)
    ref = ndimage.binary_dilation(line, structure=cross, iterations=n)
    assert n > 5
    assert np.array_equal(dilated_line(shape, p0, p1, n), ref)


def test_parts_sit_on_their_features(crop):
    shape, lm = crop
    ilm = lm.astype(np.int32)
    inside = {
        "left_eye": [36, 37, 38, 39, 40, 41],
        "right_eye": [42, 43, 44, 45, 46, 47],
        "nose": [30, 33],
        "mouth": [48, 51, 54, 62],
        "both_eyes": [39, 42],
    }
    for part, points in inside.items():
        region = sladd_part(lm, shape, part)
        assert all(region[ilm[i, 1], ilm[i, 0]] for i in points), part
    assert not sladd_part(lm, shape, "mouth")[ilm[8, 1], ilm[8, 0]]  # the chin is not mouth


def test_regions_are_unions_of_parts(crop):
    shape, lm = crop
    parts = {p: sladd_part(lm, shape, p) for p in SLADD_PARTS}
    assert len(SLADD_REGIONS) == 10
    for i, names in enumerate(SLADD_REGIONS):
        union = np.logical_or.reduce([parts[n] for n in names])
        assert np.array_equal(sladd_region(lm, shape, i), union)


def _region_index(mask, regions):
    hits = [i for i, r in enumerate(regions) if np.array_equal(mask > 0, r)]
    assert len(hits) == 1
    return hits[0]


def test_sladd_local_regions_uniform(crop):
    shape, lm = crop
    regions = [sladd_region(lm, shape, i) for i in range(10)]
    rng = np.random.default_rng(0)
    drawn = [_region_index(sladd_local(lm, shape, rng), regions) for _ in range(1000)]
    counts = np.bincount(drawn, minlength=10)
    assert counts.min() > 0
    assert stats.chisquare(counts).pvalue > ALPHA


def test_sladd_local_canvas_conventions(crop):
    shape, lm = crop
    out = {
        (dtype, value, line): sladd_local(
            lm, shape, np.random.default_rng(3), dtype=dtype, value=value, line_type=line
        )
        for dtype in ("float32", "uint8")
        for value in (1, 255)
        for line in ("LINE_8", "LINE_AA")
    }
    ref = out[("float32", 255, "LINE_8")]
    assert ref.dtype == np.float32 and set(np.unique(ref)) == {0.0, 1.0}
    for (dtype, value, _), m in out.items():
        assert m.dtype == np.dtype(dtype)
        assert set(np.unique(m)) == ({0.0, 1.0} if dtype == "float32" else {0, value})
        assert np.array_equal(m > 0, ref > 0)  # line type and value never move the region


def test_lal_or_local_half_and_half(crop):
    shape, lm = crop
    lal_masks = [lal_hull(lm, shape, k, "float32", 255, "LINE_8") for k in LAL_HULLS]
    regions = [sladd_region(lm, shape, i) for i in range(10)]
    rng = np.random.default_rng(1)
    n_lal = 0
    for _ in range(600):
        m = lal_or_local(lm, shape, rng, dtype="float32", value=255)
        is_lal = any(np.array_equal(m, x) for x in lal_masks)
        is_local = any(np.array_equal(m > 0, r) for r in regions)
        assert is_lal != is_local
        n_lal += is_lal
    assert stats.binomtest(n_lal, 600, 0.5).pvalue > ALPHA


def test_local_masks_deterministic(crop):
    shape, lm = crop
    for fn in (sladd_local, lal_or_local):
        a = [fn(lm, shape, np.random.default_rng(s)) for s in range(6)]
        b = [fn(lm, shape, np.random.default_rng(s)) for s in range(6)]
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
        assert len({x.tobytes() for x in a}) > 1
