"""The adfd command line on the real config."""

import pytest

from adfd.cli import main
from adfd.config import build_matrix, load_config


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


def test_target_rejects_a_missing_row():
    with pytest.raises(IndexError, match=r"table7 has rows 1\.\.2, not 3"):
        main(["target", "table7", "3"])


def test_diff_rows(capsys):
    main(["diff-rows", "table7:1", "table7:2"])
    out = capsys.readouterr().out
    assert 'synthesis.blend.name: "dynamic" -> "alpha"' in out
    assert "synthesis.blend.ratios" in out
    main(["diff-rows", "table3:4", "table3:5"])
    assert "identical canonical configs" in capsys.readouterr().out
