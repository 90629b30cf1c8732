"""Snakemake adapter: check one dataset and write its manifest (adfd.data.check)."""

from pathlib import Path

from adfd.data.check import write_manifest
from adfd.logs import log_to

with log_to(snakemake.log[0]):
    write_manifest(snakemake.wildcards.dataset, snakemake.params.dataset, Path(snakemake.output[0]))
