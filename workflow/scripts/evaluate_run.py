"""Snakemake adapter: score one test set with one trained run (adfd.evaluate.run)."""

from pathlib import Path

from adfd.evaluate.infer import run
from adfd.logs import log_to

with log_to(snakemake.log[0]):
    run(
        model=Path(snakemake.input.model),
        shards=[Path(p) for p in snakemake.input.shards],
        out=Path(snakemake.output[0]),
        experiment=snakemake.params.experiment,
        run_id=snakemake.wildcards.run,
        dataset=snakemake.wildcards.dataset,
        distortion=snakemake.wildcards.distortion,
        batch_size=snakemake.params.batch_size,
        threads=snakemake.threads,
    )
