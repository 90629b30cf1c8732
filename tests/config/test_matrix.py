"""The experiment matrix on the real config: validation, dedupe, canonical run ids."""

import copy

import pytest

from adfd.config import ConfigError, build_matrix, load_config
from adfd.config.canonical import INERT_RULES, canonical_form, drop_inert, normalise, run_id
from adfd.config.schema import validate_config
from adfd.registries import BLENDS, BLURS, MASKS, NRS_DISTANCES, NRS_FILTERS


@pytest.fixture(scope="module")
def config():
    return load_config()


@pytest.fixture(scope="module")
def matrix(config):
    return build_matrix(config)


def test_every_paper_table_and_fig5_is_in_the_matrix(config):
    """The paper's tables and rows (those with the paper's values; Fig. 5 prints none) are
    all there; rows or tables a user adds without paper values are extra."""
    assert {f"table{i}" for i in range(2, 14)} | {"fig5"} <= set(config["tables"])
    rows = {
        t: sum("paper" in r or t == "fig5" for r in s["rows"])
        for t, s in config["tables"].items()
        if t == "fig5" or any("paper" in r for r in s["rows"])
    }
    assert rows == {
        "table2": 4, "table3": 6, "table4": 3, "fig5": 6, "table5": 4, "table6": 4,
        "table7": 2, "table8": 2, "table9": 2, "table10": 2, "table11": 4, "table12": 3,
        "table13": 4,
    }  # fmt: skip


def test_paper_values_present_for_every_cell(config):
    for name, spec in config["tables"].items():
        if name == "fig5":  # the paper prints no numbers for Fig. 5, only its range
            assert spec["paper_range"] == {"metric": "avg", "min": 62.39, "max": 72.03}
            continue
        for row in spec["rows"]:
            if "paper" not in row:  # a row added beyond the paper's
                continue
            paper = row["paper"]
            if "distortions" in spec:
                assert set(paper) == set(spec["distortions"])
                assert all(set(v) == {"ffpp", "avg_wo_ffpp"} for v in paper.values())
            else:
                expected = set(spec.get("subsets", [])) | set(spec["test_sets"])
                assert expected <= set(paper), (name, row["id"])


def test_paper_averages_match_their_cells(config):
    """Avg and Avg w/o FF++ as the paper computes them (rounding of printed values)."""
    for name, spec in config["tables"].items():
        for row in spec["rows"]:
            paper = row.get("paper", {})
            if "avg" not in paper or "distortions" in spec:
                continue
            sets = spec["test_sets"]
            assert abs(sum(paper[s] for s in sets) / len(sets) - paper["avg"]) < 0.02, name
            if "avg_wo_ffpp" in paper:
                rest = [s for s in sets if s != "ffpp"]
                mean = sum(paper[s] for s in rest) / len(rest)
                assert abs(mean - paper["avg_wo_ffpp"]) < 0.02, (name, row["id"])


def test_every_row_resolves_and_dedupe_holds(config, matrix):
    assert len(matrix.rows) == sum(len(s["rows"]) for s in config["tables"].values())
    canon = {}
    for row in matrix.rows:  # each row resolved to a full experiment, one run per seed
        assert set(row.resolved) == set(config["baseline"]) and len(row.run_ids) == 1
        run = matrix.runs[row.run_ids[0]]
        canon.setdefault(run_id(run.canonical), set()).add(row.run_ids[0])
    # identical canonical configs share one run; different ones never do
    assert all(len(ids) == 1 for ids in canon.values()) and len(canon) == len(matrix.runs)
    assert set(matrix.runs) == {rid for r in matrix.rows for rid in r.run_ids}
    base = matrix.row("table7", 1).run_ids[0]
    shared = {f"{r.table}[{r.index}]" for r in matrix.rows if r.run_ids[0] == base}
    assert shared == {
        "table2[2]", "table3[6]", "table5[1]", "table6[4]", "table7[1]", "table8[1]",
        "table9[1]", "table10[1]", "table11[1]",
    }  # fmt: skip
    ours = matrix.row("table11", 4).run_ids[0]
    assert {f"{r.table}[{r.index}]" for r in matrix.rows if r.run_ids[0] == ours} == {
        "table8[2]", "table9[2]", "table10[2]", "table11[4]", "table13[3]",
    }  # fmt: skip
    # Table 2's global mask is Table 3's first row; Table 12's full BBMG is Table 11's BBMG.
    assert matrix.row("table2", 1).run_ids == matrix.row("table3", 1).run_ids
    assert matrix.row("table12", 3).run_ids == matrix.row("table11", 2).run_ids
    # float32 masks ignore line type and value: Table 3 rows 4 and 5 are one generator.
    assert matrix.row("table3", 4).run_ids == matrix.row("table3", 5).run_ids
    # uint8 value 1 vs 255 differ (erosion), as do all Table 4 operators.
    assert matrix.row("table3", 1).run_ids != matrix.row("table3", 2).run_ids
    t4 = matrix.table_rows("table4")
    assert len({r.run_ids[0] for r in t4}) == len(t4)


