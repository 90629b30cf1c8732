"""Reproduction overview: outcome per cell, the summary, the figure and the page."""

import math

import pandas as pd

from adfd.report.overview import load_cells, outcome, run, summary


def cells_csv(tmp_path, table, rows):
    """A table CSV as make_table writes it: primary and secondary protocol lines."""
    recs = []
    for row_id, metric, ours, lo, hi, paper in rows:
        base = {"table": table, "row": 1, "row_id": row_id, "distortion": "raw",
                "metric": metric, "ours": ours, "ci_low": lo, "ci_high": hi,
                "paper": paper}  # fmt: skip
        recs += [{**base, "primary": True}, {**base, "primary": False, "ours": 0.0}]
    path = tmp_path / f"{table}.csv"
    pd.DataFrame(recs).to_csv(path, index=False)
    return path


def test_outcome_is_where_the_paper_lies_against_our_ci():
    assert outcome(91.2, 85.0, 95.0) == "reproduced"
    assert outcome(91.2, 92.0, 97.0) == "above"  # ours above the paper beyond the noise
    assert outcome(91.2, 70.0, 80.0) == "below"
    assert outcome(math.nan, 70.0, 80.0) == "no paper value"
    assert outcome(91.2, math.nan, math.nan) == "no CI"


def test_a_wide_ci_is_inconclusive_not_reproduced():
    """Reproduced needs the paper inside a CI no wider than max_ci_width (default 20)."""
    assert outcome(91.2, 79.2, 99.2) == "reproduced"  # exactly 20 points wide
    assert outcome(91.2, 79.0, 99.2) == "inconclusive"  # 20.2 points
    assert outcome(91.2, 40.0, 100.0) == "inconclusive"  # the demo's old +-35-point CIs
    assert outcome(91.2, 85.0, 95.0, max_ci_width=5.0) == "inconclusive"
    assert outcome(91.2, 40.0, 80.0) == "below"  # outside even a wide CI: a difference
    assert outcome(91.2, 92.0, 100.0, max_ci_width=1.0) == "above"


def test_overview_figure_and_page(tmp_path):
    a = cells_csv(tmp_path, "table7", [
        ("dynamic", "cdf", 90.0, 85.0, 95.0, 91.23), ("dynamic", "dfdc", 60.0, 55.0, 65.0, 72.10),
        ("dynamic", "ffiw", 70.0, 40.0, 95.0, 83.68),
        ("dynamic", "wild", 70.0, 60.0, 80.0, math.nan)])  # fmt: skip
    b = cells_csv(tmp_path, "table14", [("sbi", "cdf", 99.0, 98.0, 99.5, 91.23)])
    cells = load_cells([a, b])
    assert len(cells) == 5 and (cells["ours"] > 0).all()  # primary protocol only
    counts = summary(cells)
    assert counts.loc["table7"].to_dict() == {"cells": 4, "reproduced": 1, "inconclusive": 1,
                                              "below": 1, "above": 0,
                                              "no paper value": 1}  # fmt: skip
    # a narrower max_ci_width turns the 10-point CI that holds the paper inconclusive too
    narrow = summary(load_cells([a, b], max_ci_width=5.0))
    assert narrow.loc["table7", "reproduced"] == 0 and narrow.loc["table7", "inconclusive"] == 2
    assert counts.loc["table14", "above"] == 1
    out = {"png": tmp_path / "o.png", "pdf": tmp_path / "o.pdf", "html": tmp_path / "o.html"}
    run([a, b], out, stats={"level": 0.99}, names={"wild": "Wild"})
    assert out["png"].read_bytes()[:4] == b"\x89PNG" and out["pdf"].read_bytes()[:4] == b"%PDF"
    page = out["html"].read_text()
    assert "[99 % bootstrap CI]" in page and "<th>Wild</th>" in page
    assert page.count("title='below'") == 1 and page.count("title='above'") == 1
    assert page.count("title='inconclusive'") == 1 and "at most 20 AUC points wide" in page
    assert "<a href='#table14'>table14</a>" in page
