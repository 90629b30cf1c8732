"""BBMG (paper Eq. 2-4, Table 12, Fig. 7) on a real face with real landmarks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

import adfd.synthesis as syn
import adfd.synthesis.pipeline as pipeline
from adfd.report.synthesis_figures import bbmg_variant_masks
from adfd.synthesis.bbmg import (
    FEATURES,
    VARIANTS,
    bbmg,
    bbmg_layers,
    blurred_parts,
    draw_features,
    merge_local,
    split_landmark,
)
from adfd.synthesis.blur import blend_mask
from adfd.synthesis.masks import sbi_hull
from adfd.synthesis.pipeline import landmark_crop, self_blend, stage_streams

ALPHA = 1e-3
SMALL = {"size": (224, 224), "k1": 5, "k2": 5, "sigma2": 5}  # little blur: parts stay apart
SUBSETS = [s for n in (1, 2, 4) for s in itertools.combinations(FEATURES, n)][:9]


@pytest.fixture(scope="module")
def crop(face):
    image, lm, _ = landmark_crop(face.image, face.landmarks81, face.box)
    return image, lm


def _layers(crop, features, dtype="float32", value=255, line_type="LINE_8"):
    image, lm = crop
    return bbmg_layers(lm, image.shape[:2], features, dtype, value, line_type)


@pytest.mark.parametrize("features", SUBSETS)
@pytest.mark.parametrize(("dtype", "value"), [("float32", 255), ("uint8", 1), ("uint8", 255)])
def test_eq2_global_plus_local_is_landmark(crop, features, dtype, value):
    layers = _layers(crop, features, dtype, value, "LINE_AA")
    m_landmark = layers[..., 0]
    m_global, m_local = split_landmark(layers)
    assert layers.dtype == np.dtype(dtype) and layers.shape[2] == 1 + len(features)
    assert np.array_equal(m_global + m_local, m_landmark)  # Eq. 2, exact
    assert not np.any(m_global.astype(float) * m_local)  # disjoint
    assert m_global.min() >= 0 and m_local.any() and m_global.any()
    assert np.all(layers[..., 1:] <= m_landmark[..., None])  # features within the face


def test_landmark_mask_is_the_hull_of_all_points(crop):
    image, lm = crop
    ref = sbi_hull(lm, image.shape[:2], None, dtype="float32", value=1)
    assert np.array_equal(_layers(crop, ("nose",))[..., 0], ref)


def test_features_cover_their_landmarks_and_not_the_chin(crop):
    _, lm = crop
    layers = _layers(crop, tuple(FEATURES))
    ilm = lm.astype(int)
    for i, points in enumerate(FEATURES.values(), start=1):
        assert all(layers[ilm[p, 1], ilm[p, 0], i] for p in points)
    assert not layers[ilm[8, 1] - 2, ilm[8, 0], 1:].any()


def test_eq3_final_is_max_of_blurred_parts(crop, syn_cfg):
    parts = blurred_parts(_layers(crop, ("left_eye", "mouth")), syn_cfg["blur"], SMALL, SMALL)
    local = merge_local(parts, 1.0)
    full = VARIANTS["full"](parts, 0.5)
    assert np.array_equal(full, np.maximum(parts.global_b, local))
    assert np.all(full >= parts.global_b) and np.all(full >= local)
    assert full.dtype == np.float32 and full.min() >= 0 and full.max() == pytest.approx(1)


def test_eq3_on_hand_built_masks_with_known_maxima():
    """M_final = max(M_global^b, M_local^b) pixel by pixel, on masks whose values are set by
    hand (no blur involved): every region's expected value is written out."""
    from adfd.synthesis.bbmg import BlurredParts, final_mask

    h, w = 8, 10
    global_b = np.zeros((h, w), np.float32)
    global_b[:, :5] = 0.3  # left half
    global_b[6:, :] = 0.9  # bottom rows, over everything
    eye = np.zeros((h, w), np.float32)
    eye[1:4, 3:7] = 0.8  # straddles the left half
    mouth = np.zeros((h, w), np.float32)
    mouth[2:7, 6:9] = 0.5  # overlaps the eye at column 6 and the bottom rows at row 6
    parts = BlurredParts(global_b, [(eye, (4.5, 2.0)), (mouth, (7.0, 4.0))], (h, w))
    out = final_mask(parts, 0.5)  # narrow does not apply to the full variant
    expect = np.zeros((h, w), np.float32)
    expect[:, :5] = 0.3
    expect[2:7, 6:9] = 0.5
    expect[1:4, 3:7] = 0.8  # eye (0.8) over global (0.3) and over the mouth (0.5)
    expect[6:, :] = 0.9  # global (0.9) over the mouth's last row (0.5)
    assert np.array_equal(out, expect)
    assert out[2, 6] == 0.8 and out[6, 7] == 0.9 and out[4, 7] == 0.5 and out[5, 1] == 0.3
    assert out[0, 9] == 0.0  # no mask anywhere there
    no_local = BlurredParts(global_b, [], (h, w))
    assert np.array_equal(final_mask(no_local, 0.5), global_b)


def _at(mask, point):
    return mask[int(point[1]), int(point[0])]