def test_evaluation_jobs(config, matrix):
    assert len(matrix.evals) == len(set(matrix.evals))
    wanted = {job for table in config["tables"] for job in matrix.table_evals(table)}
    assert set(matrix.evals) == wanted
    t10, spec = matrix.table_evals("table10"), config["tables"]["table10"]
    runs10 = {rid for r in matrix.table_rows("table10") for rid in r.run_ids}
    assert len(t10) == len(runs10) * len(spec["test_sets"]) * len(spec["distortions"])
    assert {d for _, _, d in t10} == {
        "raw", "resize128", "resize256", "gblur3", "gblur5", "jpeg50", "jpeg100",
    }  # fmt: skip


def test_seeds_multiply_runs(config):
    cfg = copy.deepcopy(config)
    cfg["seeds"] = [5, 6, 7]
    m = build_matrix(cfg)
    assert len(m.runs) == 3 * len(build_matrix(config).runs)
    assert all(len(r.run_ids) == 3 and len(set(r.run_ids)) == 3 for r in m.rows)


def test_run_id_is_stable_and_number_normalised(config, matrix):
    base = config["baseline"]
    kw = dict(seed=5, preprocess=config["preprocess"], dataset=config["datasets"]["ffpp"])
    canon = canonical_form(base, **kw)
    assert run_id(canon) == matrix.row("table7", 1).run_ids[0]
    floats = copy.deepcopy(base)
    floats["train"]["epochs"] = 100.0
    floats["optim"]["lr"] = 0.0010000000000000000
    assert run_id(canonical_form(floats, **kw)) == run_id(canon)
    other = copy.deepcopy(base)
    other["optim"]["lr"] = 0.002
    assert run_id(canonical_form(other, **kw)) != run_id(canon)
    assert normalise({"a": 1.0, "b": [0.5, True, None]}) == {"a": 1, "b": [0.5, True, None]}


def test_inert_parameters_are_dropped(config):
    base = config["baseline"]
    assert "distance" not in drop_inert(base)["nrs"]  # NRS off
    nrs = copy.deepcopy(base)
    nrs["nrs"]["enabled"] = True
    assert drop_inert(nrs)["nrs"]["distance"] == "cosine"
    alpha = copy.deepcopy(base)
    alpha["synthesis"]["blend"]["name"] = "alpha"
    assert "ratios" not in drop_inert(alpha)["synthesis"]["blend"]
    assert "ratios" in drop_inert(base)["synthesis"]["blend"]
    for _, path, why in INERT_RULES:
        assert why and path.count(".") >= 1


def test_schema_enums_match_registries():
    from adfd.config.schema import load_schema

    exp = load_schema()["$defs"]["experiment"]["properties"]
    syn = exp["synthesis"]["properties"]
    assert syn["mask"]["properties"]["name"]["enum"] == list(MASKS.declared)
    assert syn["blur"]["properties"]["name"]["enum"] == list(BLURS.declared)
    assert syn["blend"]["properties"]["name"]["enum"] == list(BLENDS.declared)
    assert exp["nrs"]["properties"]["filter"]["enum"] == list(NRS_FILTERS.declared)
    assert exp["nrs"]["properties"]["distance"]["enum"] == list(NRS_DISTANCES.declared)
    # the schema file names the axis, never its values: a new value is declared once
    from adfd.config.schema import SCHEMA_PATH

    raw = SCHEMA_PATH.read_text()
    for reg in (MASKS, BLURS, BLENDS, NRS_FILTERS, NRS_DISTANCES):
        assert f"x-registry: {reg.axis}" in raw and ", ".join(reg.declared) not in raw


