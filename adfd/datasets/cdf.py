"""Celeb-DF-v2: ``List_of_testing_videos.txt`` (``<1 = real | 0 = fake> <folder>/<file>``)
and the videos in ``<folder>/videos/``, as SBI lays them out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adfd.datasets.entries import DatasetError, MissingVideo, Scan, require_file, video_entry

CDF_FOLDERS = ("Celeb-real", "Celeb-synthesis", "YouTube-real")


def list_cdf(root: Path, cfg: dict[str, Any], split: str) -> Scan:
    list_file = root / "List_of_testing_videos.txt"
    require_file("cdf", list_file, "test list")
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
    check_cdf_folders(root, sorted({f for _, f, _ in rows}))

    entries, missing = [], []
    for flag, folder, file in rows:
        path = root / folder / "videos" / file  # SBI: extra videos/ sub-folder
        label = 1 - flag  # list flag 1 = real
        subset = "real" if label == 0 else folder
        if not path.is_file():
            missing.append(MissingVideo(path, label, subset))
            continue
        entries.append(video_entry(root, path, label, subset))
    return Scan(entries, missing, str(list_file), "videos listed in List_of_testing_videos.txt")


def check_cdf_folders(root: Path, folders: list[str]) -> None:
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
