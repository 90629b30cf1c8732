"""list_videos on tiny trees in each benchmark's official layout (docs/sbi-recipe.md §1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adfd.datasets.entries import DatasetError
from adfd.datasets.ffpp import FFPP_METHODS
from adfd.datasets.registry import SPLITS, list_videos, summarize

PAIRS = {"train": [["000", "001"]], "val": [["002", "003"]], "test": [["004", "005"]]}


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def make_ffpp(root: Path, comp: str = "raw") -> Path:
    for split, pairs in PAIRS.items():
        touch(root / f"{split}.json").write_text(json.dumps(pairs))
        for a, b in pairs:
            for vid in (a, b):
                touch(root / "original_sequences/youtube" / comp / "videos" / f"{vid}.mp4")
            for method in FFPP_METHODS:
                for name in (f"{a}_{b}", f"{b}_{a}"):
                    touch(root / "manipulated_sequences" / method / comp / "videos" / f"{name}.mp4")
    # FaceShifter is not part of the benchmark and must be ignored.
    touch(root / "manipulated_sequences/FaceShifter" / comp / "videos/004_005.mp4")
    return root


def test_ffpp_train_val_are_real_only(tmp_path):
    make_ffpp(tmp_path)
    for split, ids in (("train", ["000", "001"]), ("val", ["002", "003"])):
        entries = list_videos("ffpp", {"root": str(tmp_path), "compression": "raw"}, split)
        assert [e.path.stem for e in entries] == ids
        assert {e.label for e in entries} == {0} and {e.subset for e in entries} == {"real"}


def test_ffpp_test_has_real_and_four_methods(tmp_path):
    make_ffpp(tmp_path, comp="c23")
    entries = list_videos("ffpp", {"root": str(tmp_path), "compression": "c23"}, "test")
    assert summarize(entries) == {
        "videos": 10,
        "real": 2,
        "fake": 8,
        "subsets": {"Deepfakes": 2, "Face2Face": 2, "FaceSwap": 2, "NeuralTextures": 2, "real": 2},
    }
    assert all("/c23/" in e.path.as_posix() for e in entries)
    assert "original_sequences__youtube__c23__videos__004" in {e.video_id for e in entries}
    assert [e.video_id for e in entries] == sorted(e.video_id for e in entries)
    fake = next(e for e in entries if e.subset == "Face2Face" and e.path.stem == "005_004")
    assert fake.label == 1
    assert fake.video_id == "manipulated_sequences__Face2Face__c23__videos__005_004"


def test_ffpp_lists_every_missing_video_and_checks_compression(tmp_path):
    make_ffpp(tmp_path)
    gone = [
        tmp_path / "original_sequences/youtube/raw/videos/004.mp4",
        tmp_path / "manipulated_sequences/FaceSwap/raw/videos/005_004.mp4",
    ]
    for path in gone:
        path.unlink()
    with pytest.raises(DatasetError) as err:
        list_videos("ffpp", {"root": str(tmp_path), "compression": "raw"}, "test")
    assert all(str(p) in str(err.value) for p in gone) and "2 videos" in str(err.value)
    with pytest.raises(DatasetError, match="c23"):  # folder for another compression missing
        list_videos("ffpp", {"root": str(tmp_path), "compression": "c23"}, "train")
    with pytest.raises(DatasetError, match="raw, c23, c40"):
        list_videos("ffpp", {"root": str(tmp_path), "compression": "c35"}, "train")
    (tmp_path / "val.json").unlink()
    with pytest.raises(DatasetError, match=r"val\.json"):
        list_videos("ffpp", {"root": str(tmp_path)}, "val")


def make_cdf(root: Path, youtube: str = "YouTube-real") -> Path:
    lines = [
        "1 Celeb-real/id0_0000.mp4",
        "0 Celeb-synthesis/id0_id1_0000.mp4",
        "1 YouTube-real/00000.mp4",
        "",
    ]
    touch(root / "List_of_testing_videos.txt").write_text("\n".join(lines))
    touch(root / "Celeb-real/videos/id0_0000.mp4")
    touch(root / "Celeb-synthesis/videos/id0_id1_0000.mp4")
    touch(root / youtube / "videos/00000.mp4")
    return root


def test_cdf_labels_are_one_minus_flag(tmp_path):
    entries = list_videos("cdf", {"root": str(make_cdf(tmp_path))}, "test")
    labels = {e.video_id: (e.label, e.subset) for e in entries}
    assert labels == {
        "Celeb-real__videos__id0_0000": (0, "real"),
        "Celeb-synthesis__videos__id0_id1_0000": (1, "Celeb-synthesis"),
        "YouTube-real__videos__00000": (0, "real"),
    }


def test_cdf_youtube_case_typo_is_named(tmp_path):
    make_cdf(tmp_path, youtube="Youtube-real")
    with pytest.raises(DatasetError, match=r"Youtube-real.*rename it to 'YouTube-real'"):
        list_videos("cdf", {"root": str(tmp_path)}, "test")


def test_cdf_missing_videos_listed_together(tmp_path):
    make_cdf(tmp_path)
    (tmp_path / "Celeb-real/videos/id0_0000.mp4").unlink()
    (tmp_path / "YouTube-real/videos/00000.mp4").unlink()
    with pytest.raises(DatasetError) as err:
        list_videos("cdf", {"root": str(tmp_path)}, "test")
    assert "id0_0000.mp4" in str(err.value) and "00000.mp4" in str(err.value)


def test_dfdc_labels_csv(tmp_path):
    touch(tmp_path / "labels.csv").write_text("filename,label\nb.mp4,1\na.mp4,0\n")
    touch(tmp_path / "videos/a.mp4")
    touch(tmp_path / "videos/b.mp4")
    entries = list_videos("dfdc", {"root": str(tmp_path)}, "test")
    assert [(e.video_id, e.label) for e in entries] == [("videos__a", 0), ("videos__b", 1)]
    (tmp_path / "videos/b.mp4").unlink()
    with pytest.raises(DatasetError, match=r"videos/b\.mp4"):
        list_videos("dfdc", {"root": str(tmp_path)}, "test")


def test_dfdcp_keeps_test_set_and_matches_basenames(tmp_path):
    meta = {
        "method_A/643049/643049_A/fake1.mp4": {"label": "fake", "set": "test"},
        "method_B/643049/643049_B/fake2.mp4": {"label": "fake", "set": "train"},
        "original_videos/643049/real1.mp4": {"label": "real", "set": "test"},
        "original_videos/643050/real2.mp4": {"label": "real", "set": "train"},
    }
    touch(tmp_path / "dataset.json").write_text(json.dumps(meta))
    touch(tmp_path / "method_A/videos/643049/643049_A/fake1.mp4")
    touch(tmp_path / "method_B/videos/643049/643049_B/fake2.mp4")
    touch(tmp_path / "original_videos/videos/643049/real1.mp4")
    touch(tmp_path / "original_videos/videos/643050/real2.mp4")
    entries = list_videos("dfdcp", {"root": str(tmp_path)}, "test")
    assert [(e.path.name, e.label, e.subset) for e in entries] == [
        ("fake1.mp4", 1, "method_A"),
        ("real1.mp4", 0, "real"),
    ]
    (tmp_path / "original_videos/videos/643049/real1.mp4").unlink()
    with pytest.raises(DatasetError, match=r"real1\.mp4"):
        list_videos("dfdcp", {"root": str(tmp_path)}, "test")


def test_ffiw_labels_come_from_folders(tmp_path):
    base = tmp_path / "FFIW10K-v1-release"
    for name in ("s1", "s2"):
        touch(base / "source/val/videos" / f"{name}.mp4")
    for name in ("t1", "t2", "t3"):  # unequal counts: labels must still follow the folder
        touch(base / "target/val/videos" / f"{name}.mp4")
    entries = list_videos("ffiw", {"root": str(tmp_path)}, "test")
    assert {e.path.stem: e.label for e in entries} == {"s1": 0, "s2": 0, "t1": 1, "t2": 1, "t3": 1}
    assert entries[0].video_id == "FFIW10K-v1-release__source__val__videos__s1"
    for name in ("t1", "t2", "t3"):
        (base / "target/val/videos" / f"{name}.mp4").unlink()
    with pytest.raises(DatasetError, match=r"target/val/videos"):
        list_videos("ffiw", {"root": str(tmp_path)}, "test")


def test_missing_root_unknown_split_and_name(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        list_videos("dfdc", {"root": str(tmp_path / "nope")}, "test")
    with pytest.raises(DatasetError, match="no split 'train'"):
        list_videos("cdf", {"root": str(tmp_path)}, "train")
    with pytest.raises(KeyError, match="ffpp"):
        list_videos("dfd", {"root": str(tmp_path)}, "test")
    assert SPLITS["ffpp"] == ("train", "val", "test")
    assert all(SPLITS[n] == ("test",) for n in ("cdf", "dfdc", "dfdcp", "ffiw"))
