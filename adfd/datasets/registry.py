"""Test/train video lists of the benchmarks: one :class:`Dataset` record per benchmark.

The registry (:data:`REGISTRY`) holds everything the project knows about each paper
benchmark: its lister (official layout -> videos, labels, splits), the name printed in table
columns, its splits and the video counts ``adfd plan --estimate`` assumes. The config schema,
the report's column names and the estimate's constants are derived from it (a test holds
them together). A benchmark the registry does not know is added by config alone with a
generic kind (:data:`KINDS`): ``kind: list`` (a CSV of ``path,label[,split]`` under ``root``)
or ``kind: folders`` (``root/real/`` and ``root/fake/``).

Each ``list_<name>`` (one module per layout: ``ffpp``, ``cdf``, ``dfdc`` with DFDC-Preview,
``ffiw``, ``generic``) reads the layout exactly as the reference describes it (FF++ split
json files, Celeb-DF-v2 ``List_of_testing_videos.txt``, DFDC ``labels.csv``, DFDC-Preview
``dataset.json``, FFIW ``source``/``target`` folders) and fails with one :class:`DatasetError`
that names every missing path, instead of silently scoring fewer videos (docs/sbi-recipe.md §7:
"CDF AUC stuck at 0.5 means the videos are not where the list expects them").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from adfd.datasets.cdf import list_cdf
from adfd.datasets.dfdc import list_dfdc, list_dfdcp
from adfd.datasets.entries import DatasetError, Lister, Scan, VideoEntry, raise_missing
from adfd.datasets.ffiw import list_ffiw
from adfd.datasets.ffpp import list_ffpp
from adfd.datasets.generic import KINDS

MISSING_POLICIES = ("fail", "skip")  # datasets.<name>.missing


@dataclass(frozen=True)
class Dataset:
    """One benchmark: how to list it and what the project expects of it."""

    name: str  # config key (datasets.<name>) and metric key in tables
    display: str  # column name in printed tables
    lister: Lister  # (root, config, split) -> Scan
    splits: tuple[str, ...] = ("test",)
    test_videos: int = 0  # official test split size (adfd plan --estimate; no expect given)
    train_videos: int = 0  # official train split size (0: not a training set)
    counted: bool = True  # a split file lists every video (its count is the expectation)
    layout: str = "official"  # official | list | folders


REGISTRY: dict[str, Dataset] = {}


def register(dataset: Dataset) -> Dataset:
    """Add a benchmark to :data:`REGISTRY` (its name becomes a valid ``datasets`` key)."""
    if dataset.name in REGISTRY:
        raise ValueError(f"dataset '{dataset.name}' is registered twice")
    REGISTRY[dataset.name] = dataset
    return dataset


def dataset_spec(name: str, cfg: dict[str, Any] | None = None) -> Dataset:
    """The record of ``datasets.<name>``: registered, or built from a generic ``kind``."""
    cfg = cfg or {}
    kind = cfg.get("kind", "official")
    if kind == "official":
        if name not in REGISTRY:
            raise KeyError(
                f"unknown dataset '{name}'; registered: {', '.join(REGISTRY)}; "
                f"or give datasets.{name}.kind: {' | '.join(KINDS)}"
            )
        return REGISTRY[name]
    if kind not in KINDS:
        raise DatasetError(
            f"datasets.{name}.kind = {kind!r}; allowed: official, {', '.join(KINDS)}"
        )
    return Dataset(
        name=name,
        display=cfg.get("display") or name,
        lister=partial(KINDS[kind], name),
        splits=tuple(cfg.get("splits") or ("test",)),
        counted=kind == "list",
        layout=kind,
    )


def display_names(datasets: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Column name of every configured dataset (``config["datasets"]``)."""
    return {name: dataset_spec(name, cfg).display for name, cfg in datasets.items()}


def list_videos(name: str, cfg: dict[str, Any], split: str) -> list[VideoEntry]:
    """Videos of dataset ``name`` (``cfg = config["datasets"][name]``), sorted by video_id.

    Listed videos missing on disk raise :class:`DatasetError` naming every one, unless
    ``datasets.<name>.missing: skip`` (then they are left out).
    """
    scan = scan_split(name, cfg, split)
    if cfg.get("missing", "fail") != "skip":
        raise_missing(name, scan.what, [m.path for m in scan.missing])
    return scan.entries


def scan_split(name: str, cfg: dict[str, Any], split: str) -> Scan:
    """List one split without failing on missing videos (``adfd datasets check``).

    Structural problems (missing root, split file or folders, malformed split file,
    duplicate ids) still raise :class:`DatasetError` naming the file and line or key.
    """
    spec = dataset_spec(name, cfg)
    if split not in spec.splits:
        raise DatasetError(f"dataset {name} has no split '{split}'; splits: {spec.splits}")
    root = Path(cfg["root"])
    if not root.is_dir():
        raise DatasetError(f"{name}: root directory {root} does not exist (datasets.{name}.root)")
    scan = spec.lister(root, cfg, split)
    ids = Counter(e.video_id for e in scan.entries)
    dups = sorted(v for v, n in ids.items() if n > 1)
    if dups:
        raise DatasetError(f"{name}: duplicate video ids {dups}")
    scan.entries = sorted(scan.entries, key=lambda e: e.video_id)
    scan.missing = sorted(scan.missing, key=lambda m: str(m.path))
    return scan


def summarize(entries: Iterable[VideoEntry]) -> dict[str, Any]:
    """Counts per label and per subset: ``{"videos", "real", "fake", "subsets": {...}}``."""
    entries = list(entries)
    labels = Counter(e.label for e in entries)
    subsets = Counter(e.subset for e in entries)
    return {
        "videos": len(entries),
        "real": labels.get(0, 0),
        "fake": labels.get(1, 0),
        "subsets": dict(sorted(subsets.items())),
    }


for _dataset in (
    Dataset("ffpp", "FF++", list_ffpp, ("train", "val", "test"), test_videos=700,
            train_videos=720),
    Dataset("cdf", "CDF", list_cdf, test_videos=518),
    Dataset("dfdc", "DFDC", list_dfdc, test_videos=5000),
    Dataset("dfdcp", "DFDCP", list_dfdcp, test_videos=780),  # approximate: no fixed count
    Dataset("ffiw", "FFIW", list_ffiw, test_videos=500, counted=False),  # labels by folder
):  # fmt: skip
    register(_dataset)

SPLITS: dict[str, tuple[str, ...]] = {n: d.splits for n, d in REGISTRY.items()}
