"""RetinaFace-R50 backend (ternaus layout) on real frames with seeded random weights.

Random weights give arbitrary boxes, so these tests check the pipeline around the network
(resize, padding, priors, decoding, scaling back, sorting, batching, errors), not accuracy.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from adfd.preprocess import retinaface_r50 as r50
from adfd.preprocess.detect import DetectorError, build_detector
from adfd.preprocess.retinaface_net import STEPS
from tests.datamedia import astronaut, carphone_frame, grace_hopper

# Derived from ternaus/retinaface 0.0.8 (network.py, net.py): torchvision ResNet-50 body
# without avgpool/fc (318 keys), FPN 5 conv+BN (30), 3 SSH x 5 conv+BN (90), 9 heads (18).
N_KEYS = 456
N_PARAMS = 27_293_600  # learnable parameters (BN running statistics excluded)
KEY_SHAPES = {
    "body.conv1.weight": (64, 3, 7, 7),
    "body.layer2.0.downsample.0.weight": (512, 256, 1, 1),
    "body.layer4.2.conv3.weight": (2048, 512, 1, 1),
    "fpn.output1.0.weight": (256, 512, 1, 1),
    "fpn.output2.0.weight": (256, 1024, 1, 1),
    "fpn.output3.0.weight": (256, 2048, 1, 1),
    "fpn.merge1.0.weight": (256, 256, 3, 3),
    "fpn.merge2.1.running_var": (256,),
    "ssh1.conv3X3.0.weight": (128, 256, 3, 3),
    "ssh2.conv5X5_1.0.weight": (64, 256, 3, 3),
    "ssh3.conv7X7_2.0.weight": (64, 64, 3, 3),
    "ssh3.conv7x7_3.1.num_batches_tracked": (),
    "ClassHead.0.conv1x1.weight": (4, 256, 1, 1),
    "BboxHead.1.conv1x1.weight": (8, 256, 1, 1),
    "LandmarkHead.2.conv1x1.weight": (20, 256, 1, 1),
    "LandmarkHead.2.conv1x1.bias": (20,),
}
LOW = 0.05  # random weights: a low threshold gives a few faces per frame


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return r50.save_random_weights(tmp_path_factory.mktemp("r50") / "r50.pth", seed=0)


def build(weights, **cfg):
    return build_detector(
        {"name": "retinaface_r50", "model_path": str(weights), "device": "cpu", **cfg}
    )


def test_state_dict_keys_are_the_ternaus_layout(weights):
    shapes = r50.expected_state_dict_shapes()
    assert len(shapes) == N_KEYS
    for key, shape in KEY_SHAPES.items():
        assert shapes[key] == shape, key
    assert not any(k.startswith(("body.fc", "body.avgpool")) for k in shapes)
    params = sum(
        int(np.prod(s))
        for k, s in shapes.items()
        if not k.split(".")[-1].startswith(("running_", "num_batches"))
    )
    assert params == N_PARAMS
    saved = torch.load(weights, weights_only=True)
    assert {k: tuple(v.shape) for k, v in saved.items()} == shapes


def test_random_weights_are_seeded(tmp_path):
    a = r50.save_random_weights(tmp_path / "a" / "w.pth", seed=3)
    b = r50.save_random_weights(tmp_path / "b" / "w.pth", seed=3)
    c = r50.save_random_weights(tmp_path / "c" / "w.pth", seed=4)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


def test_small_frame_is_upscaled_not_padded(weights):
    """176x144 -> 2048x1676 (LongestMaxSize upscales); the network sees it as it is."""
    seen = {}

    class Seen(Exception):
        pass

    def hook(_module, args):
        seen["x"] = args[0].detach().clone()
        raise Seen  # stop before the (slow) 2048 forward; the input is what we check

    runner = r50.build_runner(
        {"model_path": str(weights), "max_size": 2048, "device": "cpu"},
        allow_download=False,
        error=DetectorError,
    )
    handle = runner.net.body.register_forward_pre_hook(hook)
    with pytest.raises(Seen):
        runner([carphone_frame()])
    handle.remove()
    x = seen["x"]
    assert x.shape == (1, 3, round(144 * 2048 / 176), 2048) == (1, 3, 1676, 2048)
    # ImageNet normalisation of the pixels: compare one pixel with the resized frame
    resized = cv2.resize(carphone_frame(), (2048, 1676), interpolation=cv2.INTER_LINEAR)
    expect = (resized[500, 700].astype(np.float32) - r50.MEAN) / r50.STD
    assert np.allclose(x[0, :, 500, 700].numpy(), expect, atol=1e-5)
    # priors for that shape: ceil(1676 / s) x ceil(2048 / s) cells, two anchors each
    cells = sum(-(-1676 // s) * -(-2048 // s) for s in STEPS)
    assert len(runner.priors(1676, 2048)) == 2 * cells == 2 * (210 * 256 + 105 * 128 + 53 * 64)


def test_priors_are_normalised_per_axis():
    priors = r50.prior_boxes(16, 32)  # stride 8: 2 rows x 4 columns, two anchor sizes
    first = priors[: 2 * 8].reshape(2, 4, 2, 4)
    assert torch.allclose(first[0, 1, 0], torch.tensor([12 / 32, 4 / 16, 16 / 32, 16 / 16]))
    assert torch.allclose(first[1, 3, 1], torch.tensor([28 / 32, 12 / 16, 32 / 32, 32 / 16]))


@pytest.mark.parametrize("image", [astronaut, grace_hopper, carphone_frame])
def test_faces_on_real_frames_are_in_frame_pixels_and_sorted(weights, image):
    frame = image()
    h, w = frame.shape[:2]
    det = build(weights, max_size=320, threshold=LOW)
    faces = det(frame)
    assert faces, "a low threshold must give some faces with random weights"
    for face in faces:
        x0, y0, x1, y1 = face.box
        assert x0 < x1 and y0 < y1
        assert x0 < w - 1 and y0 < h - 1 and x1 > 0 and y1 > 0  # overlaps the frame
        assert all(round(v, 2) == v for v in face.box)  # ternaus 0.0.8 rounds to 2 decimals
        assert face.kps.shape == (5, 2) and np.array_equal(face.kps, np.round(face.kps, 2))
        assert round(face.score, 2) == face.score
        assert face.score > LOW
    areas = [f.area for f in faces]
    assert areas == sorted(areas, reverse=True)
    # the default threshold (0.7) keeps a subset of them
    assert len(build(weights, max_size=320)(frame)) <= len(faces)


def test_boxes_scale_back_and_round_as_ternaus():
    """A box in the resized frame maps to frame pixels by original / resized height."""
    runner = r50.R50Runner(
        torch.nn.Identity(), torch.device("cpu"), max_size=200, threshold=0.5, nms=0.4,
        batch_size=1,
    )  # fmt: skip
    # frame 100 (h) x 50 (w) -> 200 x 100; coeff 0.5
    box = torch.tensor([[10.0, 20.7, 80.0, 180.0], [-50.0, 0.0, -40.0, 10.0], [110, 0, 120, 9]])
    kps = torch.tensor([[[20.013, 40.0]] * 5, [[1.0, 1.0]] * 5, [[115.0, 5.0]] * 5])
    scores = torch.tensor([0.912345, 0.8, 0.7])
    faces = runner._post(box, scores, kps, (100, 50), 0.5)
    (x0, y0, x1, y1), score, points = faces[0]
    assert (x0, y0, x1, y1) == (5.0, 10.35, 40.0, 90.0) and score == 0.91
    assert np.array_equal(points, np.full((5, 2), [10.01, 20.0]))
    # As ternaus: a box left of the frame is kept unclipped (its clipped extent is not
    # empty); one right of it clips to nothing (x0 = x1 = w - 1) and is dropped.
    assert len(faces) == 2 and faces[1][0] == (-25.0, 0.0, -20.0, 5.0)


def test_equal_areas_keep_sbis_order():
    """SBI orders faces with ``argsort(areas)[::-1]``: equal areas come out reversed."""
    from adfd.preprocess.detect import Face, by_area

    faces = [Face((0, 0, 10, 10), 0.9), Face((0, 0, 20, 20), 0.8), Face((5, 5, 15, 15), 0.7)]
    assert [f.score for f in by_area(faces)] == [0.8, 0.7, 0.9]


def test_batch_equals_one_by_one(weights):
    det = build(weights, max_size=256, threshold=LOW, batch_size=3)
    frames = [astronaut(), grace_hopper(), carphone_frame(), astronaut()[::2, ::2]]
    batched = det.detect_batch(frames)
    single = [det(f) for f in frames]
    assert len(batched) == len(frames)
    for b, s in zip(batched, single, strict=True):
        assert len(b) == len(s)
        for fb, fs in zip(b, s, strict=True):
            assert np.allclose(fb.box, fs.box, atol=1.0) and fb.score == pytest.approx(
                fs.score, abs=1e-4
            )


def test_missing_and_malformed_weights_are_named(tmp_path):
    missing = tmp_path / "absent.pth"
    with pytest.raises(DetectorError, match=r"absent\.pth") as err:
        build(missing, max_size=256)
    assert "preprocess.detector.model_path" in str(err.value)
    wrong = tmp_path / "wrong.pth"
    state = r50.RetinaFaceR50().state_dict()
    state.pop("fpn.merge1.0.weight")
    state["head.extra"] = torch.zeros(1)
    torch.save(state, wrong)
    with pytest.raises(DetectorError) as err:
        build(wrong, max_size=256)
    message = str(err.value)
    assert "wrong.pth" in message and "fpn.merge1.0.weight" in message and "head.extra" in message
    not_dict = tmp_path / "list.pth"
    torch.save([torch.zeros(2)], not_dict)
    with pytest.raises(DetectorError, match=r"list\.pth.*not a state dict"):
        build(not_dict, max_size=256)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a torch file")
    with pytest.raises(DetectorError, match=r"garbage\.pth"):
        build(garbage, max_size=256)
    with pytest.raises(DetectorError, match="model_path"):
        build_detector({"name": "retinaface_r50", "max_size": 2048})


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error without a GPU")
def test_cuda_without_gpu_is_an_error(weights):
    with pytest.raises(DetectorError, match="cuda"):
        build(weights, max_size=256, device="cuda")


def test_no_face_is_an_empty_list(weights):
    """ternaus answers [{"bbox": [], ...}] when nothing passes; the backend returns []."""
    det = build(weights, max_size=256, threshold=0.999999)
    assert det(np.full((144, 176, 3), 127, np.uint8)) == []
    assert det.detect_batch([np.zeros((64, 64, 3), np.uint8)] * 2) == [[], []]


def test_device_follows_the_jobs_gpu_request():
    from adfd.preprocess.job import detector_config

    cfg = {"name": "retinaface_r50", "device": "auto"}
    assert detector_config(cfg, 1)["device"] == "cuda"
    assert detector_config(cfg, 0)["device"] == "cpu"
    assert detector_config({**cfg, "device": "cpu"}, 1)["device"] == "cpu"
    assert cfg["device"] == "auto"  # the config itself is not changed
