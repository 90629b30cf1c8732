"""The DFDC family: DFDC's test set (``labels.csv`` and ``videos/``) and DFDC-Preview
(``dataset.json`` from ``dfdc_preview_set.zip``, matched by basename as SBI does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adfd.datasets.entries import (
    DatasetError,
    MissingVideo,
    Scan,
    read_json,
    read_table,
    require_file,
    video_entry,
)


def list_dfdc(root: Path, cfg: dict[str, Any], split: str) -> Scan:
    labels_file = root / "labels.csv"
    require_file("dfdc", labels_file, "label file (columns filename,label)")
    table = read_table("dfdc", labels_file, ("filename", "label"))
    entries, missing = [], []
    for n, (filename, label) in enumerate(zip(table["filename"], table["label"], strict=True)):
        line = n + 2  # header is line 1
        if not filename.strip() or label.strip() not in ("0", "1"):
            raise DatasetError(
                f"dfdc: {labels_file}:{line}: expected '<file>.mp4,<0|1>', "
                f"got filename={filename!r} label={label!r}"
            )
        label_i = int(label)
        path = root / "videos" / filename.strip()
        subset = "fake" if label_i else "real"
        if not path.is_file():
            missing.append(MissingVideo(path, label_i, subset))
            continue
        entries.append(video_entry(root, path, label_i, subset))
    return Scan(entries, missing, str(labels_file), "videos listed in labels.csv")


def list_dfdcp(root: Path, cfg: dict[str, Any], split: str) -> Scan:
    json_file = root / "dataset.json"
    require_file("dfdcp", json_file, "split file from dfdc_preview_set.zip")
    meta = dfdcp_meta(json_file)
    files = sorted(root.glob("method_*/videos/*/*/*.mp4")) + sorted(
        root.glob("original_videos/videos/*/*.mp4")
    )
    by_name: dict[str, list[Path]] = {}
    for path in files:
        by_name.setdefault(path.name, []).append(path)
    entries, missing, ambiguous = [], [], []
    for key, info in sorted(meta.items()):
        if info["set"] != "test":
            continue
        label = int(info["label"] == "fake")
        # The json key without the videos/ level the release adds after the first folder.
        head, _, tail = key.partition("/")
        expected = root / head / "videos" / tail
        candidates = by_name.get(Path(key).name, [])  # SBI matches by basename only
        if len(candidates) > 1:
            candidates = [p for p in candidates if p == expected] or candidates
        if not candidates:
            missing.append(MissingVideo(expected, label, "real" if label == 0 else head))
        elif len(candidates) > 1:
            ambiguous.append(f"{key}: {[str(p) for p in candidates]}")
        else:
            path = candidates[0]
            subset = "real" if label == 0 else path.relative_to(root).parts[0]
            entries.append(video_entry(root, path, label, subset))
    if ambiguous:
        raise DatasetError("dfdcp: basenames match several files:\n  " + "\n  ".join(ambiguous))
    return Scan(entries, missing, str(json_file), "test videos listed in dataset.json")


def dfdcp_meta(json_file: Path) -> dict[str, dict[str, str]]:
    """dataset.json: ``{"<path>.mp4": {"label": "real|fake", "set": "train|test", ...}}``."""
    meta = read_json("dfdcp", json_file)
    if not isinstance(meta, dict) or not meta:
        raise DatasetError(
            f"dfdcp: {json_file} must be a non-empty JSON object keyed by video path, "
            f"got {type(meta).__name__}"
        )
    for key, info in meta.items():
        problem = None
        if not isinstance(info, dict):
            problem = f"value is {type(info).__name__}, expected an object"
        elif info.get("set") not in ("train", "test"):
            problem = f"'set' is {info.get('set')!r}, expected 'train' or 'test'"
        elif info.get("label") not in ("real", "fake"):
            problem = f"'label' is {info.get('label')!r}, expected 'real' or 'fake'"
        elif not key.endswith(".mp4") or "/" not in key:
            problem = "key is not a relative <folder>/.../<file>.mp4 path"
        if problem:
            raise DatasetError(f"dfdcp: {json_file}: key {key!r}: {problem}")
    return meta
