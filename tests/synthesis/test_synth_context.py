"""Shards store each face's context window, not the frame (adfd.preprocess.crop.context_window):
a pseudo-fake made from the context must equal the one made from the full frame, byte for
byte, for every random draw (flip or not, any margin), and so must the test crop."""

from __future__ import annotations

import copy

import cv2
import numpy as np
import pytest

from adfd.preprocess.crop import apply_window, box_window, context_window
from adfd.synthesis import make_training_pair
from adfd.synthesis.pipeline import jpeg_context, stage_streams
from adfd.synthesis.transforms import pair_augment


def _padded(face, pad=(180, 260, 140, 90)):
    """The face on a larger canvas (left, top, right, bottom padding), so its context is
    not clipped by the frame on any side; the astronaut itself touches the top edge."""
    left, top, right, bottom = pad
    image = np.pad(face.image, ((top, bottom), (left, right), (0, 0)), mode="reflect")
    shift = np.array([left, top], dtype=np.float64)
    return image, face.landmarks81 + shift, face.box + np.tile(shift, 2)


def _in_context(image, landmarks, box, margin):
    window = context_window(landmarks, box, margin, *image.shape[:2])
    off = np.array(window[:2], dtype=np.float64)
    return apply_window(image, window), landmarks - off, box - np.tile(off, 2), window


@pytest.mark.parametrize("where", ["frame edge", "inside"])
@pytest.mark.parametrize("mask", ["lal", "bbmg"])
def test_pairs_from_context_equal_pairs_from_frame(face, syn_cfg, data_cfg, where, mask):
    if where == "inside":
        image, landmarks, box = _padded(face)
    else:
        image, landmarks, box = face.image, face.landmarks81, face.box
    syn = copy.deepcopy(syn_cfg)
    syn["mask"]["name"] = mask
    data = dict(data_cfg, image_size=128)
    crop, lm_c, box_c, window = _in_context(image, landmarks, box, data["train_margin"][1])
    assert crop.size < image.size
    if where == "inside":  # not clipped: the context lies strictly inside the frame
        assert window[0] > 0 and window[1] > 0
        assert window[2] < image.shape[1] and window[3] < image.shape[0]
    flipped = set()
    for seed in range(16):
        for train in (True, False):
            full = make_training_pair(image, landmarks, box, syn, data,
                                      np.random.default_rng(seed), train=train)  # fmt: skip
            ours = make_training_pair(crop, lm_c, box_c, syn, data,
                                      np.random.default_rng(seed), train=train)  # fmt: skip
            for a, b in zip(full, ours, strict=True):
                assert a.dtype == b.dtype and np.array_equal(a, b), (seed, train)
        streams = stage_streams(np.random.default_rng(seed))
        flipped.add(bool(streams["flip"].random() < syn["hflip_p"]))
    assert flipped == {True, False}  # both orientations were compared


def test_context_holds_every_crop_window(face):
    image, landmarks, box = _padded(face)
    h, w = image.shape[:2]
    ctx = context_window(landmarks, box, 0.2, h, w)
    rng = np.random.default_rng(0)
    for _ in range(200):
        margins = tuple(rng.uniform(0.0, 0.2, size=4))
        for bx in (box, np.array([w - box[2], box[1], w - box[0], box[3]])):
            x0, y0, x1, y1 = box_window(bx, margins, h, w)
            if bx is not box:  # a window of the flipped frame, mapped back
                x0, x1 = w - x1, w - x0
            assert ctx[0] <= x0 and ctx[1] <= y0 and x1 <= ctx[2] and y1 <= ctx[3]
    # without landmarks (test sets): the box windows only, smaller
    bare = context_window(None, box, 0.2, h, w)
    assert (bare[2] - bare[0]) * (bare[3] - bare[1]) < (ctx[2] - ctx[0]) * (ctx[3] - ctx[1])


# ---- the loader's other shortcuts: exact where they claim to be -------------------------


