"""Frame sampling and reading, including broken and truncated files (docs/sbi-recipe.md §2, §7)."""

from __future__ import annotations

import cv2
import numpy as np

from adfd.preprocess.video import read_frames, sample_indices
from tests.datamedia import astronaut, shifted_frames


def test_sample_indices_is_floored_linspace():
    assert sample_indices(120, 32).tolist() == np.linspace(0, 119, 32, dtype=int).tolist()
    assert sample_indices(300, 8).tolist() == [0, 42, 85, 128, 170, 213, 256, 299]
    assert sample_indices(5, 8).tolist() == [0, 1, 2, 3, 4]  # unique when n > frames
    assert sample_indices(0, 8).size == 0 and sample_indices(10, 0).size == 0


def test_read_frames_gives_rgb_frames_at_sampled_indices(media):
    frames, info = read_frames(media["astronaut"], 4)
    assert sorted(frames) == [0, 5, 10, 15]
    assert (info.status, info.frame_count, info.frames_sampled, info.frames_read) == (
        "ok",
        16,
        4,
        4,
    )
    source = shifted_frames(astronaut(), 16, (320, 320))[10]
    frame = frames[10]
    assert frame.dtype == np.uint8 and frame.shape == (320, 320, 3)
    rgb_err = np.abs(frame.astype(int) - source).mean()
    bgr_err = np.abs(frame.astype(int) - source[..., ::-1]).mean()
    assert rgb_err < 8 < bgr_err  # lossy mp4v, but clearly RGB order


def test_real_clip(media):
    frames, info = read_frames(media["carphone"], 32)
    assert info.frame_count == 120 and info.frames_read == 32 and info.missing == []
    assert next(iter(frames.values())).shape == (144, 176, 3)


def test_overstated_frame_count_is_counted_not_fatal(media):
    frames, info = read_frames(media["truncated"], 32)
    assert info.status == "ok" and info.frame_count == 120
    assert 0 < info.frames_read < info.frames_sampled == 32
    assert info.missing and min(info.missing) > max(frames)
    assert info.frames_decoded < 120


def test_empty_garbage_and_missing_files_are_unreadable(media, tmp_path):
    for path in (media["empty"], media["garbage"], tmp_path / "absent.mp4"):
        frames, info = read_frames(path, 8)
        assert frames == {} and info.status == "unreadable" and str(path) in info.error
    assert "0 bytes" in read_frames(media["empty"], 8)[1].error


def test_container_without_usable_frames(tmp_path):
    path = tmp_path / "one.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (64, 64))
    writer.write(np.zeros((64, 64, 3), np.uint8))
    writer.release()
    frames, info = read_frames(path, 8)
    assert sorted(frames) == [0] and info.frames_sampled == 1
