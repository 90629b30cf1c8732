"""Benchmark: pseudo-fakes per second per core at 380 px, ours vs a literal SBI recipe.

Rows: ``literal``, the reference recipe (docs/sbi-recipe.md §3) re-implemented
here step by step, *including* its costs (albumentations 1.3.1's ElasticTransform on image
and mask, the warped image thrown away; float64 blending; a 3-channel float mask; the full
frame decoded from PNG), our ``baseline`` (SBI w/ LAL, ``config.yaml``) and our ``bbmg``.
Ours reads the face's context crop as adfd's preprocessing stores it for training splits
(``adfd.preprocess.crop.context_window``, raw .npy: ``preprocess.crop_format``); pairs made from
it are byte-identical to pairs made from the full frame (tests/synthesis/
test_synth_context.py). Frames: skimage's astronaut and matplotlib's Grace Hopper, faces
found by dlib (HOG + 68 points, 13 forehead points added on an arc for 81), scaled to a
260 px wide face on a 1280 x 720 canvas (an FF++ raw frame). One thread
(``cv2.setNumThreads(1)``, ``torch.set_num_threads(1)``): numbers are per core.

The last column is the loader's share of one training step on a 16-core GPU node: 16 pairs
per step spread over 16 cores take one pair's time, against the measured GPU step of 143 ms
for 32 images (tf_efficientnet_b4, 380 px, SAM, H200; measured by the SAM-step benchmark that
is now section 2 (a) of bench/gpu_suite.py).

    python bench/synthesis.py [--n 40]
"""

from __future__ import annotations

import argparse
import copy
import os
import pathlib
import tempfile
import time

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import albumentations as A
import cv2
import numpy as np
import torch
import yaml
from scipy.ndimage import gaussian_filter

from adfd.demo.faces import portrait_faces
from adfd.preprocess.crop import apply_window, context_window
from adfd.preprocess.images import read_rgb, write_image
from adfd.synthesis import make_training_pair
from adfd.synthesis.masks import LAL_HULLS

REPO = pathlib.Path(__file__).resolve().parents[1]
GPU_STEP_MS, PAIRS_PER_STEP, NODE_CORES = 143.0, 16, 16  # SAM step on an H200 (gpu_suite (a))
FRAME_W, FRAME_H, FACE_W = 1280, 720, 260  # FF++ raw 720p frame, face box width (px)
SIZE = 380


def forehead(lm: np.ndarray) -> np.ndarray:
    """13 points on an arc above the brows, temple 0 to temple 16 (dlib-81 stand-in)."""
    left, right = lm[0], lm[16]
    centre, half = (left + right) / 2, np.linalg.norm(right - left) / 2
    t = np.linspace(np.pi, 0, 13)
    return np.stack([centre[0] + half * np.cos(t), centre[1] - 1.2 * half * np.sin(t)], axis=1)


