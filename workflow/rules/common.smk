# Workflow-side Python: config validation, the experiment matrix, input functions.
# All logic lives in adfd; this file only maps it onto paths.
from snakemake.exceptions import WorkflowError

from adfd.config import build_matrix
from adfd.config import ConfigError
from adfd.config.matrix import table_sets
from adfd.config.schema import validate_config
from adfd.datasets.registry import display_names
from adfd.evaluate.protocol import resolve_protocol

try:  # the schema (defaults filled in, axis values from adfd/registries.py), then the rows
    validate_config(config)
    MATRIX = build_matrix(config)
except ConfigError as err:
    raise WorkflowError(str(err)) from None

FIGURES = ["fig4", "fig5", "fig6", "fig7"]
TABLES = [
    t for t in config["tables"] if t not in FIGURES
]  # fig5's table feeds its plot
DATASETS = list(config["datasets"])
NAMES = display_names(config["datasets"])  # column name of every dataset
SHARDS = {ds: config["preprocess"]["shards"].get(ds, 1) for ds in DATASETS}
EXTERNAL = config.get("external_checkpoints", {})
PROTOCOL = resolve_protocol(config["evaluation"])  # printed in every table
SECONDARY_PROTOCOLS = [
    resolve_protocol(config["evaluation"], name)
    for name in config["evaluation"]["secondary_protocols"]
    if name != PROTOCOL["name"]
]
# Fig. 6 orders videos by score: a video-level protocol even when tables use `frame`.
VIDEO_PROTOCOL = (
    PROTOCOL
    if PROTOCOL["name"] != "frame"
    else resolve_protocol(config["evaluation"], "sbi_video")
)
STATE_ROOT = "results/train_state"  # resumable training state, outside declared outputs


wildcard_constraints:
    dataset="|".join(DATASETS),
    split="train|val|test",
    distortion="[a-z0-9]+",
    shard=r"\d+",
    run="|".join(["[0-9a-f]{12}", *config.get("external_checkpoints", {})]),
    table="|".join(config["tables"]),


def stage_resources(stage, scale_with_attempt=True):
    """Slurm resources of a stage; on a retry GPU jobs ask for more memory and time."""
    res = config["resources"][stage]
    out = {k: res[k] for k in ("mem_mb", "runtime", "cpus_per_task", "gpu")}
    if scale_with_attempt:
        out["mem_mb"] = lambda wc, attempt: res["mem_mb"] * attempt
        out["runtime"] = lambda wc, attempt: res["runtime"] * attempt
    return out


def demo_input(wildcards):
    """Dataset checks wait for the embedded demo data when it is enabled."""
    if config["demo"]["enabled"]:
        return config["demo"]["root"]
    return []


def shard_dirs(dataset, split, distortion):
    n = SHARDS[dataset]
    return [
        f"results/preprocess/{dataset}/{split}/{distortion}/shard-{i:03d}"
        for i in range(n)
    ]


def manifests(datasets):
    return [f"results/datasets/{ds}.json" for ds in datasets]


def figure_shard(fig):
    """The preprocessed shard a figure draws its face from (config figures.<fig>)."""
    spec = config["figures"][fig]
    return shard_dirs(spec["dataset"], spec["split"], "raw")[spec["shard"]]


def figure_rows(fig):
    """(table, rows) a figure compares (config figures.<fig>: table, rows)."""
    spec = config["figures"][fig]
    ids = [r["id"] for r in config["tables"][spec["table"]]["rows"]]
    return spec["table"], [
        MATRIX.row(spec["table"], ids.index(r) + 1) for r in spec["rows"]
    ]


def train_inputs(wildcards):
    experiment = MATRIX.runs[wildcards.run].experiment
    train_set = experiment["data"]["train_set"]
    inputs = {"train": shard_dirs(train_set, "train", "raw")}
    if experiment["train"]["checkpoint"] == "best_val":
        inputs["val"] = shard_dirs(train_set, "val", "raw")
    return inputs


def model_path(run):
    return f"results/train/{run}/model.pt"


def prediction_path(run, dataset, distortion):
    return f"results/predictions/{run}/{dataset}/{distortion}.parquet"


def table_predictions(table):
    return [prediction_path(*job) for job in MATRIX.table_evals(table)]


def table_runs(table):
    """Training runs behind a table, in row order (every seed)."""
    return list(
        dict.fromkeys(r for row in MATRIX.table_rows(table) for r in row.run_ids)
    )


def table_row_records(table):
    return [
        {"index": r.index, "id": r.id, "labels": r.labels, "run_ids": r.run_ids}
        for r in MATRIX.table_rows(table)
    ]


def runs_text(table):
    """'row 1 dynamic: run abc (seed 5)' lines for the report captions."""
    return "; ".join(
        f"row {r.index} {r.id}: "
        + ", ".join(f"{rid} (seed {MATRIX.runs[rid].seed})" for rid in r.run_ids)
        for r in MATRIX.table_rows(table)
    )


def roc_targets(tables):
    return expand("results/figures/roc_{table}.{ext}", table=tables, ext=["png", "pdf"])


def table_targets(tables):
    return expand(
        "results/tables/{table}.{ext}", table=tables, ext=["csv", "md", "tex", "html"]
    )


def external_table_spec(name):
    """Table spec for a released checkpoint (config external_checkpoints)."""
    spec = EXTERNAL[name]
    return {
        "caption": f"Released checkpoint '{name}' ({spec['path']}) under our protocol.",
        "test_sets": spec["test_sets"],
        "columns": ["Checkpoint"],
        "rows": [{"id": name, "labels": [name], "paper": spec["reported"]}],
    }


OVERVIEW = [
    "results/figures/overview.png",
    "results/figures/overview.pdf",
    "results/tables/overview.html",
]


def figure_targets(figures):
    return expand("results/figures/{fig}.{ext}", fig=figures, ext=["png", "pdf"])
