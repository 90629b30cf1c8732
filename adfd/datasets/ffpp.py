"""FaceForensics++ (c23/c40/raw): official ``train/val/test.json`` split files of id pairs,
``original_sequences`` for the real videos and four ``manipulated_sequences`` methods, selected
as SBI does (docs/sbi-recipe.md §1)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from adfd.datasets.entries import (
    DatasetError,
    MissingVideo,
    Scan,
    raise_missing,
    read_json,
    require_file,
    video_entry,
)

FFPP_METHODS = ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures")  # SBI init_ff('all')
FFPP_COMPRESSIONS = ("raw", "c23", "c40")


def list_ffpp(root: Path, cfg: dict[str, Any], split: str) -> Scan:
    comp = cfg.get("compression", "raw")
    if comp not in FFPP_COMPRESSIONS:
        raise DatasetError(
            f"ffpp: datasets.ffpp.compression = {comp!r}; allowed: {', '.join(FFPP_COMPRESSIONS)}"
        )
    split_file = root / f"{split}.json"
    require_file("ffpp", split_file, "official split file (list of id pairs)")
    pairs = ffpp_pairs(split_file)
    ids = {i for pair in pairs for i in pair}
    folders = {"real": root / "original_sequences" / "youtube" / comp / "videos"}
    if split == "test":  # training and validation never see fakes (§4.1)
        for method in FFPP_METHODS:
            folders[method] = root / "manipulated_sequences" / method / comp / "videos"
    gone = [d for d in folders.values() if not d.is_dir()]
    raise_missing("ffpp", "video folders", gone, hint=False)

    entries, missing = [], []
    for subset, folder in folders.items():
        # SBI selection: keep a video if its first 3 characters are a split id.
        kept = [p for p in sorted(folder.glob("*.mp4")) if p.name[:3] in ids]
        label = int(subset != "real")
        entries += [video_entry(root, p, label, subset) for p in kept]
        if subset == "real":
            expected = {f"{i}.mp4" for i in ids}
        else:  # both directions of every pair: target_source.mp4
            expected = {f"{a}_{b}.mp4" for a, b in pairs} | {f"{b}_{a}.mp4" for a, b in pairs}
        gone = sorted(expected - {p.name for p in kept})
        missing += [MissingVideo(folder / n, label, subset) for n in gone]
    return Scan(entries, missing, str(split_file), f"videos of the {split} split")


def ffpp_pairs(split_file: Path) -> list[tuple[str, str]]:
    """The official split: a JSON list of ``[id, id]`` pairs of 3-digit strings."""
    data = read_json("ffpp", split_file)
    if not isinstance(data, list) or not data:
        raise DatasetError(
            f"ffpp: {split_file} must be a non-empty JSON list of id pairs, "
            f"got {type(data).__name__} {str(data)[:60]}"
        )
    pairs = []
    for i, item in enumerate(data):
        ok = isinstance(item, list | tuple) and len(item) == 2
        ok = ok and all(isinstance(v, str) and re.fullmatch(r"\d{3}", v) for v in item)
        if not ok:
            raise DatasetError(
                f"ffpp: {split_file} item {i} is {json.dumps(item)[:60]}: expected a pair of "
                'three-digit id strings such as ["000", "003"]'
            )
        pairs.append((item[0], item[1]))
    return pairs
