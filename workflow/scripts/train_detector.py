"""Snakemake adapter: train one canonical run (adfd.train.run)."""

from pathlib import Path

from adfd.logs import log_to
from adfd.train.run import run

with log_to(snakemake.log[0]):
    run(
        experiment=snakemake.params.experiment,
        seed=snakemake.params.seed,
        train_shards=[Path(p) for p in snakemake.input.train],
        val_shards=[Path(p) for p in snakemake.input.get("val", [])],
        out_dir=Path(snakemake.output.model).parent,
        state_dir=Path(snakemake.params.state_dir),
        provenance={"canonical": snakemake.params.canonical, "rows": snakemake.params.rows},
        threads=snakemake.threads,
        allow_download=snakemake.params.allow_download,
    )
