"""Dataset check and integrity gate: the first DAG node of every dataset.

``check_dataset`` lists every split of one dataset (``datasets.scan_split``) and compares,
per split and label, the videos *expected* (``datasets.<name>.expect`` in the config, else
the official split file's own count) with those *listed* by the split file and *found* on
disk, and lists unreadable files (zero bytes always; with a ``probe`` every video is opened
with OpenCV and one frame decoded: ``adfd.preprocess.video.probe_video``, which the callers,
the command line and the DAG node, pass in, as decoding belongs to the later preprocess
stage). With ``datasets.<name>.gate: true`` any difference fails the check
(docs/sbi-recipe.md §1 counts; a data-integrity gate). Videos listed but missing on disk
fail whatever the gate (``datasets.<name>.missing: fail``, the default) unless
``missing: skip`` scores the dataset without them; the manifest records them.

The manifests that record its result: :mod:`adfd.datasets.manifest`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

LABELS = {0: "real", 1: "fake"}
COUNT_KEYS = ("real", "fake", "videos")
MAX_LISTED = 20  # missing / unreadable paths printed per dataset (all are in the JSON)
Probe = Callable[[Path], str]  # a video's path -> why no frame decodes ("" when one does)


class GateError(RuntimeError):
    """The integrity gate of a dataset failed; the message is the full check report."""


def check_dataset(
    name: str, cfg: dict[str, Any], *, probe: Probe | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check one dataset; return ``(result, scans)`` (``scans``: split -> ``Scan``).

    ``probe``: decodes one frame of every video (``adfd.preprocess.video.probe_video``);
    None checks sizes only.

    ``result``: ``dataset, root, gate, probed, missing_policy, splits`` (per split:
    ``source`` and one record per label ``real``/``fake``/``all`` with ``expected,
    expected_from, listed, found, unreadable``), ``missing`` (paths), ``unreadable`` (records
    with the reason), ``problems`` (each fails the check), ``warnings`` (differences with the
    gate off, missing videos skipped by policy), ``ok``. Structural errors (no split file,
    malformed file) raise ``DatasetError``.
    """
    from adfd.datasets.registry import dataset_spec, scan_split

    spec = dataset_spec(name, cfg)
    result = _new_result(name, cfg, spec.splits, probe is not None)
    scans = {}
    for split in spec.splits:
        scan = scans[split] = scan_split(name, cfg, split)
        bad = _unreadable(scan.entries, probe)
        result["unreadable"] += [_unreadable_record(split, e, why) for e, why in bad]
        result["missing"] += [str(m.path) for m in scan.missing]
        bad_ids = {e.video_id for e, _ in bad}
        counts = {
            label: _count(spec, scan, label, result["expect"].get(split) or {}, bad_ids)
            for label in ("real", "fake", "all")
        }
        _judge_split(result, name, split, scan, counts)
        result["splits"][split] = {"source": scan.source, "counts": counts}
    _judge_unreadable(result, name)
    result["ok"] = not result["problems"]
    return result, scans


def _new_result(name: str, cfg: dict[str, Any], splits, probe: bool) -> dict[str, Any]:
    from adfd.datasets.entries import DatasetError

    expect = cfg.get("expect") or {}
    unknown = sorted(set(expect) - set(splits))
    if unknown:
        raise DatasetError(
            f"{name}: datasets.{name}.expect names splits {unknown}; the dataset has {list(splits)}"
        )
    return {
        "dataset": name,
        "root": str(cfg["root"]),
        "gate": bool(cfg.get("gate", True)),
        "probed": probe,
        "max_unreadable": cfg.get("max_unreadable", 0),
        "missing_policy": cfg.get("missing", "fail"),
        "expect": expect,
        "splits": {},
        "missing": [],
        "unreadable": [],
        "problems": [],
        "warnings": [],
    }


def _unreadable_record(split: str, entry, reason: str) -> dict[str, Any]:
    return {"split": split, "video_id": entry.video_id, "path": str(entry.path),
            "label": entry.label, "reason": reason}  # fmt: skip


def _count(spec, scan, label: str, configured: dict[str, Any], bad_ids: set[str]) -> dict:
    """Expected / listed / found / unreadable videos of one split and label (or ``all``)."""

    def keep(lab: int) -> bool:
        return label == "all" or LABELS[lab] == label

    key = "videos" if label == "all" else label
    found = sum(keep(e.label) for e in scan.entries)
    listed = found + sum(keep(m.label) for m in scan.missing)
    if key in configured:
        expected, source = int(configured[key]), "config"
    elif spec.counted:  # the official split file (or the list) defines the set
        expected, source = listed, Path(scan.source).name
    else:  # labels from folders: no list to count against
        expected, source = None, None
    return {
        "expected": expected,
        "expected_from": source,
        "listed": listed,
        "found": found,
        "unreadable": sum(keep(e.label) for e in scan.entries if e.video_id in bad_ids),
    }


