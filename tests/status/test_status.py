"""``adfd status`` on the finished demo run (the session's shared ``demo_run``) and on copies
of it with files removed, truncated or added to make each state: training, failed,
interrupted, half-written summary, runs of another config; partial tables against the
final ones, byte for byte."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adfd.config import build_matrix, load_config
from adfd.status import collect
from adfd.status.command import partial_table, write_overview
from adfd.status.view import render
from tests.conftest import REPO

pytestmark = pytest.mark.slow

CONFIG = load_config([REPO / "demo/config.yaml"])
MATRIX = build_matrix(CONFIG)
EPOCHS = CONFIG["baseline"]["train"]["epochs"]


def copy_tree(src: Path, dst: Path) -> Path:
    """A hard-linked copy of a finished working directory (deleting in it leaves src)."""
    for part in ("results", "logs", ".snakemake/metadata"):
        if (src / part).exists():
            shutil.copytree(
                src / part,
                dst / part,
                copy_function=os.link,
                ignore=shutil.ignore_patterns("demo_data"),
            )
    return dst


def mark_incomplete(root: Path, path: str, jobid=None) -> None:
    inc = root / ".snakemake/incomplete"
    inc.mkdir(parents=True, exist_ok=True)
    name = base64.urlsafe_b64encode(path.encode()).decode()
    (inc / name).write_text(json.dumps({"external_jobid": jobid}))


def lock(root: Path) -> None:
    (root / ".snakemake/locks").mkdir(parents=True, exist_ok=True)
    (root / ".snakemake/locks/0.output.lock").write_text("results/x\n")


def row_run(table: str, index: int) -> str:
    return MATRIX.row(table, index).run_ids[0]


def remove_run_outputs(root: Path, rid: str, keep_train: bool = False) -> None:
    """As if the run had not finished: no predictions (and no model unless keep_train)."""
    shutil.rmtree(root / f"results/predictions/{rid}", ignore_errors=True)
    if not keep_train:
        for name in ("model.pt", "train_summary.json", "config.yaml"):
            (root / f"results/train/{rid}/{name}").unlink(missing_ok=True)
    for ext in ("csv", "md", "tex", "html"):  # tables built on it would be redone
        for table in MATRIX.tables:
            if rid in {r for row in MATRIX.table_rows(table) for r in row.run_ids}:
                (root / f"results/tables/{table}.{ext}").unlink(missing_ok=True)


def test_finished_demo(demo_run):
    st = collect(CONFIG, MATRIX, demo_run, ["all_tables"], slurm=False)
    for job in st.plan.all_jobs():
        assert job.state == "done", (job.rule, job.key, job.state, job.error)
    assert not st.unknown and not st.problems
    for table, grid in st.cells.items():
        assert all(c.state == "done" and c.values for c in grid.values()), table
    text = render(st, CONFIG, MATRIX, profile=REPO / "profiles/local")
    print(text)
    assert "training runs       31: 31 done" in text
    assert "study        0.0 min" in text
    # the grid's AUC is the table's own (CSV of make_table)
    import pandas as pd

    csv = pd.read_csv(demo_run / "results/tables/table4.csv")
    rec = csv[csv["primary"] & (csv["row"] == 1) & (csv["metric"] == "cdf")].iloc[0]
    assert st.cells["table4"][(1, "raw")].values["cdf"][0] == pytest.approx(rec["ours"])


def test_partial_table_cells_equal_final(demo_run, tmp_path):
    """Delete one row's stores: the other rows' lines equal the final table's byte for byte;
    the deleted row prints …; the cells are recomputed from the stores, not the CSV."""
    root = copy_tree(demo_run, tmp_path / "w")
    final = (demo_run / "results/tables/table4.md").read_text().splitlines()
    remove_run_outputs(root, row_run("table4", 2), keep_train=True)
    st = collect(CONFIG, MATRIX, root, ["table4"], slurm=False)
    assert "table4" in st.computed  # recomputed from the prediction store
    part = partial_table(CONFIG, MATRIX, st, "table4").splitlines()
    print("\n".join(part))
    body_final = [ln for ln in final if ln.startswith("| ")]
    body_part = [ln for ln in part if ln.startswith("| ")]
    assert body_part[0] == body_final[0]  # header
    assert body_part[1] == body_final[1]  # row 1 (baseline)
    assert body_part[3] == body_final[3]  # row 3
    assert body_part[2].count("…") == len(body_final[2].split(" | ")) - 1
    assert part[0] == final[0]
    # baseline missing: the other rows keep their numbers, the noise mark is undecided
    remove_run_outputs(root, row_run("table4", 1), keep_train=True)
    st = collect(CONFIG, MATRIX, root, ["table4"], slurm=False)
    part = [
        ln for ln in partial_table(CONFIG, MATRIX, st, "table4").splitlines() if ln.startswith("| ")
    ]
    cells_final = body_final[3].split(" | ")[1:]
    cells_part = part[3].split(" | ")[1:]
    for a, b in zip(cells_final, cells_part, strict=True):
        assert b.rstrip(" |").removesuffix("‡") == a.rstrip(" |").removesuffix("†")


def test_states_from_files(demo_run, tmp_path):
    root = copy_tree(demo_run, tmp_path / "w")
    training, failed, interrupted = row_run("table7", 1), row_run("table7", 2), row_run("table4", 2)
    for rid in (training, failed, interrupted):
        remove_run_outputs(root, rid)
    lock(root)
    for name in ("model.pt", "train_summary.json", "config.yaml"):
        mark_incomplete(root, f"results/train/{training}/{name}")
    log = root / f"logs/train/{failed}.log"
    log.unlink()  # a fresh log (hard link: do not write into the demo's)
    log.write_text(
        f"2026-01-01 INFO adfd.train.loop: epoch 1/{EPOCHS} loss 0.69 lr 1e-3 50.0 img/s\n"
        "Traceback (most recent call last):\n  File x\n"
        "RuntimeError: CUDA out of memory\n"
    )
    st = collect(CONFIG, MATRIX, root, ["table7", "table4"], slurm=False)
    assert st.plan.train[training].state == "running"
    assert st.plan.train[failed].state == "failed"
    assert st.plan.train[failed].error == "RuntimeError: CUDA out of memory"
    cell = st.cells["table7"][(1, "raw")]
    # the demo's own log of that run: every epoch done
    assert cell.state == "training" and f"epoch {EPOCHS}/{EPOCHS} done" in cell.detail
    assert st.cells["table7"][(2, "raw")].state == "failed"
    assert st.cells["table4"][(2, "raw")].state == "waiting for its run"
    text = render(st, CONFIG, MATRIX, gpus=1)
    print(text)
    assert f"train_detector {failed}: log logs/train/{failed}.log: RuntimeError" in text
    assert f"  {training} (" in text.split("training now:")[1]
    # no controller: the marked job is interrupted, not running
    (root / ".snakemake/locks/0.output.lock").unlink()
    st = collect(CONFIG, MATRIX, root, ["table7"], slurm=False)
    assert st.plan.train[training].state == "interrupted"


def test_bad_input_is_reported(demo_run, tmp_path):
    root = copy_tree(demo_run, tmp_path / "w")
    rid = row_run("table7", 1)
    summary = root / f"results/train/{rid}/train_summary.json"
    text = summary.read_text()
    summary.unlink()
    summary.write_text(text[: len(text) // 2])  # half written
    (root / "results/train/0123456789ab").mkdir()
    (root / "results/predictions/0123456789ab").mkdir()
    st = collect(CONFIG, MATRIX, root, ["table7"], slurm=False)
    out = render(st, CONFIG, MATRIX, gpus=1)
    print(out)
    assert f"results/train/{rid}/train_summary.json: unreadable or half written" in out
    assert "0123456789ab: results/train, results/predictions" in out
    assert "run ids the plan does not know" in out


def test_partial_overview_and_cli(demo_run, tmp_path):
    root = copy_tree(demo_run, tmp_path / "w")
    remove_run_outputs(root, row_run("table7", 2), keep_train=True)
    st = collect(CONFIG, MATRIX, root, ["table7", "table4"], slurm=False)
    paths = write_overview(CONFIG, MATRIX, st, tmp_path / "ov")
    assert {p.name for p in paths} == {"overview.html", "overview.png", "overview.pdf"}
    page = (tmp_path / "ov/overview.html").read_text()
    assert "(partial)" in page and "pending" in page and "nan" not in page
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "adfd.cli",
            "--configfile",
            str(REPO / "demo/config.yaml"),
            "status",
            "table7",
            "-d",
            str(root),
            "--table",
            "table7",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("**table7.**") and "…" in res.stdout
