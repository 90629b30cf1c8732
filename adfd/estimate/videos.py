"""Videos per dataset split that the estimate assumes: the config's ``expect`` counts, else
the official split sizes of the dataset registry."""

from __future__ import annotations

from typing import Any

from adfd.datasets.registry import REGISTRY

# Test videos when a dataset's `expect` gives no count (official splits; DFDCP approximate).
TEST_VIDEOS = {name: d.test_videos for name, d in REGISTRY.items()}
TRAIN_VIDEOS = {name: d.train_videos for name, d in REGISTRY.items() if d.train_videos}
VAL_VIDEOS = {"ffpp": 140}


def expected_videos(config: dict[str, Any], dataset: str, split: str, fallback: dict[str, int]):
    counts = ((config["datasets"][dataset].get("expect") or {}).get(split)) or {}
    if "videos" in counts:
        return int(counts["videos"])
    if "real" in counts or "fake" in counts:
        return int(counts.get("real", 0)) + int(counts.get("fake", 0))
    return fallback.get(dataset, 0)