def _judge_split(result: dict[str, Any], name: str, split: str, scan, counts: dict) -> None:
    """Missing listed videos (policy ``missing``) and count mismatches (``gate``)."""
    gate, skip = result["gate"], result["missing_policy"] == "skip"
    for label, c in counts.items():
        where = f"{name}/{split}/{label}"
        if label == "all" and c["found"] != c["listed"]:
            gone = c["listed"] - c["found"]
            msg = f"{where}: {gone} of {c['listed']} videos listed in {scan.source} are missing"
            if skip:
                result["warnings"].append(f"{msg}; skipped (datasets.{name}.missing: skip)")
            else:
                result["problems"].append(
                    f"{msg} (set datasets.{name}.missing: skip to score without them)"
                )
        if c["expected_from"] == "config" and c["expected"] != c["found"]:
            key = "videos" if label == "all" else label
            msg = (
                f"{where}: expected {c['expected']} videos (datasets.{name}.expect.{split}.{key}), "
                f"found {c['found']}"
            )
            (result["problems"] if gate else result["warnings"]).append(msg)
    if split in result["expect"] and not counts["real"]["found"] + counts["fake"]["found"]:
        result["problems"].append(f"{name}/{split}: no video found")


def _judge_unreadable(result: dict[str, Any], name: str) -> None:
    n_bad, limit, gate = len(result["unreadable"]), result["max_unreadable"], result["gate"]
    if n_bad and (limit is None or n_bad <= limit or not gate):
        result["warnings"].append(
            f"{name}: {n_bad} unreadable videos (allowed: "
            f"{'any' if limit is None or not gate else limit}); "
            "preprocessing records them with status 'unreadable'"
        )
    elif n_bad:
        result["problems"].append(
            f"{name}: {n_bad} unreadable videos, more than datasets.{name}.max_unreadable = {limit}"
        )


def _unreadable(entries, probe: Probe | None) -> list[tuple[Any, str]]:
    """Entries that cannot be used: zero bytes (always), or no frame decodable (``probe``)."""
    bad = []
    for entry in entries:
        try:
            size = entry.path.stat().st_size
        except OSError as err:
            bad.append((entry, f"cannot stat: {err}"))
            continue
        if size == 0:
            bad.append((entry, "empty file (0 bytes)"))
        elif probe is not None:
            reason = probe(entry.path)
            if reason:
                bad.append((entry, reason))
    return bad


def format_check(result: dict[str, Any]) -> str:
    """The human-readable report of :func:`check_dataset` (CLI and DAG failure message)."""
    name = result["dataset"]
    flags = [
        "gate on" if result["gate"] else "gate off",
        "probed" if result["probed"] else "not probed (--probe decodes one frame per video)",
        f"missing: {result['missing_policy']}",
    ]
    lines = [f"{name}: {result['root']} ({', '.join(flags)})"]
    header = ("split", "label", "expected", "from", "listed", "found", "unreadable", "")
    rows = [header]
    for split, info in result["splits"].items():
        for label, c in info["counts"].items():
            if label != "all" and not c["listed"] + c["found"] and c["expected_from"] != "config":
                continue  # e.g. no fakes in FF++ train/val
            exp = "-" if c["expected"] is None else str(c["expected"])
            mismatch = (c["found"] != c["listed"]) or (
                c["expected_from"] == "config" and c["expected"] != c["found"]
            )
            mark = "MISMATCH" if mismatch else "UNREADABLE" if c["unreadable"] else "ok"
            if result["missing_policy"] == "skip" and c["found"] != c["listed"]:
                mark = "SKIPPED" if c["expected_from"] != "config" else mark
            rows.append(
                (
                    split,
                    label,
                    exp,
                    c["expected_from"] or "-",
                    str(c["listed"]),
                    str(c["found"]),
                    str(c["unreadable"]),
                    mark,
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        lines.append("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    if result["missing"]:
        skip = " (skipped: missing: skip)" if result["missing_policy"] == "skip" else ""
        lines.append(f"  missing on disk ({len(result['missing'])}){skip}:")
        lines += [f"    {p}" for p in result["missing"][:MAX_LISTED]]
        if len(result["missing"]) > MAX_LISTED:
            lines.append(f"    ... {len(result['missing']) - MAX_LISTED} more")
    if result["unreadable"]:
        lines.append(f"  unreadable ({len(result['unreadable'])}):")
        lines += [f"    {u['path']}: {u['reason']}" for u in result["unreadable"][:MAX_LISTED]]
        if len(result["unreadable"]) > MAX_LISTED:
            lines.append(f"    ... {len(result['unreadable']) - MAX_LISTED} more")
    lines += [f"  warning: {w}" for w in result["warnings"]]
    lines += [f"  FAIL: {p}" for p in result["problems"]]
    lines.append(f"  {'OK' if result['ok'] else 'FAILED'}")
    return "\n".join(lines)
