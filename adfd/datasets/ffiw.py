"""FFIW-10K: the validation videos, labelled by folder (``source`` real, ``target`` fake)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adfd.datasets.entries import Scan, raise_missing, video_entry


def list_ffiw(root: Path, cfg: dict[str, Any], split: str) -> Scan:
    base = root / "FFIW10K-v1-release"
    entries, problems = [], []
    # Labels come from the folder (source = real, target = fake), never from counts (§1).
    for folder, label in (("source", 0), ("target", 1)):
        videos = base / folder / "val" / "videos"
        found = sorted(videos.glob("*.mp4")) if videos.is_dir() else []
        if not found:
            problems.append(videos / "*.mp4")
        entries += [video_entry(root, p, label, "real" if label == 0 else folder) for p in found]
    raise_missing("ffiw", "video folders (no *.mp4 found)", problems, hint=False)
    return Scan(entries, [], str(base / "{source,target}/val/videos/*.mp4"), "videos")
