"""Dataset manifests: the gate's result and the exact videos of every split, written by the
first DAG node of every dataset (``write_manifest``) and read by every preprocessing job
(``read_split``).

The manifest (JSON) pins the exact videos and labels every later job uses, so a change on
disk is visible as a changed manifest rather than as silently shifted labels; its ``check``
entry records the gate's result, and ``missing`` the listed videos left out under
``datasets.<name>.missing: skip`` (the default ``fail`` stops the DAG naming them).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from adfd.datasets.check import GateError, Probe, check_dataset, format_check

log = logging.getLogger(__name__)

LISTING_KEYS = ("root", "compression", "kind", "list", "splits", "missing")  # manifest content


def listing_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``config["datasets"][name]`` that change which videos are listed.

    The gate keys (``gate``, ``expect``, ``max_unreadable``) are left out, so changing an
    expectation never re-runs preprocessing (it is a Snakemake ``params`` rerun trigger).
    """
    return {k: cfg[k] for k in LISTING_KEYS if k in cfg}


def _manifest(name, cfg, entries_by_split, check) -> dict[str, Any]:
    from adfd.datasets.registry import summarize

    splits, counts = {}, {}
    for split, entries in entries_by_split.items():
        splits[split] = [
            {"video_id": e.video_id, "path": str(e.path), "label": e.label, "subset": e.subset}
            for e in entries
        ]
        counts[split] = summarize(entries)
        log.info("%s/%s: %s", name, split, counts[split])
    manifest = {"dataset": name, "config": cfg, "splits": splits, "counts": counts, "check": check}
    skipped = check["missing"] if check["missing_policy"] == "skip" else []
    manifest["missing"] = {"policy": check["missing_policy"], "skipped": skipped}
    return manifest


def write_manifest(
    name: str, cfg: dict[str, Any], out: Path, *, probe: Probe | None
) -> dict[str, Any]:
    """Check dataset ``name`` (gate as configured), then write its manifest atomically.

    ``probe``: as for :func:`check_dataset` (the DAG node passes ``probe_video``).

    Raises :class:`GateError` with the full report when the check fails; the manifest's
    ``check`` entry records the result otherwise.
    """
    result, scans = check_dataset(name, cfg, probe=probe)
    report = format_check(result)
    for line in report.splitlines():
        log.info("%s", line)
    if not result["ok"]:
        raise GateError(f"dataset check failed for {name}:\n{report}")
    manifest = _manifest(name, cfg, {s: scan.entries for s, scan in scans.items()}, result)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(tmp, out)
    return manifest


def read_split(manifest: Path, split: str):
    from adfd.datasets.entries import VideoEntry

    data = json.loads(Path(manifest).read_text())
    if split not in data["splits"]:
        raise KeyError(f"{manifest}: dataset {data['dataset']} has no split '{split}'")
    return [
        VideoEntry(
            video_id=e["video_id"], path=Path(e["path"]), label=e["label"], subset=e["subset"]
        )
        for e in data["splits"][split]
    ]
