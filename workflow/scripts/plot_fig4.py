"""Snakemake adapter: Fig. 4 (adfd.report.figures.fig4)."""

from pathlib import Path

from adfd.logs import log_to
from adfd.report.figures import fig4

with log_to(snakemake.log[0]):
    fig4(
        Path(snakemake.input.shard),
        snakemake.params.seed,
        {k: Path(snakemake.output[k]) for k in ("png", "pdf")},
    )
