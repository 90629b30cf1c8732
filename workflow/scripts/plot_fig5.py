"""Snakemake adapter: Fig. 5 (adfd.report.figures.fig5)."""

from pathlib import Path

from adfd.logs import log_to
from adfd.report.figures import fig5

with log_to(snakemake.log[0]):
    fig5(
        Path(snakemake.input.table),
        snakemake.params.spec,
        {k: Path(snakemake.output[k]) for k in ("png", "pdf")},
        level=snakemake.params.level,
    )