def make_frames(folder: pathlib.Path) -> list[dict]:
    """Each portrait scaled to a FACE_W face, centred on a 1280 x 720 canvas, saved as PNG."""
    frames = []
    for face in portrait_faces():
        scale = FACE_W / (face.box[2] - face.box[0])
        big = cv2.resize(face.frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        canvas = cv2.resize(face.frame, (FRAME_W, FRAME_H), interpolation=cv2.INTER_LINEAR)
        h, w = min(big.shape[0], FRAME_H), min(big.shape[1], FRAME_W)
        centre = (face.box[:2] + face.box[2:]) / 2 * scale
        x0 = int(np.clip(centre[0] - w / 2, 0, big.shape[1] - w))
        y0 = int(np.clip(centre[1] - h / 2, 0, big.shape[0] - h))
        ox, oy = (FRAME_W - w) // 2, (FRAME_H - h) // 2
        canvas[oy : oy + h, ox : ox + w] = big[y0 : y0 + h, x0 : x0 + w]
        shift = np.array([ox - x0, oy - y0], dtype=np.float64)
        lm = face.landmarks * scale + shift
        path = folder / f"{face.name}.png"
        cv2.imwrite(str(path), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
        landmarks = np.concatenate([lm, forehead(lm)])
        box = face.box * scale + np.tile(shift, 2)
        # what adfd's preprocessing stores instead of the frame: the face's context crop
        window = context_window(landmarks, box, 0.2, FRAME_H, FRAME_W)
        context = folder / write_image(
            folder / f"{face.name}_context", apply_window(canvas, window), "npy"
        )
        write_image(folder / f"{face.name}_context", apply_window(canvas, window), "png")
        frames.append(
            {
                "path": path,
                "landmarks": landmarks,
                "box": box,
                "context": context,
                "offset": np.array(window[:2], dtype=np.float64),
            }
        )
    return frames


# ---- the literal reference recipe (docs/sbi-recipe.md §3), kept here as the yardstick ----------


def literal_transforms() -> dict:
    color = A.Compose(
        [
            A.RGBShift(20, 20, 20, p=0.3),
            A.HueSaturationValue(0.3, 0.3, 0.3, p=1),
            A.RandomBrightnessContrast(0.1, 0.1, p=1),
        ],
        p=1,
    )
    affine = A.Affine(
        translate_percent={"x": (-0.03, 0.03), "y": (-0.015, 0.015)},
        scale=(0.95, 1 / 0.95),
        fit_output=False,
        p=1,
    )
    pair = A.Compose(
        [
            A.RGBShift(20, 20, 20, p=0.3),
            A.HueSaturationValue(0.3, 0.3, 0.3, p=0.3),
            A.RandomBrightnessContrast(0.3, 0.3, p=0.3),
            A.ImageCompression(quality_range=(40, 100), p=0.5),
        ],
        additional_targets={"image1": "image"},
        p=1,
    )
    sharpen = A.Sharpen(alpha=(0.2, 0.5), lightness=(0.5, 1.0), p=1)
    return {"color": color, "affine": affine, "pair": pair, "sharpen": sharpen}


def literal_source_transform(img, t, rng):
    img = t["color"](image=img)["image"]
    if rng.random() < 0.5:  # RandomDownScale
        r = int(rng.choice([2, 4]))
        h, w = img.shape[:2]
        small = cv2.resize(img, (int(w / r), int(h / r)), interpolation=cv2.INTER_NEAREST)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return t["sharpen"](image=img)["image"]


def literal_blend_mask(mask, rng):
    h, w = mask.shape[:2]
    size = (int(rng.integers(192, 257)), int(rng.integers(192, 257)))
    mask = cv2.resize(mask, size)
    k1, k2 = (int(k) for k in rng.choice(np.arange(5, 26, 2), size=2))
    blurred = cv2.GaussianBlur(mask, (k1, k1), 0)
    blurred = blurred / blurred.max()
    blurred[blurred < 1] = 0
    blurred = cv2.GaussianBlur(blurred, (k2, k2), int(rng.integers(5, 46)))
    blurred = blurred / blurred.max()
    return cv2.resize(blurred, (w, h)).reshape(h, w, 1)


def literal_elastic_13(image, mask, rng):
    """albumentations 1.3.1 ElasticTransform(alpha=50, sigma=7, alpha_affine=0), as SBI ran it.

    1.3.1 first applies the (identity, alpha_affine=0) affine warp, then draws float64
    uniform fields smoothed by scipy's gaussian_filter (approximate=False), and remaps image
    (linear) and mask (nearest), both with BORDER_REFLECT_101; SBI keeps only the mask.
    """
    state = np.random.RandomState(int(rng.integers(0, 10001)))  # SBI: random.randint(0, 10000)
    h, w = mask.shape[:2]
    identity = np.float32([[1, 0, 0], [0, 1, 0]])
    border = cv2.BORDER_REFLECT_101
    outs = []
    for arr, interp in ((image, cv2.INTER_LINEAR), (mask, cv2.INTER_NEAREST)):
        outs.append(cv2.warpAffine(arr, identity, (w, h), flags=interp, borderMode=border))
    dx = np.float32(gaussian_filter(state.rand(h, w) * 2 - 1, 7) * 50)
    dy = np.float32(gaussian_filter(state.rand(h, w) * 2 - 1, 7) * 50)
    x, y = np.meshgrid(np.arange(w), np.arange(h))
    map_x, map_y = np.float32(x + dx), np.float32(y + dy)
    warped = [
        cv2.remap(arr, map_x, map_y, interpolation=interp, borderMode=border)
        for arr, interp in ((outs[0], cv2.INTER_LINEAR), (outs[1], cv2.INTER_NEAREST))
    ]
    return warped[1]


def literal_pair(sample: dict, t: dict, rng: np.random.Generator):
    """SBI_Dataset.__getitem__ as the reference runs it (one sample, both images 380 px)."""
    img = cv2.cvtColor(cv2.imread(str(sample["path"])), cv2.COLOR_BGR2RGB)
    lm, box = sample["landmarks"].astype(np.int32), sample["box"].copy()
    if rng.random() < 0.5:
        img = img[:, ::-1].copy()
        lm[:, 0] = img.shape[1] - lm[:, 0]
        box[[0, 2]] = img.shape[1] - box[[2, 0]]
    x0, y0 = lm[:68].min(axis=0)
    x1, y1 = lm[:68].max(axis=0)
    w, h = x1 - x0, y1 - y0
    cx0, cy0 = max(0, int(x0 - w / 2)), max(0, int(y0 - h))
    img = img[cy0 : int(y1 + 0.4 * h) + 1, cx0 : int(x1 + w / 2) + 1]
    lm, box = lm - [cx0, cy0], box - [cx0, cy0, cx0, cy0]
    if rng.random() < 0.25:
        lm = lm[:68]
    kind = list(LAL_HULLS)[int(rng.integers(4))]
    canvas = np.zeros((*img.shape[:2], 1), np.float32)
    for part in LAL_HULLS[kind](lm):
        cv2.fillConvexPoly(canvas, cv2.convexHull(part.astype(np.int32)), 255.0)
    mask = (np.tile(canvas, (1, 1, 3)) / 255.0)[:, :, 0]
    source = img.copy()
    if rng.random() < 0.5:
        source = literal_source_transform(source, t, rng)
    else:
        img = literal_source_transform(img, t, rng)
    out = t["affine"](image=source, mask=mask)
    source, mask = out["image"], out["mask"]
    mask = literal_elastic_13(source, mask, rng)  # the warped image is thrown away
    m = literal_blend_mask(mask, rng) * [0.25, 0.5, 0.75, 1, 1, 1][int(rng.integers(6))]
    fake = (m.astype(np.float64) * source + (1 - m) * img).astype(np.uint8)
    out = t["pair"](image=fake, image1=img)
    fake, img = out["image"], out["image1"]
    bw, bh = box[2] - box[0], box[3] - box[1]
    left, top, right, bottom = rng.uniform(0.05, 0.2, size=4)
    wx0, wy0 = max(0, int(box[0] - bw * left)), max(0, int(box[1] - bh * top))
    wx1, wy1 = int(box[2] + bw * right) + 1, int(box[3] + bh * bottom) + 1
    return tuple(
        cv2.resize(a[wy0:wy1, wx0:wx1], (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)
        for a in (img, fake)
    )


# ---- ours ---------------------------------------------------------------------------------


def ours_pair(sample: dict, synthesis: dict, data: dict, rng: np.random.Generator):
    """As adfd's loader: the face's context crop (training shards: raw .npy), landmarks and
    box shifted into it."""
    image = read_rgb(sample["context"])
    off = sample["offset"]
    landmarks, box = sample["landmarks"] - off, sample["box"] - np.tile(off, 2)
    return make_training_pair(image, landmarks, box, synthesis, data, rng)


def seconds_per_pair(fn, frames: list[dict], n: int) -> float:
    for i in range(2):  # warm-up: albumentations and OpenCV first calls
        fn(frames[i % len(frames)], np.random.default_rng([99, i]))
    start = time.perf_counter()
    for i in range(n):
        fn(frames[i % len(frames)], np.random.default_rng([0, i]))
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="pairs per recipe")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    baseline = yaml.safe_load((REPO / "config.yaml").read_text())["baseline"]
    data = dict(baseline["data"], image_size=SIZE)
    bbmg = copy.deepcopy(baseline["synthesis"])
    bbmg["mask"]["name"] = "bbmg"
    t = literal_transforms()
    with tempfile.TemporaryDirectory() as tmp:
        frames = make_frames(pathlib.Path(tmp))
        crop = np.ptp(frames[0]["landmarks"][:68], axis=0) * [2, 2.4]
        recipes = {
            "literal SBI recipe": lambda s, rng: literal_pair(s, t, rng),
            "ours: baseline (SBI w/ LAL)": lambda s, rng: ours_pair(
                s, baseline["synthesis"], data, rng
            ),
            "ours: bbmg": lambda s, rng: ours_pair(s, bbmg, data, rng),
            "(frame PNG decode alone)": lambda s, rng: cv2.imread(str(s["path"])),
            "(context PNG decode alone)": lambda s, rng: read_rgb(s["context"].with_suffix(".png")),
            "(context NPY read alone)": lambda s, rng: read_rgb(s["context"]),
        }
        times = {name: seconds_per_pair(fn, frames, args.n) for name, fn in recipes.items()}
    print(
        f"{len(frames)} real faces, {FRAME_W}x{FRAME_H} PNG frames, landmark crop ~"
        f"{crop[0]:.0f}x{crop[1]:.0f} px, output {SIZE} px, {args.n} pairs each, 1 thread"
    )
    literal = times["literal SBI recipe"]
    print(
        f"{'recipe':30} {'ms/pair':>8} {'pairs/s/core':>13} {'x literal':>10} "
        f"{'loader share of a 143 ms step (16 cores)':>42}"
    )
    for name, sec in times.items():
        share = PAIRS_PER_STEP * sec / NODE_CORES / (GPU_STEP_MS / 1000)
        print(f"{name:30} {sec * 1000:8.1f} {1 / sec:13.1f} {literal / sec:10.2f} {share:41.0%}")


if __name__ == "__main__":
    main()
