"""Preprocessed demo shards in one call (benchmarks and tests; the workflow uses its rules).

Builds the embedded demo benchmarks (``adfd.demo.build``) and runs the preprocessing of
demo/config.yaml (detector, landmarks, frames, crop formats) over the chosen FF++ splits,
one shard per split, as ``rule preprocess_shard`` would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adfd.config.load import REPO_ROOT, load_config

DEMO_OVERLAY = REPO_ROOT / "demo" / "config.yaml"


def demo_config() -> dict[str, Any]:
    return load_config([DEMO_OVERLAY])


def build_ffpp_shards(
    root: Path, splits: tuple[str, ...] = ("train", "test"), frames: dict[str, int] | None = None
) -> dict[str, list[Path]]:
    """Demo FF++ under ``root/data``, its ``splits`` preprocessed into ``root/shards/<split>``.

    ``frames`` overrides preprocess.frames per split (e.g. more training faces).
    """
    from adfd.datasets.registry import list_videos
    from adfd.demo.benchmarks import build
    from adfd.preprocess.write import run_shard

    root = Path(root)
    config = demo_config()
    pre = config["preprocess"]
    data = root / "data"
    if not (data / "demo_summary.json").is_file():
        build(data, seed=config["demo"]["seed"])
    ds_cfg = {**config["datasets"]["ffpp"], "root": str(data / "FaceForensics++")}
    out = {}
    for split in splits:
        shard = root / "shards" / split / "shard-000"
        if not (shard / "meta.json").is_file():
            run_shard(
                list_videos("ffpp", ds_cfg, split), shard,
                frames=(frames or {}).get(split, pre["frames"][split]),
                detector_cfg=pre["detector"], landmarks_cfg=pre["landmarks"],
                context_margin=pre["context_margin"], crop_format=pre["crop_format"][split],
            )  # fmt: skip
        out[split] = [shard]
    return out
