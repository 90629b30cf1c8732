"""A new benchmark and a new table by config alone: an overlay YAML (and the user's list of
videos) is the only file written; the dataset is planned, checked and scored, and both
tables are built by a real Snakemake run on the demo."""

import json
import math

import pandas as pd
import pytest
import yaml

from adfd.cli import main
from adfd.demo import build
from adfd.demo.layouts import TEST_VIDEOS
from tests.conftest import REPO, snakemake

TABLE14 = {
    "caption": "A new table by config: blending on CDF and a user's benchmark.",
    "baseline_row": "dynamic",
    "test_sets": ["cdf", "mine"],  # mine is in this table's average
    "columns": ["Name"],
    "rows": [
        {"id": "dynamic", "labels": ["dynamic blend"], "override": {}},
        {"id": "alpha", "labels": ["alpha blend"],
         "override": {"synthesis": {"blend": {"name": "alpha"}}}},
    ],
}  # fmt: skip


def overlay(tmp_path, demo_root):
    """The user's files: a CSV list of videos (one listed file is absent) and an overlay."""
    videos = json.loads((demo_root / "demo_summary.json").read_text())["videos"]
    rows = [
        (v["path"].removeprefix("DFDC/"), "fake" if v["label"] else "real", "test")
        for v in videos
        if v["dataset"] == "dfdc"
    ]
    rows.append(("videos/not_downloaded.mp4", "fake", "test"))
    listing = tmp_path / "mine.csv"
    listing.write_text("path,label,split\n" + "".join(",".join(r) + "\n" for r in rows))
    cfg = {
        "datasets": {
            "mine": {
                "kind": "list",
                "root": "results/demo_data/DFDC",
                "list": str(listing),
                "display": "Mine",
                "missing": "skip",
            }
        },
        "tables": {"table7": {"extra_sets": ["wild", "mine"]}, "table14": TABLE14},
    }
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path, len(rows) - 1


@pytest.mark.slow
def test_dataset_and_table_added_by_config_alone(tmp_path, capsys):
    work = tmp_path / "work"
    demo_root = work / "results/demo_data"
    build(demo_root, seed=0)  # the demo's own data (same seed as the DAG's rule)
    extra, n_listed = overlay(tmp_path, demo_root)
    demo_cfg = str(REPO / "demo/config.yaml")

    assert main(["--configfile", demo_cfg, "--configfile", str(extra), "plan", "--table",
                 "table14"]) == 0  # fmt: skip
    plan = capsys.readouterr().out
    assert "table14    1  dynamic" in plan and "table14    2  alpha" in plan
    assert "mine 2" in plan  # both rows score the new test set

    snakemake("--profile", str(REPO / "profiles/local"), "table7", "table14", "--configfile",
              demo_cfg, str(extra), "--directory", str(work))  # fmt: skip

    manifest = json.loads((work / "results/datasets/mine.json").read_text())
    assert manifest["check"]["ok"] and manifest["missing"]["policy"] == "skip"
    assert [p.rsplit("/", 1)[1] for p in manifest["missing"]["skipped"]] == ["not_downloaded.mp4"]
    assert manifest["counts"]["test"]["videos"] == n_listed

    t7 = pd.read_csv(work / "results/tables/table7.csv")
    t7 = t7[t7["primary"]].set_index(["row_id", "metric"])
    sets = ["ffpp", "cdf", "dfdc", "dfdcp", "ffiw"]
    for row in ("dynamic", "alpha"):
        # extra columns are scored but stay out of the paper's averages
        assert math.isclose(t7.loc[(row, "avg"), "ours"], t7.loc[row].loc[sets, "ours"].mean())
        assert t7.loc[(row, "mine"), "videos"] == n_listed
        assert t7.loc[(row, "wild"), "videos"] == 2 * TEST_VIDEOS["wild"]
    md7 = (work / "results/tables/table7.md").read_text()
    header = next(line for line in md7.splitlines() if line.startswith("| Name"))
    assert header.endswith("| Avg | Avg w/o FF++ | Wild | Mine |")
    assert "Mine 1 skipped (skip)" in md7 and "CDF 0 skipped (fail)" in md7

    t14 = pd.read_csv(work / "results/tables/table14.csv")
    t14 = t14[t14["primary"]].set_index(["row_id", "metric"])
    assert set(t14.index.get_level_values("metric")) == {"cdf", "mine", "avg"}
    for row in ("dynamic", "alpha"):  # a table that lists it in test_sets averages it
        mean = t14.loc[row].loc[["cdf", "mine"], "ours"].mean()
        assert math.isclose(t14.loc[(row, "avg"), "ours"], mean)
    # table14 shares table7's runs: no training beyond table7's two runs
    assert set(t14["run_ids"]) == set(t7["run_ids"])
    md14 = (work / "results/tables/table14.md").read_text()
    assert "| Name | CDF | Mine | Avg |" in md14
    print(md7)
    print(md14)


def test_table14_planned_from_an_overlay(tmp_path, capsys):
    """Without running anything: `adfd plan --table table14` and the Snakemake DAG of
    table14 (on the paper config) from an overlay that adds a table and a dataset."""
    extra = tmp_path / "t14.yaml"
    extra.write_text(yaml.safe_dump({
        "datasets": {"mine": {"kind": "folders", "root": str(tmp_path / "Mine")}},
        "tables": {"table14": TABLE14},
    }))  # fmt: skip
    assert main(["--configfile", str(extra), "plan", "--table", "table14"]) == 0
    plan = capsys.readouterr().out
    assert "table14    1  dynamic" in plan and "table rows: 2 x seeds 1 = 2" in plan
    res = snakemake("-n", "table14", "--quiet", "rules", "--configfile", str(extra),
                    "--directory", str(tmp_path))  # fmt: skip
    jobs = dict(line.split() for line in (res.stdout + res.stderr).splitlines()
                if line.split()[:1] and line.split()[0] in
                ("check_dataset", "make_table", "train_detector", "table14"))  # fmt: skip
    # one evaluation job per run scores every configured test set: all six are checked;
    # the two rows train two runs; one table
    assert jobs == {"check_dataset": "6", "train_detector": "2", "make_table": "1",
                    "table14": "1"}  # fmt: skip
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"tables": {"my table": TABLE14}}))
    res = snakemake("-n", "all_tables", "--configfile", str(bad), "--directory", str(tmp_path),
                    check=False)  # fmt: skip
    assert res.returncode != 0 and "my table" in res.stdout + res.stderr
