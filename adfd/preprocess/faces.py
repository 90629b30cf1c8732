"""One video's faces (docs/sbi-recipe.md §2), for the shard writer (:mod:`adfd.preprocess.write`).

Sample frames with linspace over the container count, optionally distort the raw frame
(Table 10 robustness, applied before detection), detect faces (one batch per video, on the
GPU when the detector runs there), predict landmarks (on dlib's HOG face paired with a
detector face, as SBI, or inside every detector box: ``landmarks.box``), keep ``keep``
evenly spaced frames among those with a face when more were decoded (SBI's 32 -> 8 for
training), and save each face's context window (``adfd.preprocess.crop``: every training
and test crop of it, both flips) as PNG or raw NPY (``adfd.preprocess.images``), not the
full frame: a fraction of the disk and of the loader's decode, the same pixels for every
crop. A bad video is recorded with a status and the error message (docs/sbi-recipe.md §7).
A frame whose detection, landmarks or crop raises (e.g. a detector box entirely outside the
frame, which ternaus keeps) loses only that frame, as in SBI's scripts: counted per video
(``frames_failed``, first messages in ``frame_errors``) and in yield.md.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from adfd.datasets.entries import VideoEntry
from adfd.preprocess.crop import apply_window, context_window
from adfd.preprocess.detect import Detector
from adfd.preprocess.images import write_image
from adfd.preprocess.landmarks import FrameLandmarks, LandmarkBoxes
from adfd.preprocess.video import read_frames, spaced_subset

log = logging.getLogger(__name__)

# Errors one frame or video may raise while decoding, distorting, detecting or writing;
# recorded. A frame that raises is lost (SBI's scripts skip it); the video keeps the rest.
VIDEO_ERRORS = (cv2.error, RuntimeError, ValueError, OSError, IndexError, TypeError)
MAX_FRAME_ERRORS = 3  # messages kept per video in videos.parquet (all are counted)
LANDMARK_COUNTERS = {  # FrameLandmarks.source -> videos.parquet counter
    "missed": "frames_landmarks_hog_missed",
    "fallback": "frames_landmarks_fallback",
}


def process_video(
    entry: VideoEntry,
    shard_dir: Path,
    sampling: tuple[int, int | None],
    detector: Detector,
    predictor: LandmarkBoxes | None,
    distort: Callable[[np.ndarray], np.ndarray] | None,
    store: tuple[float, str],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The video's ``videos.parquet`` row and its faces' ``faces.parquet`` rows; the face
    crops are written under ``shard_dir/frames/<video_id>/``."""
    n, keep = sampling
    row = {
        "video_id": entry.video_id,
        "path": str(entry.path),
        "label": int(entry.label),
        "subset": entry.subset,
        "frame_count": 0,
        "frames_sampled": 0,
        "frames_read": 0,
        "frames_with_face": 0,
        "frames_face_found": 0,
        "frames_with_landmarks": 0,
        "frames_landmarks_hog_missed": 0,
        "frames_landmarks_fallback": 0,
        "frames_landmarks_iou0": 0,
        "frames_hog_without_detector": 0,
        "frames_dropped_by_selection": 0,
        "frames_failed": 0,
        "frame_errors": "",
        "status": "ok",
        "error": "",
    }
    frames, info = read_frames(entry.path, n)
    row.update(
        frame_count=info.frame_count,
        frames_sampled=info.frames_sampled,
        frames_read=info.frames_read,
        status=info.status,
        error=info.error,
    )
    if info.status != "ok":
        log.warning("%s: %s", entry.video_id, info.error)
        return row, []
    if info.missing:
        log.warning(
            "%s: stream ended after %d frames; %d of %d sampled frames not readable "
            "(container reports %d)",
            entry.video_id,
            info.frames_decoded,
            len(info.missing),
            info.frames_sampled,
            info.frame_count,
        )
    failed: dict[int, str] = {}  # frame index -> error of the frames lost
    try:
        found = _detect_video(entry.video_id, frames, detector, predictor, distort, store, failed)
        chosen = _choose_frames(found, keep, predictor is not None, row)
        rows: list[dict[str, Any]] = []
        for idx in chosen:
            image, faces, marks = found[idx]
            try:
                rows += _write_faces(entry.video_id, idx, image, faces, marks, shard_dir, store)
            except VIDEO_ERRORS as err:
                _lose_frame(entry.video_id, idx, err, failed)
                for path in (shard_dir / "frames" / entry.video_id).glob(f"{idx:04d}_*"):
                    path.unlink()
    except VIDEO_ERRORS as err:  # not one frame's: the video is recorded as failed
        log.warning("%s: %s: %s", entry.video_id, type(err).__name__, err)
        row.update(status="error", error=f"{type(err).__name__}: {err}", frames_with_face=0)
        shutil.rmtree(shard_dir / "frames" / entry.video_id, ignore_errors=True)
        return row, []
    row["frames_failed"] = len(failed)
    row["frame_errors"] = "; ".join(
        f"frame {i}: {failed[i]}" for i in sorted(failed)[:MAX_FRAME_ERRORS]
    )
    row["frames_with_face"] = len({r["frame_idx"] for r in rows})
    row["frames_with_landmarks"] = len({r["frame_idx"] for r in rows if r["landmarks"]})
    if not rows and failed and len(failed) == len(frames):
        row.update(status="error", error=f"every frame failed: {row['frame_errors']}")
    elif not rows:
        row["status"] = "no_face"
    return row, rows


