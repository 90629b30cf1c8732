"""The adfd command line on the real config."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adfd.cli import main
from adfd.config import build_matrix, load_config
from adfd.errors import NotFoundError

ROOT = Path(__file__).resolve().parents[1]


def test_plan_reports_rows_runs_and_evaluations(capsys):
    assert main(["plan"]) == 0
    out = capsys.readouterr().out
    matrix = build_matrix(load_config())
    n = len(matrix.rows)
    assert f"table rows: {n} x seeds 1 = {n}" in out
    assert f"unique training runs: {len(matrix.runs)}" in out
    assert f"evaluation jobs (run x test set x distortion): {len(matrix.evals)}" in out
    assert "table7     2  alpha" in out


def test_target_prints_the_cells_training_output(capsys):
    assert main(["target", "table3", "4"]) == 0
    captured = capsys.readouterr()
    target = captured.out.strip()
    assert target.startswith("results/train/") and target.endswith("/model.pt")
    assert f"-R {target} table3" in captured.err
    main(["target", "table3", "5"])
    assert capsys.readouterr().out.strip() == target  # float32: line type/value inert


def test_target_rejects_a_missing_row(capsys):
    assert main(["target", "table7", "3"]) == 2
    assert capsys.readouterr().err == "adfd: error: table7 has rows 1..2, not 3\n"
    with pytest.raises(NotFoundError, match=r"table7 has rows 1\.\.2, not 3"):
        main(["--debug", "target", "table7", "3"])


def test_diff_rows(capsys):
    main(["diff-rows", "table7:1", "table7:2"])
    out = capsys.readouterr().out
    assert 'synthesis.blend.name: "dynamic" -> "alpha"' in out
    assert "synthesis.blend.ratios" in out
    main(["diff-rows", "table3:4", "table3:5"])
    assert "identical canonical configs" in capsys.readouterr().out


def adfd(*args: str) -> subprocess.CompletedProcess:
    """The installed command line, run as a user runs it (python -m adfd.cli)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "adfd.cli", *args], capture_output=True, text=True, env=env,
        cwd=ROOT, timeout=120,
    )  # fmt: skip


def bad_config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return str(path)


USER_ERRORS = {
    "negative epochs": (
        lambda t: ["--configfile", bad_config(t, "baseline:\n  train:\n    epochs: -3\n"), "plan"],
        "config error at baseline.train.epochs: -3 is less than the minimum of 1",
    ),
    "table name": (
        lambda t: ["--configfile", bad_config(t, "tables:\n  Table-3: {rows: []}\n"), "plan"],
        "config error at tables: 'Table-3' does not match any of the regexes",
    ),
    "unknown table": (lambda t: ["target", "table99", "1"], "unknown table 'table99'; known: "),
    "unknown row": (lambda t: ["target", "table7", "3"], "table7 has rows 1..2, not 3"),
    "two schema errors, one line each": (
        lambda t: [
            "--configfile",
            bad_config(t, "baseline:\n  train:\n    epochs: -3\n    batch_real: 0\n"),
            "plan",
        ],
        [
            "config error at baseline.train.batch_real: 0 is less than the minimum of 1",
            "config error at baseline.train.epochs: -3 is less than the minimum of 1",
        ],
    ),
    "row reference": (
        lambda t: ["diff-rows", "table3:4", "table3"],
        "'table3': expected TABLE:ROW",
    ),
    "missing config file": (
        lambda t: ["--configfile", str(t / "nope.yaml"), "plan"],
        "config file not found: ",
    ),
    "config file is a folder": (
        lambda t: ["--configfile", str(t), "plan"],
        "cannot read config file ",
    ),
    "no shards": (
        lambda t: ["datasets", "yield", str(t)],
        "no shard directories (shard-NNN with videos.parquet) under ",
    ),
    "unknown dataset": (
        lambda t: ["datasets", "check", "--dataset", "nope"],
        "unknown dataset(s) nope; configured: ",
    ),
}


@pytest.mark.parametrize("case", USER_ERRORS, ids=list(USER_ERRORS))
def test_user_error_is_one_line_and_exit_2(case, tmp_path):
    """One ``adfd: error:`` line per problem on stderr, nothing on stdout, exit 2; with
    ``--debug`` the traceback ends in the same message."""
    argv, messages = USER_ERRORS[case]
    messages = [messages] if isinstance(messages, str) else messages
    argv = argv(tmp_path)
    done = adfd(*argv)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == len(messages), done.stderr
    for line, message in zip(lines, messages, strict=True):
        assert line.startswith("adfd: error: " + message), line
    debug = adfd("--debug", *argv)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    tail = debug.stderr.splitlines()[-len(messages) :]
    assert all(m in t for m, t in zip(messages, tail, strict=True)), debug.stderr
