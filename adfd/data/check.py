"""Dataset check: list every split of one dataset and write its manifest (first DAG node).

The manifest (JSON) pins the exact videos and labels every later job uses, so a change on
disk is visible as a changed manifest rather than as silently shifted labels.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def build_manifest(name: str, cfg: dict[str, Any]) -> dict[str, Any]:
    from adfd.data.datasets import SPLITS, list_videos, summarize

    splits, counts = {}, {}
    for split in SPLITS[name]:
        entries = list_videos(name, cfg, split)
        splits[split] = [
            {"video_id": e.video_id, "path": str(e.path), "label": e.label, "subset": e.subset}
            for e in entries
        ]
        counts[split] = summarize(entries)
        log.info("%s/%s: %s", name, split, counts[split])
    return {"dataset": name, "config": cfg, "splits": splits, "counts": counts}


def write_manifest(name: str, cfg: dict[str, Any], out: Path) -> dict[str, Any]:
    manifest = build_manifest(name, cfg)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(tmp, out)
    return manifest


def read_split(manifest: Path, split: str):
    from adfd.data.datasets import VideoEntry

    data = json.loads(Path(manifest).read_text())
    if split not in data["splits"]:
        raise KeyError(f"{manifest}: dataset {data['dataset']} has no split '{split}'")
    return [
        VideoEntry(
            video_id=e["video_id"], path=Path(e["path"]), label=e["label"], subset=e["subset"]
        )
        for e in data["splits"][split]
    ]
