"""One preprocessing job: a shard of a dataset split, optionally distorted (Table 10)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from adfd.data.check import read_split

log = logging.getLogger(__name__)


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
) -> dict[str, Any]:
    from adfd.data.distortions import build_distortion
    from adfd.data.preprocess import run_shard, shard_entries

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
    )
    log.info("shard summary: %s", summary)
    return summary
