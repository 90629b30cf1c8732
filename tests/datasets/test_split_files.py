"""Malformed official split files fail with the file and the line or key (docs/sbi-recipe.md §1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adfd.datasets.entries import DatasetError
from adfd.datasets.registry import list_videos
from tests.datasets.test_dataset_layouts import make_cdf, make_ffpp, touch


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ('[["000", "001"],', r"train\.json is not valid JSON: .*line 1"),
        ('{"000": "001"}', r"train\.json must be a non-empty JSON list of id pairs, got dict"),
        ("[]", "non-empty JSON list"),
        ('[["000", "001"], ["002", "003", "004"]]', r"train\.json item 1 is \[\"002\""),
        ('[["000", "001"], [2, 3]]', r"item 1 is \[2, 3\]: expected a pair of three-digit"),
        ('[["000", "001"], ["0002", "003"]]', "item 1"),
    ],
)
def test_ffpp_split_json_not_a_list_of_pairs(tmp_path, content, match):
    make_ffpp(tmp_path)
    (tmp_path / "train.json").write_text(content)
    with pytest.raises(DatasetError, match=match) as err:
        list_videos("ffpp", {"root": str(tmp_path)}, "train")
    assert str(tmp_path / "train.json") in str(err.value)


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("2 Celeb-real/id0_0000.mp4", r"List_of_testing_videos\.txt:2: expected '<0\|1>"),
        ("1 Celeb-real id0_0000.mp4", r":2: expected"),
        ("Celeb-real/id0_0000.mp4", r":2: expected"),
        ("1 Celeb-real/id0_0000.mp4", r":2: Celeb-real/id0_0000\.mp4 already listed on line 1"),
    ],
)
def test_cdf_bad_line_is_named(tmp_path, line, match):
    make_cdf(tmp_path)
    listing = tmp_path / "List_of_testing_videos.txt"
    rows = listing.read_text().splitlines()
    listing.write_text("\n".join([rows[0], line, *rows[1:]]))
    with pytest.raises(DatasetError, match=match):
        list_videos("cdf", {"root": str(tmp_path)}, "test")


def test_cdf_empty_list(tmp_path):
    make_cdf(tmp_path)
    (tmp_path / "List_of_testing_videos.txt").write_text("\n\n")
    with pytest.raises(DatasetError, match="lists no video"):
        list_videos("cdf", {"root": str(tmp_path)}, "test")


@pytest.mark.parametrize(
    ("csv", "match"),
    [
        ("name,label\na.mp4,0\n", r"labels\.csv needs columns filename,label; has \['name'"),
        ("filename,label\na.mp4,0\nb.mp4,fake\n", r"labels\.csv:3: expected '<file>\.mp4,<0\|1>'"),
        ("filename,label\na.mp4,0\n,1\n", r"labels\.csv:3: .*filename=''"),
        ("", r"labels\.csv is not a readable CSV"),
        ('filename,label\n"a.mp4,0\n', r"labels\.csv"),
    ],
)
def test_dfdc_labels_csv_problems(tmp_path, csv, match):
    touch(tmp_path / "videos/a.mp4")
    touch(tmp_path / "videos/b.mp4")
    (tmp_path / "labels.csv").write_text(csv)
    with pytest.raises(DatasetError, match=match):
        list_videos("dfdc", {"root": str(tmp_path)}, "test")


@pytest.mark.parametrize(
    ("meta", "match"),
    [
        ('{"method_A/1/1_A/f.mp4": {"label": "fake", "set": "test"}', "not valid JSON"),
        ("[1, 2]", "non-empty JSON object keyed by video path, got list"),
        (
            '{"method_A/1/1_A/f.mp4": {"label": "fake"}}',
            r"key 'method_A/1/1_A/f\.mp4': 'set' is None",
        ),
        ('{"method_A/1/1_A/f.mp4": {"label": 1, "set": "test"}}', "'label' is 1, expected"),
        ('{"method_A/1/1_A/f.mp4": "fake"}', "value is str, expected an object"),
        ('{"f.mp4": {"label": "fake", "set": "test"}}', r"key 'f\.mp4': key is not a relative"),
    ],
)
def test_dfdcp_json_problems_name_the_key(tmp_path, meta, match):
    touch(tmp_path / "method_A/videos/1/1_A/f.mp4")
    (tmp_path / "dataset.json").write_text(meta)
    with pytest.raises(DatasetError, match=match) as err:
        list_videos("dfdcp", {"root": str(tmp_path)}, "test")
    assert str(Path(tmp_path) / "dataset.json") in str(err.value)


def test_missing_split_files_name_the_path(tmp_path):
    for name, file in (("cdf", "List_of_testing_videos.txt"), ("dfdc", "labels.csv"),
                       ("dfdcp", "dataset.json"), ("ffpp", "test.json")):  # fmt: skip
        root = tmp_path / name
        root.mkdir()
        with pytest.raises(DatasetError, match=rf"{name}: .*{file.replace('.', '[.]')} not found"):
            list_videos(name, {"root": str(root)}, "test")
    (tmp_path / "ffiw").mkdir()
    with pytest.raises(DatasetError, match=r"source/val/videos/\*\.mp4"):
        list_videos("ffiw", {"root": str(tmp_path / "ffiw")}, "test")
