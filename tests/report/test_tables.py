"""Table aggregation from crafted prediction stores: cells, averages, layouts, rendering."""

import pandas as pd
import pytest

from adfd.config import load_config
from adfd.evaluate.store import build_store
from adfd.report.tables import run

SETS = ["ffpp", "cdf", "dfdc", "dfdcp", "ffiw"]
PROTOCOL = {
    "name": "sbi_video",
    "version": 1,
    "min_face_ratio": 0.5,
    "face_agg": "max",
    "no_face_score": 0.5,
}


def store(tmp_path, run_id, dataset, scores, distortion="raw", subsets=None):
    """One face per video; label 1 for the second half; scores given per video."""
    n = len(scores)
    labels = [0] * (n // 2) + [1] * (n - n // 2)
    subsets = subsets or ["real" if y == 0 else "fake" for y in labels]
    videos = pd.DataFrame(
        {
            "video_id": [f"v{i}" for i in range(n)],
            "label": labels,
            "subset": subsets,
            "status": "ok",
        }
    )
    faces = pd.DataFrame(
        {
            "video_id": videos["video_id"],
            "frame_idx": 0,
            "face_idx": 0,
            "x0": 0.0,
            "y0": 0.0,
            "x1": 10.0,
            "y1": 10.0,
            "score": scores,
        }
    )
    path = tmp_path / f"{run_id}_{dataset}_{distortion}.parquet"
    build_store(
        videos=videos, faces=faces, run_id=run_id, dataset=dataset, distortion=distortion
    ).to_parquet(path)
    return path


def outputs(tmp_path, name):
    return {k: tmp_path / f"{name}.{k}" for k in ("csv", "md", "tex")}


def test_generic_table_cells_and_averages(tmp_path):
    spec = load_config()["tables"]["table7"]
    perfect, inverted = [0.1, 0.2, 0.8, 0.9], [0.9, 0.8, 0.2, 0.1]
    preds = [store(tmp_path, "a", ds, perfect) for ds in SETS]
    preds += [store(tmp_path, "b", ds, perfect if ds == "ffpp" else inverted) for ds in SETS]
    rows = [
        {"index": 1, "id": "dynamic", "labels": ["dynamic blend"], "run_ids": ["a"]},
        {"index": 2, "id": "alpha", "labels": ["alpha blend"], "run_ids": ["b"]},
    ]
    cells = run(
        table="table7",
        spec=spec,
        rows=rows,
        protocol=PROTOCOL,
        predictions=preds,
        summaries=[],
        outputs=outputs(tmp_path, "table7"),
    ).set_index(["row_id", "metric"])
    assert cells.loc[("dynamic", "cdf"), "ours"] == 100.0
    assert cells.loc[("alpha", "cdf"), "ours"] == 0.0
    assert cells.loc[("alpha", "avg"), "ours"] == pytest.approx(20.0)
    assert cells.loc[("alpha", "avg_wo_ffpp"), "ours"] == 0.0
    assert cells.loc[("alpha", "cdf"), "delta"] == pytest.approx(-87.02)
    md = (tmp_path / "table7.md").read_text()
    # FF++ identical to the baseline row: within the noise (†); CDF 0 vs 100 in every draw
    assert (
        "| alpha blend | 100.00 [100.0, 100.0] (98.61, +1.39)† | 0.00 [0.0, 0.0] (87.02, -87.02) |"
        in md
    )
    assert "baseline row (row 1 `dynamic`)" in md
    assert cells.loc[("alpha", "cdf"), "delta_vs_baseline"] == -100.0
    assert cells.loc[("alpha", "cdf"), "p_vs_baseline"] == 0.0
    assert cells.loc[("alpha", "ffpp"), "within_noise"]
    assert not cells.loc[("dynamic", "ffpp"), "within_noise"]  # the baseline row itself


def test_table9_subsets_and_cited_rows(tmp_path):
    spec = load_config()["tables"]["table9"]
    subsets = ["real"] * 4 + ["Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures"]
    scores = [0.1, 0.2, 0.3, 0.6, 0.9, 0.25, 0.8, 0.05]
    preds = [store(tmp_path, "a", "ffpp", scores, subsets=subsets)]
    rows = [{"index": 1, "id": "sbi", "labels": ["SBI"], "run_ids": ["a"]}]
    cells = run(
        table="table9",
        spec={**spec, "rows": spec["rows"][:1]},
        rows=rows,
        protocol=PROTOCOL,
        predictions=preds,
        summaries=[],
        outputs=outputs(tmp_path, "table9"),
    ).set_index("metric")
    assert cells.loc["Deepfakes", "ours"] == 100.0  # 0.9 above every real
    assert cells.loc["Face2Face", "ours"] == 50.0  # 0.25 above 2 of 4 reals
    assert cells.loc["NeuralTextures", "ours"] == 0.0
    md = (tmp_path / "table9.md").read_text()
    assert "PCL+I2G [36] (cited)" in md and "100.00" in md


def test_table10_one_line_per_distortion(tmp_path):
    spec = load_config()["tables"]["table10"]
    preds = [
        store(tmp_path, "a", ds, [0.1, 0.2, 0.8, 0.9], distortion=d)
        for ds in SETS
        for d in spec["distortions"]
    ]
    rows = [{"index": 1, "id": "baseline", "labels": ["Baseline"], "run_ids": ["a"]}]
    run(
        table="table10",
        spec={**spec, "rows": spec["rows"][:1]},
        rows=rows,
        protocol=PROTOCOL,
        predictions=preds,
        summaries=[],
        outputs=outputs(tmp_path, "table10"),
    )
    lines = (tmp_path / "table10.md").read_text().splitlines()
    assert "| Operation | Baseline FF++ | Baseline Avg w/o FF++ |" in lines
    assert any(line.startswith("| jpeg50 | 100.00 [100.0, 100.0] (92.48, +7.52)") for line in lines)


def test_released_checkpoint_table(tmp_path):
    spec = {
        "caption": "Released checkpoint.",
        "test_sets": ["cdf", "dfdc", "dfdcp", "ffiw"],
        "columns": ["Checkpoint"],
        "rows": [
            {
                "id": "sbi_ffraw",
                "labels": ["sbi_ffraw"],
                "paper": {"cdf": 93.82, "dfdc": 73.01, "dfdcp": 85.70, "ffiw": 84.52},
            }
        ],
    }
    preds = [store(tmp_path, "sbi_ffraw", ds, [0.1, 0.2, 0.8, 0.9]) for ds in spec["test_sets"]]
    rows = [{"index": 1, "id": "sbi_ffraw", "labels": ["sbi_ffraw"], "run_ids": ["sbi_ffraw"]}]
    run(
        table="external_sbi_ffraw",
        spec=spec,
        rows=rows,
        protocol=PROTOCOL,
        predictions=preds,
        summaries=[],
        outputs=outputs(tmp_path, "ext"),
    )
    assert "100.00 [100.0, 100.0] (93.82, +6.18)" in (tmp_path / "ext.md").read_text()


def test_secondary_protocols_ci_and_provenance_columns(tmp_path):
    spec = load_config()["tables"]["table7"]
    rng = __import__("numpy").random.default_rng(0)
    preds = [store(tmp_path, r, ds, list(rng.random(12))) for r in "ab" for ds in SETS]
    rows = [
        {"index": 1, "id": "dynamic", "labels": ["dynamic blend"], "run_ids": ["a"]},
        {"index": 2, "id": "alpha", "labels": ["alpha blend"], "run_ids": ["b"]},
    ]
    dfb = {"name": "deepfakebench", "version": 1}
    cells = run(table="table7", spec=spec, rows=rows, protocol=PROTOCOL, secondary=[dfb],
                predictions=preds, summaries=[], outputs={**outputs(tmp_path, "t7"),
                "html": tmp_path / "t7.html"}, stats={"resamples": 200})  # fmt: skip
    assert set(cells["protocol"]) == {"sbi_video/v1", "deepfakebench/v1"}
    prim = cells[cells["primary"]]
    assert (prim["ci_low"] <= prim["ours"]).all() and (prim["ours"] <= prim["ci_high"]).all()
    for col in ("run_ids", "config_path", "git_commit", "packages", "detector", "landmarks",
                "checkpoint_policy", "protocol", "fallback_videos", "units"):  # fmt: skip
        assert col in cells
    # the same store gives the same cells: a table is a pure function of the store
    again = run(table="table7", spec=spec, rows=rows, protocol=PROTOCOL, secondary=[dfb],
                predictions=preds, summaries=[], outputs=outputs(tmp_path, "t7b"),
                stats={"resamples": 200})  # fmt: skip
    assert (tmp_path / "t7.md").read_text() == (tmp_path / "t7b.md").read_text()
    assert again[["ours", "ci_low", "p_vs_baseline"]].equals(
        cells[["ours", "ci_low", "p_vs_baseline"]]
    )
    assert "<table>" in (tmp_path / "t7.html").read_text()


def test_fallbacks_statistics_wording_and_missing_policy_in_footnotes(tmp_path):
    """Unreadable videos and videos without a face are told apart; the CI level and alpha
    follow evaluation.statistics; the manifests' missing policy is in every footnote."""
    import json

    spec = {"caption": "Fallbacks.", "test_sets": ["cdf"], "extra_sets": ["mine"],
            "columns": ["Name"], "rows": [{"id": "a", "labels": ["A"]}]}  # fmt: skip
    preds = []
    for ds in ("cdf", "mine"):
        n = 6
        videos = pd.DataFrame({"video_id": [f"v{i}" for i in range(n)],
                               "label": [0, 0, 0, 1, 1, 1], "subset": "x",
                               "status": ["ok"] * 4 + ["no_face", "unreadable"]})  # fmt: skip
        faces = pd.DataFrame({"video_id": [f"v{i}" for i in range(4)], "frame_idx": 0,
                              "face_idx": 0, "x0": 0.0, "y0": 0.0, "x1": 9.0, "y1": 9.0,
                              "score": [0.1, 0.2, 0.3, 0.9]})  # fmt: skip
        path = tmp_path / f"a_{ds}.parquet"
        build_store(videos=videos, faces=faces, run_id="a", dataset=ds,
                    distortion="raw").to_parquet(path)  # fmt: skip
        preds.append(path)
    manifests = []
    for ds, miss in (("cdf", {"policy": "fail", "skipped": []}),
                     ("mine", {"policy": "skip", "skipped": ["x.mp4", "y.mp4"]})):  # fmt: skip
        manifests.append(tmp_path / f"{ds}.json")
        manifests[-1].write_text(json.dumps({"dataset": ds, "missing": miss}))
    rows = [{"index": 1, "id": "a", "labels": ["A"], "run_ids": ["a"]}]
    cells = run(table="t", spec=spec, rows=rows, protocol=PROTOCOL, predictions=preds,
                summaries=[], outputs=outputs(tmp_path, "t"), manifests=manifests,
                stats={"resamples": 100, "level": 0.9, "alpha": 0.1},
                names={"mine": "Mine"})  # fmt: skip
    cdf = cells.set_index("metric").loc["cdf"]
    assert (cdf["no_face_videos"], cdf["unreadable_videos"], cdf["fallback_videos"]) == (1, 1, 2)
    md = (tmp_path / "t.md").read_text()
    assert "| Name | CDF | Mine |" in md  # one test set: no average; Mine an extra column
    assert "[90 % CI" in md and "95 %" not in md
    assert (
        "videos without any face (scored 0.5 by sbi_video, dropped by deepfakebench): CDF 1/6" in md
    )
    assert "unreadable videos (no frame decoded; scored like a video without a face): CDF 1/6" in md
    assert (
        "missing on disk (datasets.<name>.missing): CDF 0 skipped (fail), Mine 2 skipped (skip)"
        in md
    )
    rows2 = [*rows, {"index": 2, "id": "b", "labels": ["B"], "run_ids": ["a"]}]
    spec2 = {**spec, "rows": [*spec["rows"], {"id": "b", "labels": ["B"]}]}
    stats = {"resamples": 100, "level": 0.9, "alpha": 0.1}
    run(table="t2", spec=spec2, rows=rows2, protocol=PROTOCOL, predictions=preds, summaries=[],
        outputs=outputs(tmp_path, "t2"), stats=stats)  # fmt: skip
    assert "p ≥ 0.1 (CSV" in (tmp_path / "t2.md").read_text()


def test_footnotes_carry_final_loss_and_verdicts(tmp_path):
    """Each row's footnote prints its run's final training loss and flags a run that never
    left ln 2; the verdict line counts reproduced / inconclusive / outside cells."""
    import json

    spec = load_config()["tables"]["table7"]
    rng = __import__("numpy").random.default_rng(0)
    preds = [store(tmp_path, r, ds, list(rng.random(12))) for r in "ab" for ds in SETS]
    summaries = []
    for run_id, losses in (("a", [0.69, 0.5, 0.31, 0.29]), ("b", [0.70, 0.69, 0.70, 0.69])):
        path = tmp_path / run_id / "train_summary.json"
        path.parent.mkdir()
        path.write_text(json.dumps({"history": [{"epoch": i + 1, "loss": v}
                                                for i, v in enumerate(losses)]}))  # fmt: skip
        summaries.append(path)
    rows = [
        {"index": 1, "id": "dynamic", "labels": ["dynamic blend"], "run_ids": ["a"]},
        {"index": 2, "id": "alpha", "labels": ["alpha blend"], "run_ids": ["b"]},
    ]
    cells = run(table="table7", spec=spec, rows=rows, protocol=PROTOCOL, predictions=preds,
                summaries=summaries, outputs=outputs(tmp_path, "t7"),
                stats={"resamples": 200})  # fmt: skip
    md = (tmp_path / "t7.md").read_text()
    assert "`dynamic`: run a" in md and "final training loss 0.290" in md  # last tenth: 1 epoch
    line_b = next(line for line in md.splitlines() if "`alpha`: run b" in line)
    assert "final training loss 0.690" in line_b and "not learned" in line_b
    assert "not learned" not in next(x for x in md.splitlines() if "`dynamic`: run a" in x)
    # 12 random videos per set: every CI is far wider than 20 points, nothing is reproduced
    prim = cells[cells["primary"]]
    assert ((prim["ci_high"] - prim["ci_low"]) > 20).all()
    verdict = next(line for line in md.splitlines() if line.startswith("- against the paper"))
    n = int((prim["paper"].notna()).sum())
    assert verdict.startswith("- against the paper: 0 reproduced") and f"of {n} cells" in verdict