def test_pair_augmentation_on_the_jpeg_rows_equals_the_whole_crop(face, syn_cfg):
    """RGB shift, HSV, brightness/contrast and a JPEG round trip (all on) on the MCU rows
    the box window needs give the window's pixels exactly as augmenting the whole crop."""
    cfg = dict(syn_cfg["pair_augment"], p=1.0, jpeg_p=1.0)
    image, landmarks, box = _padded(face)
    crop, _, box_c, _ = _in_context(image, landmarks, box, 0.2)
    real = crop
    fake = np.ascontiguousarray(np.roll(crop, 7, axis=1))  # a different second image
    h, w = real.shape[:2]
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(24):
        margins = tuple(rng.uniform(0.05, 0.2, size=4))
        if seed % 4 == 0:  # a window that meets the image's bottom edge
            margins = (*margins[:3], 2.0)
        window = box_window(box_c, margins, h, w)
        ctx = jpeg_context(window, h, w)
        rows.append((ctx[3] - ctx[1]) / h)
        whole = pair_augment(real, fake, cfg, np.random.default_rng(seed))
        part = pair_augment(apply_window(real, ctx), apply_window(fake, ctx), cfg,
                            np.random.default_rng(seed))  # fmt: skip
        shifted = (window[0], window[1] - ctx[1], window[2], window[3] - ctx[1])
        for a, b in zip(whole, part, strict=True):
            assert np.array_equal(apply_window(a, window), apply_window(b, shifted)), seed
        assert ctx[1] % 16 == 0 and (ctx[0], ctx[2]) == (0, w)
    assert np.mean(rows) < 0.9  # fewer rows to augment
    # without the one-MCU margin the decoder's chroma upsampling shows at the edge
    tight = (0, window[1] // 16 * 16, w, window[3])
    part = pair_augment(apply_window(real, tight), apply_window(fake, tight), cfg,
                        np.random.default_rng(seed))  # fmt: skip
    shifted = (window[0], window[1] - tight[1], window[2], window[3] - tight[1])
    assert not np.array_equal(apply_window(whole[0], window), apply_window(part[0], shifted))


class _Slice:
    """A generator stand-in that hands out a fixed block of a full-frame noise array."""

    def __init__(self, block):
        self.block = block

    def random(self, shape, dtype):
        assert shape == self.block.shape and dtype == np.float32
        return self.block


@pytest.mark.parametrize("shift", [(0, 0), (-150, 0), (0, 200)])
def test_elastic_on_the_mask_box_equals_the_full_frame_fields(face, shift):
    """Same noise: the fields computed only around the mask give the full-frame result."""
    from adfd.synthesis.masks import nonzero_box, sbi_hull
    from adfd.synthesis.transforms import _grow, elastic_mask

    image, landmarks, _ = _padded(face)
    landmarks = landmarks + np.array(shift)  # (-150, 0): the hull meets the left edge
    mask = sbi_hull(landmarks, image.shape[:2], None, dtype="float32")
    alpha, sigma = 50.0, 7.0
    h, w = mask.shape
    full = np.random.default_rng(3).random((2, h, w), dtype=np.float32) * 2 - 1
    radius = int(4 * sigma + 0.5)
    k = 2 * radius + 1
    dx, dy = (cv2.GaussianBlur(n, (k, k), sigma, borderType=cv2.BORDER_REFLECT) * alpha
              for n in full)  # fmt: skip
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    expected = cv2.remap(mask, gx + dx, gy + dy, cv2.INTER_NEAREST,
                         borderMode=cv2.BORDER_REFLECT_101)  # fmt: skip
    out = _grow(nonzero_box(mask), int(alpha) + 1, h, w)
    ny0, ny1, nx0, nx1 = _grow(out, radius, h, w)
    assert (ny1 - ny0) * (nx1 - nx0) < 0.8 * h * w  # less noise to draw and smooth
    block = (full[:, ny0:ny1, nx0:nx1] + 1) / 2  # what rng.random returned there
    got = elastic_mask(mask, alpha, sigma, _Slice(block.astype(np.float32)))
    # the same fields up to float32 rounding ((x + 1) / 2 round trip, 2 (G * u) - 1 instead
    # of G * (2u - 1)): a nearest-neighbour sample may flip where a displacement sits on .5
    assert np.mean(got != expected) < 1e-4 and got.sum() > 0


def test_blend_on_the_mask_box_equals_sbi_over_every_pixel(face):
    """The blend on the box where M > 0 = SBI's over the whole crop, in the mask's dtype:
    float32 for a float32 mask (SBI: ``mask *= ratio`` then ``mask * src + (1 - mask) * tgt``
    on uint8 images stays float32), float64 for one blurred from uint8 (``/ max``)."""
    from adfd.synthesis.blend import blend

    rng = np.random.default_rng(0)
    image = face.image
    source = np.clip(image.astype(np.int16) + rng.integers(-40, 40, image.shape), 0, 255)
    source = source.astype(np.uint8)
    mask = np.zeros(image.shape[:2], np.float32)
    mask[100:300, 150:380] = rng.random((200, 230), dtype=np.float32)
    mask = cv2.GaussianBlur(mask, (31, 31), 0)
    for ratio in (0.25, 0.5, 0.75, 1.0):
        for dtype in (np.float32, np.float64):
            m_sbi = mask.astype(dtype)[..., None].copy()
            m_sbi *= ratio
            sbi = m_sbi * source + (1 - m_sbi) * image
            assert sbi.dtype == dtype
            got, _ = blend(source, image, mask.astype(dtype), ratio)
            assert np.array_equal(got, sbi.astype(np.uint8)), (ratio, dtype)
        ours, m = blend(source, image, mask, ratio)
        assert np.array_equal(ours[:80], image[:80])  # outside the mask: the target itself
        assert m.dtype == np.float32 and np.array_equal(m, (mask * ratio).astype(np.float32))


@pytest.mark.parametrize("scale", [0.6, 1.0, 2.5])
def test_bbmg_feature_regions_on_their_box_equal_the_full_frame(face, scale):
    from adfd.synthesis.bbmg import FEATURE_MARGIN, FEATURES, feature_region

    image, landmarks, _ = _padded(face)
    lm = landmarks * scale
    shape = (int(image.shape[0] * scale), int(image.shape[1] * scale))
    eyes = np.linalg.norm(lm[36:42].mean(axis=0) - lm[42:48].mean(axis=0))
    for feature, idx in FEATURES.items():
        hull = np.zeros(shape, np.uint8)
        cv2.fillConvexPoly(hull, cv2.convexHull(lm[idx].astype(np.int32)), 1)
        full = cv2.distanceTransform(1 - hull, cv2.DIST_L2, 5) <= FEATURE_MARGIN * eyes
        got = feature_region(lm, shape, feature)
        assert np.array_equal(got, full), feature
        assert got.sum() > hull.sum()