def test_datasets_come_from_one_registry():
    """Every registered dataset is a schema key, a report column and an estimate constant,
    and nothing else is."""
    from adfd.config.schema import load_schema
    from adfd.datasets.registry import KINDS, REGISTRY
    from adfd.estimate.videos import TEST_VIDEOS, TRAIN_VIDEOS
    from adfd.report.grid import METRIC_NAMES

    schema = load_schema()
    datasets = schema["properties"]["datasets"]
    assert set(datasets["properties"]) == set(datasets["required"]) == set(REGISTRY)
    assert set(schema["properties"]["preprocess"]["properties"]["shards"]["required"]) == set(
        REGISTRY
    )
    generic = schema["$defs"]["generic_dataset"]["properties"]["kind"]["enum"]
    assert generic == list(KINDS)
    averages = {"avg", "avg_wo_ffpp", "Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures"}
    assert set(METRIC_NAMES) - averages == set(REGISTRY)
    assert {n: METRIC_NAMES[n] for n in REGISTRY} == {n: d.display for n, d in REGISTRY.items()}
    assert TEST_VIDEOS == {n: d.test_videos for n, d in REGISTRY.items()}
    assert set(TRAIN_VIDEOS) == {n for n, d in REGISTRY.items() if "train" in d.splits}
    assert set(load_config()["datasets"]) == set(REGISTRY)  # the paper's config: all of them


def test_unknown_dataset_in_a_table_is_a_config_error(config):
    bad = copy.deepcopy(config)
    bad["tables"]["table7"]["extra_sets"] = ["mine"]
    with pytest.raises(ConfigError, match=r"tables\.table7\.extra_sets: unknown dataset 'mine'"):
        build_matrix(bad)
    bad["datasets"]["mine"] = {"kind": "list", "root": "x"}
    with pytest.raises(ConfigError, match=r"datasets\.mine: 'list' is a required property"):
        validate_config(bad)


def test_ours_override_is_one_yaml_anchor(config):
    """The "Ours" recipe is written once (&ours) and reused (*ours); safe_load resolves it."""
    from adfd.config.load import DEFAULT_CONFIG

    text = DEFAULT_CONFIG.read_text()
    assert text.count("&ours") == 1 and text.count("*ours") >= 3
    ours = {"synthesis": {"mask": {"name": "bbmg"}}, "nrs": {"enabled": True}}
    for table in ("table8", "table9", "table10", "table11"):
        row = next(r for r in config["tables"][table]["rows"] if r["override"] == ours)
        assert row["id"] in ("ours", "bbmg_nrs")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.update(bogus=1), "Additional properties are not allowed ('bogus'"),
        (
            lambda c: c["baseline"]["synthesis"]["blur"].update(name="gausian"),
            "baseline.synthesis.blur.name: 'gausian' is not one of",
        ),
        (
            lambda c: c["baseline"]["nrs"].update(lamda=0.5),
            "baseline.nrs: Additional properties are not allowed ('lamda'",
        ),
        (lambda c: c["preprocess"]["frames"].update(test=0), "preprocess.frames.test: 0 is less"),
        (lambda c: c["baseline"]["synthesis"]["blur"].update(kernel=[4, 25]), "kernel.0"),
    ],
)
def test_schema_rejects_bad_config_naming_the_key(config, mutate, message):
    bad = copy.deepcopy(config)
    mutate(bad)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        validate_config(bad)


def test_row_override_errors_name_the_row(config):
    bad = copy.deepcopy(config)
    bad["tables"]["table4"]["rows"][1]["override"] = {"synthesis": {"blur": {"nam": "average"}}}
    with pytest.raises(ConfigError, match=r"tables\.table4\.rows\[2\]\(average\)\.override"):
        build_matrix(bad)
    bad["tables"]["table4"]["rows"][1]["override"] = {"synthesis": {"blur": {"name": "avg"}}}
    with pytest.raises(ConfigError, match=r"rows\[2\]\(average\)\.synthesis\.blur\.name: 'avg'"):
        build_matrix(bad)


def test_demo_overlay_validates_and_keeps_the_matrix():
    from adfd.config.load import REPO_ROOT

    demo = load_config([REPO_ROOT / "demo" / "config.yaml"])
    assert demo["demo"]["enabled"] and demo["baseline"]["model"]["pretrained"] is None
    m, paper = build_matrix(demo), build_matrix(load_config())
    assert len(m.rows) == len(paper.rows) and len(m.runs) == len(paper.runs)
