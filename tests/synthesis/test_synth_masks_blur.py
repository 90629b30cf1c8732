"""Masks and blend-mask blur: measured erosion behaviour (docs/sbi-recipe.md §3/§8), Fig. 4-5."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from adfd.report.synthesis_figures import fig4_masks
from adfd.synthesis.blur import blend_mask, blend_mask_with, blur_small, first_pass, gaussian
from adfd.synthesis.masks import LAL_HULLS, lal, lal_hull, sbi_hull
from adfd.synthesis.pipeline import landmark_crop

BLUR = {"name": "gaussian", "resize": [192, 256], "kernel": [5, 25], "sigma2": [5, 45]}


@pytest.fixture(scope="module")
def crop(face):
    image, lm, _ = landmark_crop(face.image, face.landmarks, face.box)
    return image, lm


def _disc(dtype, value, line_type=cv2.LINE_8):
    m = np.zeros((224, 224), dtype)
    cv2.circle(m, (112, 112), 60, value, -1, lineType=line_type)
    return m


@pytest.mark.parametrize(
    ("dtype", "value", "kept"),
    # docs/sbi-recipe.md §8: 224 px disc, radius 60 (11289 px), k1 = 15
    [(np.float32, 1, 8149), (np.float32, 255, 8149), (np.uint8, 255, 8781)],
)
def test_first_pass_matches_reference_measurement(dtype, value, kept):
    m = _disc(dtype, value)
    assert (m > 0).sum() == 11289
    assert (first_pass(m, gaussian, 15) > 0).sum() == kept


def test_uint8_value_1_does_not_erode():
    m = _disc(np.uint8, 1)
    out = first_pass(m, gaussian, 15)
    assert (out > 0).sum() >= 0.99 * 11289  # only the corners are smoothed


@pytest.mark.parametrize("k1", [5, 11, 25])
def test_float32_first_pass_is_square_erosion_on_real_hull(crop, k1):
    image, lm = crop
    h, w = image.shape[:2]
    scaled = lm * np.array([230 / w, 210 / h])  # hull drawn at the working resolution
    m = sbi_hull(scaled, (210, 230), None, dtype="float32", value=255, line_type="LINE_AA")
    eroded = cv2.erode(m.astype(np.uint8), np.ones((k1, k1), np.uint8))
    out = first_pass(m, gaussian, k1)
    assert np.array_equal(out > 0, eroded > 0)
    assert set(np.unique(out)) <= {0.0, 1.0}
    # after SBI's bilinear resize the edge holds fractions: erosion up to a few pixels
    small = cv2.resize(sbi_hull(lm, (h, w), None, dtype="float32", value=1), (230, 210))
    eroded = cv2.erode((small == 1).astype(np.uint8), np.ones((k1, k1), np.uint8))
    diff = ((first_pass(small, gaussian, k1) > 0) != (eroded > 0)).sum()
    assert diff <= 0.005 * eroded.sum()


def test_uint8_hull_erosion_ordering(crop):
    image, lm = crop
    shape = image.shape[:2]
    area = {}
    for dtype, value in (("uint8", 1), ("uint8", 255), ("float32", 1)):
        m = sbi_hull(lm, shape, None, dtype=dtype, value=value, line_type="LINE_8")
        area[(dtype, value)] = (first_pass(cv2.resize(m, (224, 224)), gaussian, 15) > 0).sum()
    assert area[("float32", 1)] < area[("uint8", 255)] < area[("uint8", 1)]


@pytest.mark.parametrize("kind", list(LAL_HULLS))
def test_float32_ignores_line_type_and_value(face, kind):
    lm, shape = face.landmarks81, face.image.shape[:2]
    ref = lal_hull(lm, shape, kind, "float32", 255, "LINE_8")
    assert set(np.unique(ref)) == {0.0, 1.0}
    assert np.array_equal(ref, lal_hull(lm, shape, kind, "float32", 255, "LINE_AA"))
    assert np.array_equal(ref, lal_hull(lm, shape, kind, "float32", 1, "LINE_AA"))
    u8 = lal_hull(lm, shape, kind, "uint8", 1, "LINE_8")
    assert np.array_equal(ref.astype(np.uint8), u8)


def test_sbi_hull_uint8_values(face):
    lm, shape = face.landmarks, face.image.shape[:2]
    assert set(np.unique(sbi_hull(lm, shape, None, dtype="uint8", value=1))) == {0, 1}
    m255 = sbi_hull(lm, shape, None, dtype="uint8", value=255, line_type="LINE_AA")
    assert len(np.unique(m255)) > 2  # anti-aliased edge exists only on uint8 / 255


def test_lal_hull_areas(face):
    """Reference §6: dfl_full, components, facehull ~ 1.0x the 68-point hull, extended ~1.08x."""
    lm, shape = face.landmarks, face.image.shape[:2]
    hull = sbi_hull(lm, shape, None, dtype="float32", value=1).sum()
    ratio = {k: lal_hull(lm, shape, k, "float32", 255, "LINE_8").sum() / hull for k in LAL_HULLS}
    for k in ("dfl_full", "components", "facehull"):
        assert ratio[k] == pytest.approx(1.0, abs=0.02)
    assert 1.03 < ratio["extended"] < 1.2
    # 81 points: facehull reaches the forehead
    big = lal_hull(face.landmarks81, shape, "facehull", "float32", 255, "LINE_8").sum()
    assert big > 1.2 * hull


def test_lal_draws_one_of_four(face):
    lm, shape = face.landmarks, face.image.shape[:2]
    for seed in range(8):
        m = lal(lm, shape, np.random.default_rng(seed), dtype="float32", value=255)
        kind = list(LAL_HULLS)[int(np.random.default_rng(seed).integers(4))]
        assert np.array_equal(m, lal_hull(lm, shape, kind, "float32", 255, "LINE_8"))


@pytest.mark.parametrize("name", ["gaussian", "average", "median"])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_blend_mask_range(crop, name, dtype):
    image, lm = crop
    m = sbi_hull(lm, image.shape[:2], None, dtype=dtype, value=1)
    out = blend_mask(m, {**BLUR, "name": name}, np.random.default_rng(0))
    assert out.shape == m.shape
    assert out.min() >= 0 and out.max() <= 1 + 1e-6 and out.max() > 0.99


def test_median_does_not_feather(crop):
    """Median keeps a near-binary mask (paper §4.3: it does not blur the boundary)."""
    image, lm = crop
    m = sbi_hull(lm, image.shape[:2], None, dtype="float32", value=1)
    params = {"size": (224, 224), "k1": 15, "k2": 15, "sigma2": 20}
    med = blur_small(cv2.resize(m, (224, 224)), {**BLUR, "name": "median"}, params)
    gau = blur_small(cv2.resize(m, (224, 224)), {**BLUR, "name": "gaussian"}, params)
    frac = lambda x: ((x > 0.02) & (x < 0.98)).mean()  # noqa: E731
    assert frac(med) < 0.2 * frac(gau)


def test_sigma2_null_uses_kernel_sigma(crop):
    image, lm = crop
    m = cv2.resize(sbi_hull(lm, image.shape[:2], None, dtype="float32", value=1), (224, 224))
    params = {"size": (224, 224), "k1": 9, "k2": 15, "sigma2": 0}
    out = blur_small(m, {**BLUR, "sigma2": None}, params)
    ref = first_pass(m, gaussian, 9)
    ref = cv2.GaussianBlur(ref, (15, 15), 0)
    assert np.allclose(out, ref / ref.max())


def test_fixed_kernel_and_keep_core(crop):
    image, lm = crop
    m = cv2.resize(sbi_hull(lm, image.shape[:2], None, dtype="float32", value=1), (224, 224))
    params = {"size": (224, 224), "k1": 5, "k2": 5, "sigma2": 5}
    cfg = {**BLUR, "fixed_kernel": 31}
    out = blur_small(m, cfg, params)
    ref = cv2.GaussianBlur(m, (31, 31), 0)
    assert np.allclose(out, ref / ref.max())
    assert (out[m == 1] < 1).any()  # a single pass blurs inwards too
    core = blur_small(m, {**cfg, "keep_core": True}, params)
    assert (core[m == 1] == 1).all()  # "fixed regions": mask == 1 stays unblurred
    assert np.array_equal(core[m < 1], out[m < 1])


def test_fig4_masks(face):
    out = fig4_masks(face.image, face.landmarks, np.random.default_rng(4))
    assert set(out) == {"image", "hull", "uint8", "uint8_255", "float32"}
    shape = out["image"].shape[:2]
    for k in ("hull", "uint8", "uint8_255", "float32"):
        assert out[k].shape == shape and out[k].dtype == np.float32
    # float32 erodes in the first pass: smaller mass, same random draws
    assert out["float32"].sum() < out["uint8_255"].sum() < out["uint8"].sum()
    again = fig4_masks(face.image, face.landmarks, np.random.default_rng(4))
    assert all(np.array_equal(out[k], again[k]) for k in out)


def test_blend_mask_with_is_pure(crop):
    image, lm = crop
    m = sbi_hull(lm, image.shape[:2], None, dtype="uint8", value=1)
    params = {"size": (200, 250), "k1": 7, "k2": 21, "sigma2": 30}
    assert np.array_equal(blend_mask_with(m, BLUR, params), blend_mask_with(m, BLUR, params))
