"""Integrity gate (adfd.datasets.check) and manifests (adfd.datasets.manifest): expected vs
found per split and label, unreadable files.

Fixture trees in each official layout hold real videos (and broken ones where a test needs
them); the gate's verdict must be the same from the CLI and from the DAG node's manifest.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from adfd.cli import main
from adfd.datasets.check import GateError, check_dataset, format_check
from adfd.datasets.entries import DatasetError
from adfd.datasets.manifest import listing_config, write_manifest
from adfd.datasets.registry import list_videos
from adfd.preprocess.video import probe_video


def put(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


def make_trees(root: Path, media: dict[str, Path]) -> dict[str, dict]:
    """One tiny real-video tree per benchmark layout; returns config["datasets"]."""
    good = media["astronaut"]
    ff = root / "ffpp"
    for split, pairs in {"train": [["000", "001"]], "val": [["002", "003"]],
                         "test": [["004", "005"]]}.items():  # fmt: skip
        put_json(ff / f"{split}.json", pairs)
        for a, b in pairs:
            for vid in (a, b):
                put(good, ff / f"original_sequences/youtube/raw/videos/{vid}.mp4")
            for m in ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures"):
                for name in (f"{a}_{b}", f"{b}_{a}"):
                    put(good, ff / f"manipulated_sequences/{m}/raw/videos/{name}.mp4")
    cdf = root / "cdf"
    (cdf / "List_of_testing_videos.txt").parent.mkdir(parents=True)
    (cdf / "List_of_testing_videos.txt").write_text(
        "1 Celeb-real/id0_0000.mp4\n0 Celeb-synthesis/id0_id1_0000.mp4\n1 YouTube-real/00000.mp4\n"
    )
    for rel in ("Celeb-real/id0_0000.mp4", "Celeb-synthesis/id0_id1_0000.mp4",
                "YouTube-real/00000.mp4"):  # fmt: skip
        folder, file = rel.split("/")
        put(good, cdf / folder / "videos" / file)
    dfdc = root / "dfdc"
    put(good, dfdc / "videos/a.mp4")
    put(media["hopper"], dfdc / "videos/b.mp4")
    (dfdc / "labels.csv").write_text("filename,label\na.mp4,0\nb.mp4,1\n")
    dfdcp = root / "dfdcp"
    put_json(dfdcp / "dataset.json", {
        "method_A/1/1_A/f1.mp4": {"label": "fake", "set": "test"},
        "original_videos/1/r1.mp4": {"label": "real", "set": "test"},
        "original_videos/2/r2.mp4": {"label": "real", "set": "train"},
    })  # fmt: skip
    put(good, dfdcp / "method_A/videos/1/1_A/f1.mp4")
    put(good, dfdcp / "original_videos/videos/1/r1.mp4")
    ffiw = root / "ffiw/FFIW10K-v1-release"
    for folder in ("source", "target"):
        for i in range(2):
            put(good, ffiw / folder / "val/videos" / f"{i:05d}.mp4")
    return {
        "ffpp": {"root": str(ff), "compression": "raw",
                 "expect": {"train": {"real": 2}, "val": {"real": 2},
                            "test": {"real": 2, "fake": 8}}},
        "cdf": {"root": str(cdf), "expect": {"test": {"real": 2, "fake": 1}}},
        "dfdc": {"root": str(dfdc), "expect": {"test": {"videos": 2}}},
        "dfdcp": {"root": str(dfdcp), "expect": None},
        "ffiw": {"root": str(root / "ffiw"), "expect": {"test": {"real": 2, "fake": 2}}},
    }  # fmt: skip


def put_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))


@pytest.fixture
def trees(tmp_path, media):
    return make_trees(tmp_path, media)


def test_every_layout_passes_its_gate(trees):
    for name, cfg in trees.items():
        result, _ = check_dataset(name, cfg, probe=probe_video)
        assert result["ok"], format_check(result)
        assert not result["unreadable"] and not result["missing"]
    result, _ = check_dataset("dfdcp", trees["dfdcp"])
    counts = result["splits"]["test"]["counts"]
    assert counts["real"] == {"expected": 1, "expected_from": "dataset.json", "listed": 1,
                              "found": 1, "unreadable": 0}  # fmt: skip
    ff, _ = check_dataset("ffpp", trees["ffpp"])
    assert ff["splits"]["test"]["counts"]["fake"]["expected_from"] == "config"
    assert ff["splits"]["train"]["counts"]["all"]["expected_from"] == "train.json"


def test_count_mismatch_fails_only_with_the_gate_on(trees):
    cfg = {**trees["ffiw"], "expect": {"test": {"real": 250, "fake": 250}}}
    result, _ = check_dataset("ffiw", cfg)
    assert not result["ok"]
    assert (
        "ffiw/test/real: expected 250 videos (datasets.ffiw.expect.test.real), found 2"
        in (result["problems"])
    )
    report = format_check(result)
    assert "MISMATCH" in report and report.rstrip().endswith("FAILED")
    off, _ = check_dataset("ffiw", {**cfg, "gate": False})
    assert off["ok"] and len(off["warnings"]) == 2 and "gate off" in format_check(off)


def test_missing_videos_fail_by_default_and_are_listed(trees):
    cdf = Path(trees["cdf"]["root"])
    (cdf / "YouTube-real/videos/00000.mp4").unlink()
    for gate in (True, False):
        result, _ = check_dataset("cdf", {**trees["cdf"], "gate": gate})
        assert not result["ok"]
        assert result["missing"] == [str(cdf / "YouTube-real/videos/00000.mp4")]
        real = result["splits"]["test"]["counts"]["real"]
        assert (real["expected"], real["listed"], real["found"]) == (2, 2, 1)
    assert "1 of 3 videos listed" in format_check(result)
    assert "set datasets.cdf.missing: skip to score without them" in format_check(result)


def test_unreadable_files_are_listed_and_gated(trees, media):
    dfdc = Path(trees["dfdc"]["root"])
    (dfdc / "videos/a.mp4").write_bytes(b"")  # zero bytes: found without probing
    shutil.copyfile(media["garbage"], dfdc / "videos/b.mp4")  # only probing finds it
    quick, _ = check_dataset("dfdc", trees["dfdc"])
    assert [u["video_id"] for u in quick["unreadable"]] == ["videos__a"]
    result, _ = check_dataset("dfdc", trees["dfdc"], probe=probe_video)
    reasons = {u["video_id"]: u["reason"] for u in result["unreadable"]}
    assert reasons["videos__a"] == "empty file (0 bytes)"
    assert "cannot open" in reasons["videos__b"] or "no frame" in reasons["videos__b"]
    assert not result["ok"] and "max_unreadable = 0" in result["problems"][0]
    assert str(dfdc / "videos/b.mp4") in format_check(result)
    loose, _ = check_dataset("dfdc", {**trees["dfdc"], "max_unreadable": 2}, probe=probe_video)
    assert loose["ok"] and "2 unreadable" in loose["warnings"][0]


def test_manifest_records_the_check_and_the_gate_raises(trees, tmp_path):
    out = tmp_path / "results/datasets/cdf.json"
    manifest = write_manifest("cdf", trees["cdf"], out, probe=probe_video)
    saved = json.loads(out.read_text())
    assert saved["check"]["ok"] and saved["check"]["probed"]
    assert saved["splits"] == manifest["splits"]
    assert [v["label"] for v in saved["splits"]["test"]] == [0, 1, 0]
    bad = {**trees["cdf"], "expect": {"test": {"real": 178, "fake": 340}}}
    with pytest.raises(GateError, match=r"(?s)dataset check failed for cdf.*expected 178"):
        write_manifest("cdf", bad, tmp_path / "other.json", probe=probe_video)
    assert not (tmp_path / "other.json").exists()
    assert listing_config({**bad, "gate": True, "max_unreadable": 0}) == {"root": bad["root"]}


def test_expect_naming_a_split_the_dataset_lacks(trees):
    with pytest.raises(DatasetError, match="names splits"):
        check_dataset("cdf", {**trees["cdf"], "expect": {"train": {"real": 1}}})


def test_cli_check_prints_expected_vs_found_and_exits_non_zero(trees, tmp_path, capsys):
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(yaml.safe_dump({"datasets": trees}))
    assert main(["datasets", "check", "--configfile", str(overlay), "--probe"]) == 0
    out = capsys.readouterr().out
    assert "5 of 5 datasets pass" in out
    assert "test   real   2         config" in out  # cdf row: expected, source
    (Path(trees["dfdc"]["root"]) / "labels.csv").write_text("name,label\na.mp4,0\n")
    trees["ffiw"]["expect"] = {"test": {"real": 250, "fake": 250}}
    overlay.write_text(yaml.safe_dump({"datasets": trees}))
    report = tmp_path / "check.json"
    assert main(["datasets", "check", "--configfile", str(overlay), "--json", str(report)]) == 1
    out = capsys.readouterr().out
    assert "needs columns filename,label" in out and "failed: dfdc, ffiw" in out
    assert json.loads(report.read_text())["cdf"]["ok"]


def test_list_videos_still_raises_on_missing(trees):
    Path(trees["dfdc"]["root"], "videos/b.mp4").unlink()
    with pytest.raises(DatasetError, match=r"1 videos listed in labels\.csv missing"):
        list_videos("dfdc", trees["dfdc"], "test")


def test_missing_policy_skip_scores_without_them_and_records_them(trees, tmp_path):
    dfdcp = Path(trees["dfdcp"]["root"])
    gone = dfdcp / "method_A/videos/1/1_A/f1.mp4"
    gone.unlink()  # a download that lacks one listed file
    for gate in (True, False):
        failed, _ = check_dataset("dfdcp", {**trees["dfdcp"], "gate": gate})
        assert not failed["ok"] and failed["missing_policy"] == "fail"
        assert "set datasets.dfdcp.missing: skip to score without them" in failed["problems"][0]
    with pytest.raises(DatasetError, match=r"set datasets\.dfdcp\.missing: skip"):
        list_videos("dfdcp", trees["dfdcp"], "test")
    cfg = {**trees["dfdcp"], "missing": "skip"}
    result, _ = check_dataset("dfdcp", cfg, probe=probe_video)
    assert result["ok"] and result["missing"] == [str(gone)]
    assert "skipped (datasets.dfdcp.missing: skip)" in result["warnings"][0]
    assert "SKIPPED" in format_check(result) and "missing: skip" in format_check(result)
    manifest = write_manifest("dfdcp", cfg, tmp_path / "dfdcp.json", probe=probe_video)
    assert manifest["missing"] == {"policy": "skip", "skipped": [str(gone)]}
    assert [v["label"] for v in manifest["splits"]["test"]] == [0]
    assert [e.label for e in list_videos("dfdcp", cfg, "test")] == [0]
    assert listing_config(cfg)["missing"] == "skip"  # a policy change re-lists the dataset


def test_generic_kinds_list_and_folders(tmp_path, media):
    good = media["astronaut"]
    root = tmp_path / "mine"
    for rel in ("clips/a.mp4", "clips/b.mp4", "clips/c.mp4"):
        put(good, root / rel)
    (root / "list.csv").write_text(
        "path,label,split\nclips/a.mp4,real,test\nclips/b.mp4,1,test\n"
        "clips/c.mp4,fake,train\nclips/gone.mp4,0,test\n"
    )
    cfg = {"kind": "list", "root": str(root), "list": "list.csv",
           "expect": {"test": {"real": 1, "fake": 1}}}  # fmt: skip
    failed, _ = check_dataset("mine", cfg)
    assert not failed["ok"] and "1 of 3 videos listed in" in failed["problems"][0]
    result, scans = check_dataset("mine", {**cfg, "missing": "skip"}, probe=probe_video)
    assert result["ok"], format_check(result)
    assert [(e.video_id, e.label) for e in scans["test"].entries] == [
        ("clips__a", 0), ("clips__b", 1)]  # fmt: skip
    (root / "bad.csv").write_text("path,label\nclips/a.mp4,maybe\n")
    with pytest.raises(DatasetError, match=r"bad\.csv:2: expected"):
        check_dataset("mine", {**cfg, "list": "bad.csv"})
    folders = tmp_path / "wild"
    put(good, folders / "real/x.mp4")
    put(good, folders / "fake/sub/y.MOV")
    result, scans = check_dataset("wild", {"kind": "folders", "root": str(folders)})
    assert result["ok"]
    assert [(e.video_id, e.label) for e in scans["test"].entries] == [
        ("fake__sub__y", 1), ("real__x", 0)]  # fmt: skip
    assert result["splits"]["test"]["counts"]["all"]["expected"] is None  # no list to count
    (folders / "fake/sub/y.MOV").unlink()
    with pytest.raises(DatasetError, match="no video found"):
        check_dataset("wild", {"kind": "folders", "root": str(folders)})
    with pytest.raises(KeyError, match=r"kind: list \| folders"):
        check_dataset("unknown", {"root": str(folders)})