def test_variants(crop, syn_cfg):
    _, lm = crop
    parts = blurred_parts(_layers(crop, ("left_eye", "mouth")), syn_cfg["blur"], SMALL, SMALL)
    masks = {v: fn(parts, 0.5) for v, fn in VARIANTS.items()}
    assert np.array_equal(masks["global_only"], parts.global_b)
    eye, mouth = lm[36:42].mean(axis=0), lm[48:60].mean(axis=0)
    for centre in (eye, mouth):
        assert _at(masks["global_only"], centre) < 0.05  # the hole: no local mass
        assert _at(masks["full"], centre) > 0.95
        assert _at(masks["narrowed_local"], centre) > 0.95  # scaled about the centre
    support = {s: (merge_local(parts, s) > 0.5).sum() for s in (1.0, 0.5)}
    assert 0.15 < support[0.5] / support[1.0] < 0.4  # about 0.5 ** 2 of the area
    assert masks["narrowed_local"].sum() < masks["full"].sum()


def test_feature_subset_distribution():
    rng = np.random.default_rng(0)
    p, n = 0.5, 4000
    draws = [draw_features(rng, p) for _ in range(n)]
    assert all(draws)  # never empty
    marginal = p / (1 - (1 - p) ** 4)  # P(chosen | not empty)
    for f in FEATURES:
        k = sum(f in d for d in draws)
        assert stats.binomtest(k, n, marginal).pvalue > ALPHA, f
    subsets = [tuple(sorted(d)) for d in draws]
    counts = np.array([subsets.count(s) for s in sorted(set(subsets))])
    assert len(counts) == 15 and stats.chisquare(counts).pvalue > ALPHA  # p = 0.5: uniform
    with pytest.raises(ValueError, match="feature_p"):
        draw_features(rng, 0)


def test_bbmg_is_deterministic_and_in_range(crop, syn_cfg):
    image, lm = crop
    own = syn_cfg["mask"]["bbmg"]
    out = []
    for seed in (0, 0, 1):
        gen = bbmg(lm, image.shape[:2], np.random.default_rng(seed), **own)
        out.append(gen.finish(gen.layers, syn_cfg["blur"], np.random.default_rng(seed)))
    assert np.array_equal(out[0], out[1]) and not np.array_equal(out[0], out[2])
    assert all(m.dtype == np.float32 and m.min() >= 0 and m.max() <= 1 for m in out)
    with pytest.raises(KeyError, match="variant"):
        bbmg(lm, image.shape[:2], np.random.default_rng(0), variant="local_only")


def test_pipeline_does_not_blur_bbmg_twice(crop, syn_cfg, monkeypatch):
    image, lm = crop
    syn_cfg["mask"]["name"] = "bbmg"
    syn_cfg["transforms"]["affine"]["enabled"] = False  # mask layers reach the blur unwarped
    streams = stage_streams(np.random.default_rng(7))
    gen = syn.masks.build_mask(lm, image.shape[:2], syn_cfg["mask"], streams["mask"])
    expected = gen.finish(gen.layers, syn_cfg["blur"], streams["blur"])
    _, _, m = self_blend(image, lm, syn_cfg, stage_streams(np.random.default_rng(7)))
    ratio = m.max() / expected.max()
    assert np.allclose(m, ratio * expected, atol=1e-6)
    twice = blend_mask(expected, syn_cfg["blur"], np.random.default_rng(0))
    assert not np.allclose(m, ratio * twice, atol=1e-2)  # a second blur would show

    def no_second_blur(*args, **kwargs):
        raise AssertionError("synthesis.blur applied to a self-blurred mask")

    monkeypatch.setattr(pipeline, "blend_mask", no_second_blur)
    self_blend(image, lm, syn_cfg, stage_streams(np.random.default_rng(8)))
    syn_cfg["mask"]["name"] = "lal"
    with pytest.raises(AssertionError, match="self-blurred"):
        self_blend(image, lm, syn_cfg, stage_streams(np.random.default_rng(8)))


def test_float32_value_and_line_type_are_inert(crop, syn_cfg):
    image, lm = crop

    def final(dtype, value, line_type):
        gen = bbmg(
            lm,
            image.shape[:2],
            np.random.default_rng(5),
            dtype=dtype,
            value=value,
            line_type=line_type,
        )
        return gen.finish(gen.layers, syn_cfg["blur"], np.random.default_rng(5))

    ref = final("float32", 255, "LINE_AA")
    assert np.array_equal(ref, final("float32", 1, "LINE_8"))
    assert not np.array_equal(ref, final("uint8", 1, "LINE_8"))  # uint8/1: no outline erosion


def test_fig7_variant_masks(face, syn_cfg):
    out = bbmg_variant_masks(face.image, face.landmarks81, syn_cfg, np.random.default_rng(4))
    assert list(out) == ["1: global only", "2: narrowed local", "3: full"]
    image, _ = landmark_crop(face.image, face.landmarks81, face.box)[:2]
    for m in out.values():
        assert m.shape == image.shape[:2] and m.dtype == np.float32
        assert m.min() >= 0 and m.max() <= 1
    g, n, f = out.values()
    assert np.all(n >= g) and np.all(f >= g)  # same draws: local parts only add
    assert g.sum() < n.sum() < f.sum()
    again = bbmg_variant_masks(face.image, face.landmarks81, syn_cfg, np.random.default_rng(4))
    assert all(np.array_equal(out[k], again[k]) for k in out)
