"""Score every detected face of a preprocessed test set into the prediction store.

Crops use the detector box with the fixed test margin (12.5 % per side, docs/sbi-recipe.md §5),
resized to the training size, scaled to [0, 1]; score = softmax[:, 1]. Videos without any
face get one store row with ``frame_idx = -1`` and a NaN score so the protocol's 0.5
fallback is applied, and counted, downstream.
"""

from __future__ import annotations

import json
import logging
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd
import torch

from adfd.evaluate.store import write_store
from adfd.preprocess.crop import apply_window, box_window
from adfd.preprocess.images import read_rgb
from adfd.preprocess.shards import in_crop
from adfd.train.model import autocast, load_model, to_tensor

log = logging.getLogger(__name__)


def crop_faces(faces: pd.DataFrame, size: int, margin: float) -> torch.Tensor:
    """The network input of every face, in the rows' order (whatever that order: the
    scores are written back by position). Each stored image (the face's context crop, or a
    full frame) is read once for its consecutive rows; the store is sorted by video, frame
    and face."""
    crops, path, frame = [], None, None
    for row in faces.itertuples(index=False):
        if row.frame_file != path:
            path, frame = row.frame_file, read_rgb(row.frame_file)
        h, w = frame.shape[:2]
        _, box = in_crop(row)
        window = box_window(box, (margin,) * 4, h, w)
        crop = cv2.resize(apply_window(frame, window), (size, size), interpolation=cv2.INTER_LINEAR)
        crops.append(to_tensor(crop))
    return torch.stack(crops)


def shard_meta(shards: list[Path]) -> dict[str, Any]:
    """Provenance of the test shards (their ``meta.json``): detector, frames, distortion."""
    metas = []
    for d in shards:
        path = Path(d) / "meta.json"
        if path.is_file():
            metas.append(json.loads(path.read_text()))
    if not metas:
        return {}
    first = metas[0]
    return {
        "detector": first.get("detector"),
        "landmarks": first.get("landmarks"),
        "frames": first.get("frames"),
        "distortion": first.get("distortion"),
        "packages": first.get("packages"),
        "shards": len(shards),
    }


def video_batches(video_ids: pd.Series, batch_size: int) -> list[slice]:
    """Row slices of consecutive whole videos, at most ``batch_size`` faces each; a video
    with more faces than that is split into ``batch_size`` chunks. ``video_ids`` must be
    grouped (the store is sorted by video)."""
    if batch_size < 1:
        raise ValueError(f"evaluation.batch_size must be >= 1, got {batch_size}")
    ids = video_ids.to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.array([])
    bounds = [*starts.tolist(), len(ids)]
    out, begin = [], 0
    for lo, hi in pairwise(bounds):
        if hi - begin > batch_size and lo > begin:  # this video does not fit: close batch
            out.append(slice(begin, lo))
            begin = lo
        while hi - begin > batch_size:  # a video larger than a batch: whole chunks
            out.append(slice(begin, begin + batch_size))
            begin += batch_size
    if begin < len(ids):
        out.append(slice(begin, len(ids)))
    return out


def score_faces(net, faces: pd.DataFrame, size: int, margin: float, batch_size: int, device,
                precision: str = "fp32") -> np.ndarray:  # fmt: skip
    """softmax[:, 1] of every face; batches hold whole videos (``video_batches``), scores
    reach the host once per batch. ``precision`` bf16 runs the network under autocast
    (bench/gpu_suite.py, tests); the pipeline scores in fp32."""
    scores = np.empty(len(faces), dtype=np.float64)
    with torch.inference_mode():
        for part in video_batches(faces["video_id"], batch_size):
            x = crop_faces(faces.iloc[part], size, margin).to(device, non_blocking=True)
            with autocast(device, precision):
                logits = net(x)
            prob = torch.softmax(logits.float(), dim=1)[:, 1]
            scores[part] = prob.cpu().numpy()
    return scores


def run_many(
    *,
    model: Path,
    jobs: list[tuple[str, list[Path], Path]],
    run_id: str,
    distortion: str,
    batch_size: int = 64,
    threads: int = 1,
) -> dict[str, pd.DataFrame]:
    """Score several test sets with one model load: ``jobs`` = (dataset, shards, out)."""
    from adfd.preprocess.shards import load_shards

    torch.set_num_threads(max(1, threads))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    net, meta = load_model(model)
    net.to(device)
    size, margin = meta["image_size"], meta["test_margin"]
    stores = {}
    for dataset, shards, out in jobs:
        t0 = time.perf_counter()
        videos, faces = load_shards(shards, margin)
        faces = faces.sort_values(["video_id", "frame_idx", "face_idx"]).reset_index(drop=True)
        faces = faces.assign(score=score_faces(net, faces, size, margin, batch_size, device))
        provenance = {
            "run_id": run_id,
            "dataset": dataset,
            "distortion": distortion,
            "model": {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool))},
            "test_shards": shard_meta(shards),
            "device": str(device),
        }
        stores[dataset] = write_store(
            out, meta=provenance, videos=videos, faces=faces, run_id=run_id, dataset=dataset,
            distortion=distortion,
        )  # fmt: skip
        seconds = time.perf_counter() - t0
        log.info(
            "%s/%s/%s: %d faces in %d videos scored in %.1f s (%.0f faces/s)", run_id, dataset,
            distortion, len(faces), videos["video_id"].nunique(), seconds,
            len(faces) / max(seconds, 1e-9),
        )  # fmt: skip
    return stores
