"""One preprocessing job: a shard of a dataset split, optionally distorted (Table 10)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from adfd.datasets.manifest import read_split

log = logging.getLogger(__name__)


def frame_sampling(frames_cfg: dict[str, Any], split: str) -> tuple[int, int | None]:
    """(frames decoded, frames kept or None) of a split (``preprocess.frames``).

    Training and validation splits decode ``train_candidates`` frames when set and keep
    ``frames[split]`` evenly spaced among those with a face (SBI builds both from its
    32-frame preprocessing); test splits decode ``frames.test`` and keep every one.
    """
    candidates = frames_cfg.get("train_candidates")
    if split == "test" or not candidates:
        return int(frames_cfg[split]), None
    return max(int(candidates), int(frames_cfg[split])), int(frames_cfg[split])


def detector_config(detector: dict[str, Any], gpu: int) -> dict[str, Any]:
    """``preprocess.detector`` with ``device: auto`` resolved by the job's GPU request."""
    if detector.get("device", "auto") != "auto":
        return dict(detector)
    return {**detector, "device": "cuda" if gpu else "cpu"}


def run(
    *,
    manifest: Path,
    out_dir: Path,
    split: str,
    shard: int,
    n_shards: int,
    frames: int,
    detector: dict[str, Any],
    landmarks: dict[str, Any] | None,
    distortion: dict[str, Any],
    allow_download: bool,
    context_margin: float = 0.2,
    crop_format: str = "png",
    keep: int | None = None,
) -> dict[str, Any]:
    from adfd.preprocess.distortions import build_distortion
    from adfd.preprocess.write import run_shard, shard_entries

    entries = shard_entries(read_split(manifest, split), shard, n_shards)
    log.info("shard %d/%d of %s: %d videos", shard, n_shards, split, len(entries))
    summary = run_shard(
        entries,
        out_dir,
        frames=frames,
        detector_cfg=detector,
        landmarks_cfg=landmarks,
        distort=build_distortion(distortion),
        allow_download=allow_download,
        context_margin=context_margin,
        crop_format=crop_format,
        keep=keep,
    )
    log.info("shard summary: %s", summary)
    return summary
