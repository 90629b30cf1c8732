"""Test/train video lists of the benchmarks: one :class:`Dataset` record per benchmark.

The registry (:data:`REGISTRY`) holds everything the project knows about each paper
benchmark: its lister (official layout -> videos, labels, splits), the name printed in table
columns, its splits and the video counts ``adfd plan --estimate`` assumes. The config schema,
the report's column names and the estimate's constants are derived from it (a test holds
them together). A benchmark the registry does not know is added by config alone with a
generic kind (:data:`KINDS`): ``kind: list`` (a CSV of ``path,label[,split]`` under ``root``)
or ``kind: folders`` (``root/real/`` and ``root/fake/``).

Each ``_list_<name>`` reads the layout exactly as the reference describes it (FF++ split
json files, Celeb-DF-v2 ``List_of_testing_videos.txt``, DFDC ``labels.csv``, DFDC-Preview
``dataset.json``, FFIW ``source``/``target`` folders) and fails with one :class:`DatasetError`
that names every missing path, instead of silently scoring fewer videos (docs/sbi-recipe.md §7:
"CDF AUC stuck at 0.5 means the videos are not where the list expects them").
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

FFPP_METHODS = ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures")  # SBI init_ff('all')
FFPP_COMPRESSIONS = ("raw", "c23", "c40")
CDF_FOLDERS = ("Celeb-real", "Celeb-synthesis", "YouTube-real")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")  # kind: folders
MISSING_POLICIES = ("fail", "skip")  # datasets.<name>.missing


class DatasetError(RuntimeError):
    """A dataset is not laid out as its official release (or the reference code) expects."""


@dataclass(frozen=True)
class VideoEntry:
    video_id: str
    path: Path
    label: int  # 0 = real, 1 = fake
    subset: str  # "real" or the manipulation/method folder


@dataclass(frozen=True)
class MissingVideo:
    """A video the split file (or folder rule) lists but the disk lacks."""

    path: Path
    label: int
    subset: str


@dataclass
class Scan:
    """One split as listed: videos found on disk, listed ones missing, and where the list is."""

    entries: list[VideoEntry]  # sorted by video_id
    missing: list[MissingVideo]
    source: str  # split file (or folder pattern for FFIW) the list comes from
    what: str  # e.g. "videos listed in labels.csv" (used in error messages)


Lister = Callable[[Path, dict[str, Any], str], Scan]


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
        _raise_missing(name, scan.what, [m.path for m in scan.missing])
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


def _entry(root: Path, path: Path, label: int, subset: str) -> VideoEntry:
    rel = path.relative_to(root).with_suffix("")
    return VideoEntry(rel.as_posix().replace("/", "__"), path, int(label), subset)


def _raise_missing(name: str, what: str, missing: list[Path], hint: bool = True) -> None:
    if missing:
        lines = "\n  ".join(str(p) for p in missing)
        way = f"\n(set datasets.{name}.missing: skip to score without them)" if hint else ""
        raise DatasetError(f"{name}: {len(missing)} {what} missing:\n  {lines}{way}")


def _require_file(name: str, path: Path, what: str) -> None:
    if not path.is_file():
        raise DatasetError(f"{name}: {what} {path} not found")


def _list_ffpp(root: Path, cfg: dict[str, Any], split: str) -> Scan:
    comp = cfg.get("compression", "raw")
    if comp not in FFPP_COMPRESSIONS:
        raise DatasetError(
            f"ffpp: datasets.ffpp.compression = {comp!r}; allowed: {', '.join(FFPP_COMPRESSIONS)}"
        )
    split_file = root / f"{split}.json"
    _require_file("ffpp", split_file, "official split file (list of id pairs)")
    pairs = _ffpp_pairs(split_file)
    ids = {i for pair in pairs for i in pair}
    folders = {"real": root / "original_sequences" / "youtube" / comp / "videos"}
    if split == "test":  # training and validation never see fakes (§4.1)
        for method in FFPP_METHODS:
            folders[method] = root / "manipulated_sequences" / method / comp / "videos"
    gone = [d for d in folders.values() if not d.is_dir()]
    _raise_missing("ffpp", "video folders", gone, hint=False)

    entries, missing = [], []
    for subset, folder in folders.items():
        # SBI selection: keep a video if its first 3 characters are a split id.
        kept = [p for p in sorted(folder.glob("*.mp4")) if p.name[:3] in ids]
        label = int(subset != "real")
        entries += [_entry(root, p, label, subset) for p in kept]
        if subset == "real":
            expected = {f"{i}.mp4" for i in ids}
        else:  # both directions of every pair: target_source.mp4
            expected = {f"{a}_{b}.mp4" for a, b in pairs} | {f"{b}_{a}.mp4" for a, b in pairs}
        gone = sorted(expected - {p.name for p in kept})
        missing += [MissingVideo(folder / n, label, subset) for n in gone]
    return Scan(entries, missing, str(split_file), f"videos of the {split} split")


def _read_json(dataset: str, path: Path) -> Any:
    """An official JSON file; a malformed one raises naming the dataset and the file."""
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DatasetError(f"{dataset}: {path} is not valid JSON: {err}") from err


def _ffpp_pairs(split_file: Path) -> list[tuple[str, str]]:
    """The official split: a JSON list of ``[id, id]`` pairs of 3-digit strings."""
    data = _read_json("ffpp", split_file)
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


def _list_cdf(root: Path, cfg: dict[str, Any], split: str) -> Scan:
    list_file = root / "List_of_testing_videos.txt"
    _require_file("cdf", list_file, "test list")
    rows = []
    seen: dict[str, int] = {}
    for n, line in enumerate(list_file.read_text().splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or parts[0] not in ("0", "1") or "/" not in parts[1]:
            raise DatasetError(f"cdf: {list_file}:{n}: expected '<0|1> <folder>/<file>': {line!r}")
        if parts[1] in seen:
            raise DatasetError(
                f"cdf: {list_file}:{n}: {parts[1]} already listed on line {seen[parts[1]]}"
            )
        seen[parts[1]] = n
        folder, file = parts[1].split("/", 1)
        rows.append((int(parts[0]), folder, file))
    if not rows:
        raise DatasetError(f"cdf: {list_file} lists no video")
    _check_cdf_folders(root, sorted({f for _, f, _ in rows}))

    entries, missing = [], []
    for flag, folder, file in rows:
        path = root / folder / "videos" / file  # SBI: extra videos/ sub-folder
        label = 1 - flag  # list flag 1 = real
        subset = "real" if label == 0 else folder
        if not path.is_file():
            missing.append(MissingVideo(path, label, subset))
            continue
        entries.append(_entry(root, path, label, subset))
    return Scan(entries, missing, str(list_file), "videos listed in List_of_testing_videos.txt")


def _check_cdf_folders(root: Path, folders: list[str]) -> None:
    present = {p.name for p in root.iterdir() if p.is_dir()}
    problems = []
    for folder in folders:
        if folder in present:
            if not (root / folder / "videos").is_dir():
                problems.append(
                    f"{root / folder / 'videos'} missing (SBI layout: <folder>/videos/)"
                )
            continue
        variants = sorted(p for p in present if p.lower() == folder.lower())
        hint = f"; found {variants} instead: rename it to '{folder}'" if variants else ""
        problems.append(f"folder {root / folder} missing{hint} (name must match the list)")
    if problems:
        raise DatasetError("cdf: " + "\n  ".join(problems))


def _read_table(name: str, path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A split/label CSV as strings, with the file named when it cannot be read or lacks
    one of ``columns``."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DatasetError(f"{name}: {path} is not a readable CSV: {err}") from err
    if not set(columns) <= set(table.columns):
        raise DatasetError(f"{name}: {path} needs columns {','.join(columns)}; has {list(table)}")
    return table


def _list_dfdc(root: Path, cfg: dict[str, Any], split: str) -> Scan:
    labels_file = root / "labels.csv"
    _require_file("dfdc", labels_file, "label file (columns filename,label)")
    table = _read_table("dfdc", labels_file, ("filename", "label"))
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
        entries.append(_entry(root, path, label_i, subset))
    return Scan(entries, missing, str(labels_file), "videos listed in labels.csv")


def _list_dfdcp(root: Path, cfg: dict[str, Any], split: str) -> Scan:
    json_file = root / "dataset.json"
    _require_file("dfdcp", json_file, "split file from dfdc_preview_set.zip")
    meta = _dfdcp_meta(json_file)
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
            entries.append(_entry(root, path, label, subset))
    if ambiguous:
        raise DatasetError("dfdcp: basenames match several files:\n  " + "\n  ".join(ambiguous))
    return Scan(entries, missing, str(json_file), "test videos listed in dataset.json")


def _dfdcp_meta(json_file: Path) -> dict[str, dict[str, str]]:
    """dataset.json: ``{"<path>.mp4": {"label": "real|fake", "set": "train|test", ...}}``."""
    meta = _read_json("dfdcp", json_file)
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


def _list_ffiw(root: Path, cfg: dict[str, Any], split: str) -> Scan:
    base = root / "FFIW10K-v1-release"
    entries, problems = [], []
    # Labels come from the folder (source = real, target = fake), never from counts (§1).
    for folder, label in (("source", 0), ("target", 1)):
        videos = base / folder / "val" / "videos"
        found = sorted(videos.glob("*.mp4")) if videos.is_dir() else []
        if not found:
            problems.append(videos / "*.mp4")
        entries += [_entry(root, p, label, "real" if label == 0 else folder) for p in found]
    _raise_missing("ffiw", "video folders (no *.mp4 found)", problems, hint=False)
    return Scan(entries, [], str(base / "{source,target}/val/videos/*.mp4"), "videos")


def _list_csv(name: str, root: Path, cfg: dict[str, Any], split: str) -> Scan:
    """``kind: list``: a CSV with a header ``path,label[,split]``; paths relative to ``root``,
    labels ``0``/``real`` or ``1``/``fake``; rows without a split column belong to ``test``."""
    list_file = root / cfg["list"]
    _require_file(name, list_file, "list file (columns path,label[,split]; datasets.<name>.list)")
    table = _read_table(name, list_file, ("path", "label"))
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
        entries.append(_entry(root, path, label_i, subset))
    return Scan(entries, missing, str(list_file), f"videos listed in {list_file.name}")


def _list_folders(name: str, root: Path, cfg: dict[str, Any], split: str) -> Scan:
    """``kind: folders``: every video under ``root/real/`` (label 0) and ``root/fake/`` (1)."""
    entries, problems = [], []
    for folder, label in (("real", 0), ("fake", 1)):
        base = root / folder
        found = sorted(p for p in base.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES)
        if not found:
            problems.append(base / f"**/*{{{','.join(VIDEO_SUFFIXES)}}}")
        entries += [_entry(root, p, label, folder) for p in found]
    _raise_missing(name, "video folders (no video found)", problems, hint=False)
    return Scan(entries, [], str(root / "{real,fake}"), "videos")


KINDS: dict[str, Callable[..., Scan]] = {"list": _list_csv, "folders": _list_folders}
"""Generic dataset kinds: a benchmark added by config alone (``datasets.<name>.kind``)."""

for _dataset in (
    Dataset("ffpp", "FF++", _list_ffpp, ("train", "val", "test"), test_videos=700,
            train_videos=720),
    Dataset("cdf", "CDF", _list_cdf, test_videos=518),
    Dataset("dfdc", "DFDC", _list_dfdc, test_videos=5000),
    Dataset("dfdcp", "DFDCP", _list_dfdcp, test_videos=780),  # approximate: no fixed count
    Dataset("ffiw", "FFIW", _list_ffiw, test_videos=500, counted=False),  # labels by folder
):  # fmt: skip
    register(_dataset)

SPLITS: dict[str, tuple[str, ...]] = {n: d.splits for n, d in REGISTRY.items()}
