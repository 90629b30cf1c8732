"""One SBI training pair: mask generation -> source-target preprocessing -> blending.

Follows docs/sbi-recipe.md §3 (``SBI_Dataset.__getitem__`` -> ``self_blending`` ->
``dynamic_blend``) with every axis of paper Table 1 built by name from ``synthesis`` config:

1. hflip (train only, p = ``hflip_p``) with landmark and box remap;
2. landmark crop (``adfd.preprocess.crop.landmark_window``), landmarks and box shifted;
3. truncation to 68 points (p = ``truncate_p``);
4. mask (``MASKS``), source/target colour + frequency transform per ``transforms.object``,
   affine on source and mask, elastic on the mask only, blend mask (``BLURS``, or the
   mask's own ``SelfBlurred.finish`` for BBMG), blend (``BLENDS``; Eq. 1/4);
5. shared pair augmentation (train only), on the rows of the crop the box crop keeps
   (``jpeg_context``: the same pixels as augmenting the whole crop);
6. box crop, random margins (train) or fixed (val), resize to S with INTER_LINEAR.

Randomness: every stage draws from its own generator, seeded from ``rng`` up front, so
switching one axis (e.g. ``blend.name``) does not shift the draws of the others.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from adfd.preprocess.crop import apply_window, box_window, draw_train_margins, landmark_window
from adfd.registries import BLENDS
from adfd.synthesis.blur import blend_mask
from adfd.synthesis.landmarks import hflip, truncate
from adfd.synthesis.masks import SelfBlurred, build_mask
from adfd.synthesis.transforms import pair_augment, random_affine, source_target_transform

STAGES = (
    "flip",
    "truncate",
    "mask",
    "object",
    "source",
    "target",
    "affine",
    "blur",
    "blend",
    "pair",
    "crop",
)


JPEG_MCU = 16  # libjpeg's largest MCU (4:2:0 chroma): 16 x 16 pixels


def jpeg_context(window: tuple[int, int, int, int], height: int, width: int):
    """The image rows that the window needs for the pair augmentation, full width.

    The pair augmentation is pixelwise (RGB shift, HSV, brightness/contrast) and then a
    JPEG round trip, per 16 x 16 MCU on the image's grid except the decoder's chroma
    upsampling, which reads one neighbouring chroma sample: rows from the window's MCU row
    minus one MCU to its last MCU row plus one (or the image edge) give the window's
    pixels exactly as augmenting the whole image. Full width, because OpenCV's HSV->RGB
    conversion rounds some column groups differently for another row width
    (tests/synthesis/test_synth_context.py).
    """
    _, y0, _, y1 = window
    m = JPEG_MCU
    return 0, max(0, (y0 // m - 1) * m), width, min(height, (-(-y1 // m) + 1) * m)


class Pair(NamedTuple):
    real: np.ndarray  # (S, S, 3) uint8 RGB: the (possibly transformed) target
    fake: np.ndarray  # (S, S, 3) uint8 RGB: the self-blended image
    mask: np.ndarray  # (S, S) float32 in [0, 1]: blend ratio x blurred blend mask


def _source_only(rng: np.random.Generator) -> tuple[bool, bool]:
    return True, False


def _target_only(rng: np.random.Generator) -> tuple[bool, bool]:
    return False, True


def _both(rng: np.random.Generator) -> tuple[bool, bool]:
    return True, True  # independent draws: separate source/target generators


def _either(rng: np.random.Generator) -> tuple[bool, bool]:
    on_source = bool(rng.random() < 0.5)  # SBI: np.random.rand() < 0.5 -> source, else target
    return on_source, not on_source


# Table 6 transform objects: (transform the source?, transform the target?)
OBJECTS = {"source": _source_only, "target": _target_only, "both": _both, "either": _either}


def stage_streams(rng: np.random.Generator) -> dict[str, np.random.Generator]:
    """One child generator per pipeline stage, all seeded from ``rng``."""
    seeds = rng.integers(0, 2**63, size=len(STAGES))
    return {name: np.random.default_rng(int(s)) for name, s in zip(STAGES, seeds, strict=True)}


def landmark_crop(image: np.ndarray, landmarks: np.ndarray, box: np.ndarray):
    """SBI ``crop_face(margin=True)``: crop around landmarks 0..67, shift landmarks and box."""
    window = landmark_window(landmarks, image.shape[0], image.shape[1])
    x0, y0 = window[0], window[1]
    shifted_box = box - np.array([x0, y0, x0, y0], dtype=np.float64)
    return apply_window(image, window), landmarks - np.array([x0, y0]), shifted_box


def with_blend_mask(generated: np.ndarray | SelfBlurred) -> SelfBlurred:
    """The ``MASKS`` contract: a plain mask gets SBI's blend mask (``synthesis.blur``); a
    ``SelfBlurred`` one (BBMG) keeps its own ``finish`` and is never blurred a second time."""
    if isinstance(generated, SelfBlurred):
        return generated
    return SelfBlurred(generated, blend_mask)


def self_blend(
    image: np.ndarray, landmarks: np.ndarray, cfg: dict, streams: dict[str, np.random.Generator]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SBI ``self_blending`` after truncation: returns (target, fake, M), all at crop size."""
    generated = build_mask(landmarks, image.shape[:2], cfg["mask"], streams["mask"])
    mask, finish = with_blend_mask(generated)
    tcfg = cfg["transforms"]
    if tcfg["object"] not in OBJECTS:
        raise KeyError(
            f"unknown synthesis.transforms.object '{tcfg['object']}'; allowed: {', '.join(OBJECTS)}"
        )
    on_source, on_target = OBJECTS[tcfg["object"]](streams["object"])
    source, target = image.copy(), image
    if on_source:
        source = source_target_transform(source, tcfg, streams["source"])
    if on_target:
        target = source_target_transform(target, tcfg, streams["target"])
    if tcfg["affine"]["enabled"]:
        source, mask = random_affine(source, mask, tcfg["affine"], streams["affine"])
    blurred = finish(mask, cfg["blur"], streams["blur"])
    blend_kw = {k: v for k, v in cfg["blend"].items() if k != "name"}
    fake, m = BLENDS.get(cfg["blend"]["name"])(
        source, target, blurred, streams["blend"], **blend_kw
    )
    return target, fake, m


