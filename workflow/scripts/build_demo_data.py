"""Snakemake adapter: build the embedded demo datasets (adfd.demo.build)."""

from pathlib import Path

from adfd.demo import build
from adfd.logs import log_to

with log_to(snakemake.log[0]) as log:
    summary = build(Path(snakemake.output[0]), seed=snakemake.params.seed)
    log.info("demo data: %s", summary)
