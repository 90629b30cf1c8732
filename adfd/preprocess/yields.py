"""Frame and face yield of preprocessed shards, summarised per dataset/split/distortion.

Every fallback of preprocessing is counted here instead of disappearing (no silent
fallbacks): listed videos missing on disk and left out by ``datasets.<name>.missing: skip``
(from the dataset manifest), videos per status (``ok``, ``no_face``, ``unreadable``, ``error``),
short streams (fewer frames read than sampled: the container count overstated the stream),
frames with a face, faces per frame, and faces below half the frame's largest, which stay in
the shard and are dropped only by the evaluation protocol (``min_face_ratio``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# (summary key, videos.parquet column): frames by landmark outcome and frame selection
LANDMARK_COUNTS = (
    ("with_landmarks", "frames_with_landmarks"),
    ("hog_missed", "frames_landmarks_hog_missed"),
    ("detector_fallback", "frames_landmarks_fallback"),
    ("paired_iou0", "frames_landmarks_iou0"),
    ("hog_without_detector", "frames_hog_without_detector"),
    ("dropped_by_selection", "frames_dropped_by_selection"),
    ("failed", "frames_failed"),
)
MAX_LISTED = 20  # video ids printed per list in the Markdown (the JSON has them all)
SMALL_FACE_RATIO = 0.5  # SBI protocol: faces below half the largest are dropped


def find_groups(paths: Iterable[Path]) -> dict[str, list[Path]]:
    """Shard directories (holding ``videos.parquet``) under ``paths``, grouped by parent."""
    groups: dict[str, list[Path]] = {}
    for path in paths:
        path = Path(path)
        if (path / "videos.parquet").is_file():
            found = [path]
        else:
            found = sorted(p.parent for p in path.rglob("shard-*/videos.parquet"))
        for shard in found:
            groups.setdefault(str(shard.parent), []).append(shard)
    return {k: sorted(set(v)) for k, v in sorted(groups.items())}


def summarize_yield(dirs: Iterable[str | Path], manifest: Path | None = None) -> dict[str, Any]:
    """Yield summary of the shards ``dirs`` (one dataset/split/distortion).

    ``manifest``: the dataset's manifest, for the listed videos its missing policy skipped.
    """
    from adfd.preprocess.shards import load_shard_meta, load_shards, shards_provenance

    dirs = [Path(d) for d in dirs]
    videos, faces = load_shards(dirs)
    metas = load_shard_meta(dirs)
    status = videos["status"].value_counts().sort_index()
    ok = videos[videos["status"].isin(["ok", "no_face"])]
    readable = videos["status"] != "unreadable"
    short = videos[readable & (videos.frames_read < videos.frames_sampled)]
    # frames where the detector found a face, before frame selection and landmark filtering
    found = (
        videos["frames_face_found"] if "frames_face_found" in videos else videos.frames_with_face
    )
    partial = videos[(videos["status"] == "ok") & (found < videos.frames_read)]
    per_frame = faces.groupby(["video_id", "frame_idx"]).size()
    area = (faces.x1 - faces.x0).clip(lower=0) * (faces.y1 - faces.y0).clip(lower=0)
    largest = area.groupby([faces.video_id, faces.frame_idx]).transform("max")
    small = int((area < SMALL_FACE_RATIO * largest).sum()) if len(faces) else 0
    hist = per_frame.value_counts()
    by_label = {}
    for label, name in ((0, "real"), (1, "fake")):
        part = videos[videos.label == label]
        by_label[name] = {
            "videos": len(part),
            **{s: int(n) for s, n in part["status"].value_counts().sort_index().items()},
        }
    sampled, read = int(videos.frames_sampled.sum()), int(videos.frames_read.sum())
    with_face = int(found.sum())
    stored = int(videos.frames_with_face.sum())
    landmarks = {  # 0 for shards written before these counters existed
        key: int(videos[col].sum()) if col in videos else 0 for key, col in LANDMARK_COUNTS
    }
    return {
        "missing_listed": _missing_listed(manifest),
        "shards": len(dirs),
        "shard_dirs": [str(d) for d in dirs],
        **shards_provenance(metas),
        "videos": len(videos),
        "status": {s: int(n) for s, n in status.items()},
        "by_label": by_label,
        "frames": {
            "sampled": sampled,
            "read": read,
            "with_face": with_face,
            "stored": stored,
            "read_of_sampled": _ratio(read, sampled),
            "with_face_of_read": _ratio(with_face, read),
            "per_video_with_face_mean": _ratio(with_face, len(ok)) if len(ok) else None,
        },
        "landmark_frames": landmarks,
        "faces": {
            "total": len(faces),
            "per_frame_mean": _ratio(len(faces), len(per_frame)),
            "per_frame_max": int(per_frame.max()) if len(per_frame) else 0,
            "frames_by_faces": {
                str(k): int(v) for k, v in sorted(hist.items(), key=lambda kv: int(kv[0]))
            },
            "below_half_largest": small,
        },
        "videos_no_face": sorted(videos.loc[videos.status == "no_face", "video_id"]),
        "videos_short_stream": sorted(short["video_id"]),
        "videos_some_frames_without_face": sorted(partial["video_id"]),
        "videos_unreadable": _errors(videos[videos.status == "unreadable"]),
        "videos_error": _errors(videos[videos.status == "error"]),
        "videos_frames_failed": _frame_errors(videos),
    }


def _missing_listed(manifest: Path | None) -> dict[str, Any] | None:
    """``{"policy", "skipped": [paths]}`` of the dataset manifest (None without one)."""
    if manifest is None:
        return None
    data = json.loads(Path(manifest).read_text())
    return data.get("missing", {"policy": "fail", "skipped": []})


def _ratio(a: float, b: float) -> float | None:
    return round(float(a) / float(b), 4) if b else None


def _errors(rows: pd.DataFrame) -> list[dict[str, str]]:
    return [
        {"video_id": v, "error": e}
        for v, e in sorted(zip(rows["video_id"], rows["error"], strict=True))
    ]


def _frame_errors(videos: pd.DataFrame) -> list[dict[str, Any]]:
    """Videos that lost frames to an error (the video itself kept), with the messages."""
    if "frames_failed" not in videos:  # shards written before the counter existed
        return []
    rows = videos[(videos["frames_failed"] > 0) & (videos["status"] != "error")]
    return [
        {"video_id": v, "frames": int(n), "error": e}
        for v, n, e in sorted(
            zip(rows["video_id"], rows["frames_failed"], rows["frame_errors"], strict=True)
        )
    ]


def format_yield(summary: dict[str, Any], title: str = "") -> str:
    """Markdown report of :func:`summarize_yield`."""
    s, fr, fa = summary, summary["frames"], summary["faces"]
    det, lm = s.get("detector") or {}, s.get("landmarks") or {}
    lines = [f"## Preprocessing yield{': ' + title if title else ''}", ""]
    lines.append(
        f"{s['videos']} videos in {s['shards']} shards; detector `{det.get('name')}` "
        f"({det.get('model')}), landmarks `{lm.get('name') if lm else 'none'}`"
        + (f" ({lm.get('model_file')})" if lm else "")
        + f", {s.get('frames_asked')} frames asked per video."
    )
    miss = s.get("missing_listed")
    if miss is not None:
        lines.append(
            f"Listed videos missing on disk: {len(miss['skipped'])} skipped "
            f"(datasets.<name>.missing: {miss['policy']})."
        )
    lines += ["", "| status | real | fake | all |", "|---|---:|---:|---:|"]
    for st in sorted(s["status"]):
        real, fake = (s["by_label"][k].get(st, 0) for k in ("real", "fake"))
        lines.append(f"| {st} | {real} | {fake} | {s['status'][st]} |")
    lines += [
        "",
        "| frames | count | fraction |",
        "|---|---:|---:|",
        f"| sampled | {fr['sampled']} | |",
        f"| read | {fr['read']} | {_pct(fr['read_of_sampled'])} of sampled |",
        f"| with a face | {fr['with_face']} | {_pct(fr['with_face_of_read'])} of read |",
        f"| stored (selected, with landmarks for training) | {fr.get('stored', fr['with_face'])} "
        "| |",
        "",
    ]
    lm_counts = s.get("landmark_frames") or {}
    if lm and lm_counts:
        lines += [
            "Landmarks (box source `" + str(lm.get("box", "detector")) + "`): "
            f"{lm_counts['with_landmarks']} stored frames with landmarks; HOG found no face in "
            f"{lm_counts['hog_missed']} frames with a detector face (not training frames) and "
            f"{lm_counts['detector_fallback']} used the detector box instead (fallback); "
            f"{lm_counts['paired_iou0']} paired with IoU 0; "
            f"{lm_counts['hog_without_detector']} HOG faces without a detector face; "
            f"{lm_counts['dropped_by_selection']} frames with a face left out by the "
            "evenly spaced frame selection.",
            "",
        ]
    lost = s.get("videos_frames_failed") or []
    lines += [
        f"Frames lost to an error in detection, landmarks or crop (the frame dropped, the "
        f"video kept): {(s.get('landmark_frames') or {}).get('failed', 0)} in "
        f"{len(lost)} videos" + (":" if lost else "."),
        *[f"  - {r['video_id']}: {r['frames']} ({r['error']})" for r in lost[:MAX_LISTED]],
        "",
    ]
    lines += [
        f"Faces: {fa['total']} ({fa['per_frame_mean']} per frame with a face, at most "
        f"{fa['per_frame_max']}); frames by faces: "
        + (", ".join(f"{k}: {v}" for k, v in fa["frames_by_faces"].items()) or "none")
        + f". Faces below half the frame's largest: {fa['below_half_largest']} (kept in the "
        "shard, dropped by the SBI protocol at evaluation).",
        "",
    ]
    for key, what in (
        ("videos_no_face", "no face in any frame (scored by the protocol's no-face fallback)"),
        ("videos_short_stream", "fewer frames read than sampled (stream shorter than its count)"),
        ("videos_some_frames_without_face", "some read frames without a face"),
    ):
        ids = s[key]
        lines.append(f"- {what}: {len(ids)}" + (": " if ids else ""))
        lines += [f"  - {v}" for v in ids[:MAX_LISTED]]
        if len(ids) > MAX_LISTED:
            lines.append(f"  - ... {len(ids) - MAX_LISTED} more")
    for key, what in (("videos_unreadable", "unreadable"), ("videos_error", "failed")):
        rows = s[key]
        lines.append(f"- {what}: {len(rows)}")
        lines += [f"  - {r['video_id']}: {r['error']}" for r in rows[:MAX_LISTED]]
        if len(rows) > MAX_LISTED:
            lines.append(f"  - ... {len(rows) - MAX_LISTED} more")
    return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def write_yield(dirs: Iterable[str | Path], json_out: Path, md_out: Path, title: str = "",
                manifest: Path | None = None):  # fmt: skip
    """Write the summary as JSON and Markdown (atomically); return it."""
    summary = summarize_yield(dirs, manifest)
    for path, text in (
        (Path(json_out), json.dumps(summary, indent=1, default=_json_default) + "\n"),
        (Path(md_out), format_yield(summary, title) + "\n"),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    return summary


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    return str(obj)