def make_training_pair(
    frame: np.ndarray,
    landmarks: np.ndarray,
    box: np.ndarray,
    synthesis_cfg: dict,
    data_cfg: dict,
    rng: np.random.Generator,
    train: bool = True,
) -> Pair:
    """One (real, fake, mask) pair of size ``data_cfg['image_size']`` from one face.

    frame: (H, W, 3) uint8 RGB; landmarks: (68 | 81, 2), 81 already reordered temple to
    temple; box: (4,) x0, y0, x1, y1. ``train=False``: no flip, no pair augmentation and the
    fixed ``test_margin`` (SBI validation).
    """
    streams = stage_streams(rng)
    image = np.asarray(frame)
    lm = np.asarray(landmarks, dtype=np.float64)
    bx = np.asarray(box, dtype=np.float64).reshape(-1)[:4]
    if train and streams["flip"].random() < synthesis_cfg["hflip_p"]:
        image, lm, bx = hflip(image, lm, bx)
    image, lm, bx = landmark_crop(image, lm, bx)
    lm = truncate(lm, streams["truncate"], synthesis_cfg["truncate_p"])
    real, fake, mask = self_blend(image, lm, synthesis_cfg, streams)
    if train:
        margins = draw_train_margins(streams["crop"], *data_cfg["train_margin"])
    else:
        margins = (float(data_cfg["test_margin"]),) * 4
    window = box_window(bx, margins, image.shape[0], image.shape[1])
    if train and synthesis_cfg["pair_augment"]["enabled"]:
        # on the rows of the landmark crop that the box crop keeps (jpeg_context): the same
        # pixels as augmenting the whole crop and cutting the window afterwards
        ctx = jpeg_context(window, image.shape[0], image.shape[1])
        real, fake = pair_augment(apply_window(real, ctx), apply_window(fake, ctx),
                                  synthesis_cfg["pair_augment"], streams["pair"])  # fmt: skip
        mask = apply_window(mask, ctx)
        x0, y0 = ctx[:2]
        window = (window[0] - x0, window[1] - y0, window[2] - x0, window[3] - y0)
    size = int(data_cfg["image_size"])
    real, fake, mask = (
        cv2.resize(apply_window(a, window), (size, size), interpolation=cv2.INTER_LINEAR)
        for a in (real, fake, mask)
    )
    return Pair(real, fake, np.clip(mask, 0.0, 1.0).astype(np.float32))
