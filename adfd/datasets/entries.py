"""What a lister returns (:class:`Scan` of :class:`VideoEntry`) and the helpers every lister
shares: video ids from paths, one :class:`DatasetError` naming every missing path, official
JSON and CSV files read with the file named when they are malformed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd


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


def video_entry(root: Path, path: Path, label: int, subset: str) -> VideoEntry:
    rel = path.relative_to(root).with_suffix("")
    return VideoEntry(rel.as_posix().replace("/", "__"), path, int(label), subset)


def raise_missing(name: str, what: str, missing: list[Path], hint: bool = True) -> None:
    if missing:
        lines = "\n  ".join(str(p) for p in missing)
        way = f"\n(set datasets.{name}.missing: skip to score without them)" if hint else ""
        raise DatasetError(f"{name}: {len(missing)} {what} missing:\n  {lines}{way}")


def require_file(name: str, path: Path, what: str) -> None:
    if not path.is_file():
        raise DatasetError(f"{name}: {what} {path} not found")


def read_json(dataset: str, path: Path) -> Any:
    """An official JSON file; a malformed one raises naming the dataset and the file."""
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DatasetError(f"{dataset}: {path} is not valid JSON: {err}") from err


def read_table(name: str, path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A split/label CSV as strings, with the file named when it cannot be read or lacks
    one of ``columns``."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DatasetError(f"{name}: {path} is not a readable CSV: {err}") from err
    if not set(columns) <= set(table.columns):
        raise DatasetError(f"{name}: {path} needs columns {','.join(columns)}; has {list(table)}")
    return table
