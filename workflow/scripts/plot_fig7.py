"""Snakemake adapter: Fig. 7 (adfd.report.figures.fig7)."""

from pathlib import Path

from adfd.logs import log_to
from adfd.report.figures import fig7

with log_to(snakemake.log[0]):
    fig7(
        Path(snakemake.input.shard),
        snakemake.params.synthesis,
        snakemake.params.seed,
        {k: Path(snakemake.output[k]) for k in ("png", "pdf")},
    )
