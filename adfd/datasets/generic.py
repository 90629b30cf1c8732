"""Generic dataset kinds: a benchmark added by config alone (``datasets.<name>.kind``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from adfd.datasets.entries import (
    DatasetError,
    MissingVideo,
    Scan,
    raise_missing,
    read_table,
    require_file,
    video_entry,
)

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")  # kind: folders


def list_csv(name: str, root: Path, cfg: dict[str, Any], split: str) -> Scan:
    """``kind: list``: a CSV with a header ``path,label[,split]``; paths relative to ``root``,
    labels ``0``/``real`` or ``1``/``fake``; rows without a split column belong to ``test``."""
    list_file = root / cfg["list"]
    require_file(name, list_file, "list file (columns path,label[,split]; datasets.<name>.list)")
    table = read_table(name, list_file, ("path", "label"))
    splits = table["split"] if "split" in table else ["test"] * len(table)
    labels = {"0": 0, "real": 0, "1": 1, "fake": 1}
    entries, missing = [], []
    for n, (rel, label, row_split) in enumerate(zip(table["path"], table["label"], splits,
                                                    strict=True)):  # fmt: skip
        if row_split.strip() != split:
            continue
        if not rel.strip() or label.strip().lower() not in labels:
            raise DatasetError(
                f"{name}: {list_file}:{n + 2}: expected '<relative path>,<0|1|real|fake>', "
                f"got path={rel!r} label={label!r}"
            )
        label_i = labels[label.strip().lower()]
        path = root / rel.strip()
        subset = "fake" if label_i else "real"
        if not path.is_file():
            missing.append(MissingVideo(path, label_i, subset))
            continue
        entries.append(video_entry(root, path, label_i, subset))
    return Scan(entries, missing, str(list_file), f"videos listed in {list_file.name}")


def list_folders(name: str, root: Path, cfg: dict[str, Any], split: str) -> Scan:
    """``kind: folders``: every video under ``root/real/`` (label 0) and ``root/fake/`` (1)."""
    entries, problems = [], []
    for folder, label in (("real", 0), ("fake", 1)):
        base = root / folder
        found = sorted(p for p in base.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES)
        if not found:
            problems.append(base / f"**/*{{{','.join(VIDEO_SUFFIXES)}}}")
        entries += [video_entry(root, p, label, folder) for p in found]
    raise_missing(name, "video folders (no video found)", problems, hint=False)
    return Scan(entries, [], str(root / "{real,fake}"), "videos")


KINDS: dict[str, Callable[..., Scan]] = {"list": list_csv, "folders": list_folders}
"""Generic dataset kinds: a benchmark added by config alone (``datasets.<name>.kind``)."""
