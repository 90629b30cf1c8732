"""Each synthesis axis changes what it should and nothing else (Tables 5-7, sbi-recipe.md §3)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from synth_faces import detect

import adfd.synthesis as syn
from adfd.preprocess.crop import apply_window, box_window
from adfd.synthesis.landmarks import hflip
from adfd.synthesis.pipeline import landmark_crop, self_blend, stage_streams
from adfd.synthesis.transforms import frequency, pair_augment


@pytest.fixture(scope="module")
def crop(face):
    return landmark_crop(face.image, face.landmarks81, face.box)


def blend_at(crop, cfg, seed):
    image, lm, _ = crop
    return self_blend(image, lm, cfg, stage_streams(np.random.default_rng(seed)))


@pytest.mark.parametrize("seed", range(4))
def test_object_source_leaves_target_untouched(crop, syn_cfg, seed):
    syn_cfg["transforms"]["object"] = "source"
    target, fake, m = blend_at(crop, syn_cfg, seed)
    assert np.array_equal(target, crop[0])
    assert np.array_equal(fake[m == 0], crop[0][m == 0])


@pytest.mark.parametrize("seed", range(4))
def test_object_target_leaves_source_untouched(crop, syn_cfg, seed):
    syn_cfg["transforms"]["object"] = "target"
    syn_cfg["transforms"]["affine"]["enabled"] = False
    syn_cfg["blend"]["name"] = "alpha"
    target, fake, m = blend_at(crop, syn_cfg, seed)
    assert not np.array_equal(target, crop[0])
    assert np.array_equal(fake[m == 1], crop[0][m == 1])  # M = 1: pure (untransformed) source
    assert np.array_equal(fake[m == 0], target[m == 0])


def test_object_either_is_source_or_target(crop, syn_cfg):
    seen = set()
    for seed in range(12):
        out = {}
        for obj in ("either", "source", "target"):
            syn_cfg["transforms"]["object"] = obj
            out[obj] = blend_at(crop, syn_cfg, seed)
        same = [o for o in ("source", "target") if np.array_equal(out[o][1], out["either"][1])]
        assert len(same) == 1
        seen.add(same[0])
    assert seen == {"source", "target"}


def test_object_both_transforms_both(crop, syn_cfg):
    syn_cfg["transforms"]["object"] = "both"
    syn_cfg["transforms"]["affine"]["enabled"] = False
    syn_cfg["blend"]["name"] = "alpha"
    target, fake, m = blend_at(crop, syn_cfg, 1)
    assert not np.array_equal(target, crop[0])
    assert not np.array_equal(fake[m == 1], crop[0][m == 1])
    assert not np.array_equal(fake[m == 1], target[m == 1])  # independent draws


@pytest.mark.parametrize("seed", range(6))
def test_alpha_and_dynamic_differ_only_by_ratio(crop, syn_cfg, seed):
    syn_cfg["blend"]["name"] = "alpha"
    t_a, f_a, m_a = blend_at(crop, syn_cfg, seed)
    syn_cfg["blend"]["name"] = "dynamic"
    t_d, f_d, m_d = blend_at(crop, syn_cfg, seed)
    assert np.array_equal(t_a, t_d)
    ratio = m_d.max() / m_a.max()
    assert min(abs(ratio - r) for r in syn_cfg["blend"]["ratios"]) < 1e-6
    assert np.allclose(m_d, ratio * m_a, atol=1e-6)
    assert np.array_equal(f_a[m_a == 0], f_d[m_a == 0])
    assert ratio < 1 or np.array_equal(f_a, f_d)


def test_alpha_without_ratios_key(crop, syn_cfg):
    """A resolved alpha row may drop the inert ``ratios``."""
    syn_cfg["blend"] = {"name": "alpha"}
    assert blend_at(crop, syn_cfg, 0)[2].max() == pytest.approx(1.0)


def test_transforms_off_means_identity(crop, syn_cfg):
    t = syn_cfg["transforms"]
    t["color"]["enabled"] = t["frequency"]["enabled"] = t["affine"]["enabled"] = False
    for obj in ("source", "target", "both", "either"):
        t["object"] = obj
        target, fake, _ = blend_at(crop, syn_cfg, 2)
        assert np.array_equal(target, crop[0])
        # m*x + (1-m)*x truncated to uint8 may lose one level (SBI's astype)
        diff = crop[0].astype(int) - fake.astype(int)
        assert diff.min() >= 0 and diff.max() <= 1


def test_color_shifts_channel_means(crop, syn_cfg):
    t = syn_cfg["transforms"]
    t["object"], t["affine"]["enabled"], t["frequency"]["enabled"] = "target", False, False
    image = crop[0].astype(float)
    shift = [
        np.abs(blend_at(crop, syn_cfg, s)[0].astype(float).mean((0, 1)) - image.mean((0, 1)))
        for s in range(6)
    ]
    assert np.max(shift) > 5


def test_frequency_is_downscale_or_1x_sharpen(syn_cfg):
    """Downscale keeps a flat image; the Sharpen kernel (1 - a) I + a K(L) sums to 1 - a + a L."""
    cfg = syn_cfg["transforms"]["frequency"]
    flat = np.full((64, 48, 3), 200, np.uint8)
    gains = {
        float(frequency(flat, cfg, np.random.default_rng(s))[20, 20, 0]) / 200 for s in range(60)
    }
    assert 1.0 in gains
    sharp = sorted(g for g in gains if g < 1)
    assert len(sharp) > 10
    assert sharp[0] >= 1 - 0.5 + 0.5 * 0.5 - 0.01  # alpha <= 0.5, lightness >= 0.5
    ramp = np.tile(np.arange(0, 256, 4, dtype=np.uint8)[None, :, None], (32, 1, 3))
    out = frequency(ramp, {**cfg, "downscale": [4]}, np.random.default_rng(0))
    assert out.shape == ramp.shape


def test_affine_moves_the_source(crop, syn_cfg):
    t = syn_cfg["transforms"]
    t["color"]["enabled"] = t["frequency"]["enabled"] = False
    syn_cfg["blend"]["name"] = "alpha"
    _, fake, m = blend_at(crop, syn_cfg, 5)
    assert not np.array_equal(fake[m == 1], crop[0][m == 1])
    t["affine"]["enabled"] = False
    _, fake, m = blend_at(crop, syn_cfg, 5)
    assert np.array_equal(fake[m == 1], crop[0][m == 1])


def test_validation_real_is_fixed_margin_crop(face, syn_cfg, data_cfg):
    syn_cfg["transforms"]["object"] = "source"
    image, _, box = landmark_crop(face.image, face.landmarks81, face.box)
    window = box_window(box, (data_cfg["test_margin"],) * 4, *image.shape[:2])
    size = data_cfg["image_size"]
    expect = cv2.resize(apply_window(image, window), (size, size), interpolation=cv2.INTER_LINEAR)
    for seed in range(5):
        rng = np.random.default_rng(seed)
        pair = syn.make_training_pair(
            face.image, face.landmarks81, face.box, syn_cfg, data_cfg, rng, train=False
        )
        assert np.array_equal(pair.real, expect)  # no flip, no pair augmentation, fixed crop


def test_training_flips_about_half(face, syn_cfg, data_cfg):
    syn_cfg["transforms"]["object"] = "source"
    syn_cfg["pair_augment"]["enabled"] = False
    data_cfg["image_size"] = 64
    reals = [
        syn.make_training_pair(
            face.image, face.landmarks, face.box, syn_cfg, data_cfg, np.random.default_rng(s)
        ).real.astype(float)
        for s in range(40)
    ]
    # a mirrored face correlates with the mirrored reference better than with the reference
    ref = reals[0]
    flips = [np.abs(r - ref).mean() > np.abs(r[:, ::-1] - ref).mean() for r in reals[1:]]
    assert 8 <= sum(flips) <= 31


def test_hflip_remap_matches_predictor_on_flipped_image(face, predictor):
    flipped, lm, box = hflip(face.image, face.landmarks, face.box)
    lm_det, _ = detect(flipped, predictor)
    err = np.linalg.norm(lm - lm_det, axis=1)
    assert np.median(err) < 3.0  # without the index remap the error is tens of pixels
    assert np.array_equal(hflip(flipped, lm, box)[1], face.landmarks)  # involution
    assert box[0] < box[2]


def test_hflip_81_reverses_forehead(face):
    _, lm, _ = hflip(face.image, face.landmarks81, face.box)
    assert np.allclose(lm[68:, 0], face.image.shape[1] - face.landmarks81[68:][::-1, 0])
    assert np.all(np.diff(lm[68:, 0]) > 0)  # still temple to temple, left to right


def test_pair_augment_shares_parameters(crop, syn_cfg):
    image = crop[0]
    fake = image.copy()
    fake[:32, :32] = 255 - fake[:32, :32]  # differ only inside the first 32 x 32 block
    cfg = {**syn_cfg["pair_augment"], "p": 1.0, "jpeg_p": 1.0}
    changed = 0
    for seed in range(6):
        real_a, fake_a = pair_augment(image, fake, cfg, np.random.default_rng(seed))
        # JPEG works in 16 x 16 MCUs: outside the altered ones both images stay identical
        assert np.array_equal(real_a[48:], fake_a[48:])
        assert np.array_equal(real_a[:, 48:], fake_a[:, 48:])
        changed += not np.array_equal(real_a, image)
    assert changed == 6
