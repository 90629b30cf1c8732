"""The real Snakemake DAG: planning the paper grid, config errors, and the Table 7 demo."""

import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from tests.conftest import REPO

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def snakemake(*args, cwd=REPO, check=True, timeout=1800):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_ALBUMENTATIONS_UPDATE": "1"}
    res = subprocess.run(
        [SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and res.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{res.stdout}\n{res.stderr}")
    return res


def job_counts(output: str) -> dict[str, int]:
    table = output[output.index("Job stats:") :]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, flags=re.M)}


def test_dry_run_plans_the_whole_paper_grid(tmp_path):
    t0 = time.perf_counter()
    res = snakemake("-n", "all_tables", "--quiet", "rules", "--directory", str(tmp_path))
    elapsed = time.perf_counter() - t0
    print(f"snakemake -n all_tables: {elapsed:.2f} s")
    counts = job_counts(res.stdout + res.stderr)
    # Preprocessing: FF++ train (12 shards) + every test set under raw and the six Table 10
    # distortions: 7 x (12 + 4 + 25 + 6 + 4) shards.
    assert counts == {
        "check_dataset": 5,
        "preprocess_shard": 12 + 7 * 51,
        "train_detector": 31,
        "evaluate_run": 214,
        "make_table": 13,
        "plot_fig4": 1,
        "plot_fig5": 1,
        "plot_fig6": 1,
        "plot_fig7": 1,
        "all_tables": 1,
        "total": 5 + 369 + 31 + 214 + 13 + 4 + 1,
    }


def test_targets_are_listed():
    res = snakemake("--list-target-rules", "--configfile", str(REPO / "demo/config.yaml"))
    targets = set(res.stdout.split())
    expected = {"all_tables", "fig4", "fig5", "fig6", "fig7"} | {f"table{i}" for i in range(2, 14)}
    assert expected <= targets


def test_bad_config_fails_before_any_job(tmp_path):
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump({"tables": {"table4": {**cfg["tables"]["table4"], "rows": [
            {"id": "typo", "override": {"synthesis": {"blur": {"name": "gausian"}}}}]}}})
    )  # fmt: skip
    res = snakemake("-n", "table4", "--configfile", str(bad), "--directory", str(tmp_path),
                    check=False)  # fmt: skip
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "tables.table4.rows[1](typo).synthesis.blur.name: 'gausian' is not one of" in out
    assert "Job stats" not in out


def test_released_checkpoint_is_planned_through_evaluation(tmp_path):
    weights = tmp_path / "FFraw.tar"
    weights.write_bytes(b"placeholder: only planned")
    overlay = tmp_path / "ext.yaml"
    overlay.write_text(yaml.safe_dump({"external_checkpoints": {"sbi_ffraw": {
        "path": str(weights), "format": "efficientnet_pytorch",
        "reported": {"cdf": 93.82, "dfdc": 73.01, "dfdcp": 85.70, "ffiw": 84.52}}}}))  # fmt: skip
    res = snakemake("results/tables/external_sbi_ffraw.md", "-n", "--quiet", "rules",
                    "--configfile", str(REPO / "demo/config.yaml"), str(overlay),
                    "--directory", str(tmp_path))  # fmt: skip
    counts = job_counts(res.stdout + res.stderr)
    assert counts["convert_checkpoint"] == 1
    assert counts["evaluate_run"] == 4  # CDF, DFDC, DFDCP, FFIW
    assert counts["report_external"] == 1
    assert "train_detector" not in counts


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The README's demo (Table 7) run for real, in a scratch working directory."""
    workdir = tmp_path_factory.mktemp("demo")
    t0 = time.perf_counter()
    snakemake("--profile", str(REPO / "profiles/local"), "--configfile",
              str(REPO / "demo/config.yaml"), "--directory", str(workdir), "table7")  # fmt: skip
    print(f"demo table7 wall time: {time.perf_counter() - t0:.0f} s")
    return workdir


@pytest.mark.slow
def test_demo_table7_end_to_end(demo_run):
    cells = pd.read_csv(demo_run / "results/tables/table7.csv")
    assert set(cells["row_id"]) == {"dynamic", "alpha"}
    assert set(cells["metric"]) == {"ffpp", "cdf", "dfdc", "dfdcp", "ffiw", "avg", "avg_wo_ffpp"}
    assert cells["ours"].between(0, 100).all()
    dyn = cells[cells["row_id"] == "dynamic"].set_index("metric")
    assert dyn.loc["cdf", "paper"] == 91.23 and dyn.loc["avg_wo_ffpp", "paper"] == 83.32
    assert math.isclose(dyn.loc["cdf", "delta"], dyn.loc["cdf", "ours"] - 91.23)
    per_set = dyn.loc[["ffpp", "cdf", "dfdc", "dfdcp", "ffiw"], "ours"]
    assert math.isclose(dyn.loc["avg", "ours"], per_set.mean())
    assert math.isclose(dyn.loc["avg_wo_ffpp", "ours"], per_set.drop("ffpp").mean())
    assert (cells.loc[cells["videos"] > 0, "videos"] >= 8).all()
    md = (demo_run / "results/tables/table7.md").read_text()
    assert "| dynamic blend |" in md and "(91.23, " in md
    assert "\\toprule" in (demo_run / "results/tables/table7.tex").read_text()


@pytest.mark.slow
def test_demo_runs_are_distinct_and_recorded(demo_run):
    runs = sorted((demo_run / "results/train").iterdir())
    assert len(runs) == 2
    for run in runs:
        ckpt = torch.load(run / "model.pt", map_location="cpu", weights_only=True)
        assert ckpt["meta"]["model_name"] == "test_efficientnet"
        summary = json.loads((run / "train_summary.json").read_text())
        assert summary["run_id"] == run.name and len(summary["history"]) == 2
        assert summary["provenance"]["environment"]["packages"]["torch"]
        assert not (demo_run / "results/train_state" / run.name / "state.pt").exists()
    blends = {yaml.safe_load((r / "config.yaml").read_text())["synthesis"]["blend"]["name"]
              for r in runs}  # fmt: skip
    assert blends == {"dynamic", "alpha"}


@pytest.mark.slow
def test_demo_rerun_is_a_no_op(demo_run):
    res = snakemake(
        "--profile", str(REPO / "profiles/local"),
        "--configfile", str(REPO / "demo/config.yaml"),
        "--directory", str(demo_run), "-n", "table7",
    )  # fmt: skip
    assert "Nothing to be done" in res.stdout + res.stderr
