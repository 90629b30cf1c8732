"""Snakemake adapter: yield summary of one dataset/split/distortion (adfd.preprocess.yields)."""

from pathlib import Path

from adfd.logs import log_to
from adfd.preprocess.yields import write_yield

with log_to(snakemake.log[0]):
    wc = snakemake.wildcards
    write_yield(
        snakemake.input.shards,
        Path(snakemake.output.json),
        Path(snakemake.output.md),
        title=f"{wc.dataset}/{wc.split}/{wc.distortion}",
        manifest=Path(snakemake.input.manifest),
    )
