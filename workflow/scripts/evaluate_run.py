"""Snakemake adapter: score every test set of one (run, distortion) (adfd.evaluate.run_many)."""

from pathlib import Path

from adfd.evaluate.infer import run_many
from adfd.logs import log_to
from adfd.train.state import release

shards = snakemake.params.shards
with log_to(snakemake.log[0]):
    release(Path(snakemake.params.state_dir))
    run_many(
        model=Path(snakemake.input.model),
        jobs=[
            (ds, [Path(p) for p in shards[ds]], Path(snakemake.output[ds]))
            for ds in snakemake.output.keys()
        ],
        run_id=snakemake.wildcards.run,
        distortion=snakemake.wildcards.distortion,
        batch_size=snakemake.params.batch_size,
        threads=snakemake.threads,
    )