def _lose_frame(video_id: str, idx: int, err: Exception, failed: dict[int, str]) -> None:
    failed[idx] = f"{type(err).__name__}: {err}"
    log.warning("%s: frame %d lost: %s", video_id, idx, failed[idx])


def _detect_video(video_id, frames, detector, predictor, distort, store, failed):
    """``{frame index: (frame, faces, FrameLandmarks | None)}`` of the frames that did not
    raise (those go to ``failed``); detection in one batch, frame by frame if it raises."""
    order = sorted(frames)
    images = [distort(frames[i]) if distort is not None else frames[i] for i in order]
    try:
        detected = detector.detect_batch(images)
    except VIDEO_ERRORS:  # find the frame(s) that raise; the others keep their faces
        detected = []
        for idx, image in zip(order, images, strict=True):
            try:
                detected.append(detector.detect_batch([image])[0])
            except VIDEO_ERRORS as err:
                _lose_frame(video_id, idx, err, failed)
                detected.append(None)
    found = {}
    for idx, image, faces in zip(order, images, detected, strict=True):
        if faces is None:
            continue
        try:
            found[idx] = _frame_landmarks(image, faces, predictor, store[0])
        except VIDEO_ERRORS as err:
            _lose_frame(video_id, idx, err, failed)
    return found


def _frame_landmarks(image, faces, predictor, context_margin) -> tuple:
    """``(frame, faces, FrameLandmarks | None)``; raises when a face's crop window is empty
    (a box outside the frame), before the frame becomes a selection candidate."""
    marks = None if predictor is None else predictor(image, [f.box for f in faces])
    if predictor is not None and not faces and predictor.box == "dlib_hog":
        # SBI saves such a frame from its dlib script, so it is a selection candidate,
        # but it has no detector box and cannot be used for training.
        if predictor.hog_landmarks(image) is not None:
            marks = FrameLandmarks([], "hog_only")
    height, width = image.shape[:2]
    for face_idx, face in enumerate(faces):
        points = None if marks is None else marks.points[face_idx]
        context_window(points, face.box, context_margin, height, width)
    return image, faces, marks


def _choose_frames(found, keep, with_landmarks, row) -> list[int]:
    """Frames to store; counts landmark sources and frames dropped into ``row``.

    Candidates are the frames where a face was found (by the detector or, for training,
    by HOG: SBI saves a frame when either of its scripts finds one); with ``keep``, the
    evenly spaced subset of them (:func:`spaced_subset`). With landmarks, a candidate
    without both a detector face and landmarks is not stored (SBI needs both files).
    """
    candidates = [
        i
        for i, (_, faces, marks) in found.items()
        if faces or (marks is not None and marks.source == "hog_only")
    ]
    row["frames_face_found"] = sum(1 for _, faces, _ in found.values() if faces)
    chosen = spaced_subset(candidates, keep) if keep else sorted(candidates)
    row["frames_dropped_by_selection"] = len(candidates) - len(chosen)
    stored = []
    for idx in chosen:
        marks = found[idx][2]
        if marks is not None:
            if marks.source == "hog_only":
                row["frames_hog_without_detector"] += 1
                continue
            if marks.source in LANDMARK_COUNTERS:
                row[LANDMARK_COUNTERS[marks.source]] += 1
            if marks.iou is not None and marks.iou <= 0:
                row["frames_landmarks_iou0"] += 1
            if with_landmarks and all(p is None for p in marks.points):
                continue  # no landmarks: not a training frame (counted above)
        stored.append(idx)
    return stored


def _write_faces(video_id, idx, frame, faces, marks, shard_dir, store) -> list[dict[str, Any]]:
    context_margin, crop_format = store
    height, width = frame.shape[:2]
    rows = []
    for face_idx, face in enumerate(faces):
        points = None if marks is None else marks.points[face_idx]
        window = context_window(points, face.box, context_margin, height, width)
        stem = shard_dir / f"frames/{video_id}/{idx:04d}_{face_idx}"
        stem.parent.mkdir(parents=True, exist_ok=True)
        name = write_image(stem, apply_window(frame, window), crop_format)
        frame_file = f"frames/{video_id}/{name}"
        rows.append(
            {
                "video_id": video_id,
                "frame_idx": int(idx),
                "face_idx": face_idx,
                "x0": face.box[0],
                "y0": face.box[1],
                "x1": face.box[2],
                "y1": face.box[3],
                "score": float(face.score),
                "kps": [] if face.kps is None else [float(v) for v in np.ravel(face.kps)],
                "landmarks": [] if points is None else [float(v) for v in np.ravel(points)],
                "frame_file": frame_file,
                "crop_x0": int(window[0]),
                "crop_y0": int(window[1]),
            }
        )
    return rows
