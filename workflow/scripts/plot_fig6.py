"""Snakemake adapter: Fig. 6 (adfd.report.figures.fig6)."""

from pathlib import Path

from adfd.logs import log_to
from adfd.report.figures import fig6

with log_to(snakemake.log[0]):
    fig6(
        [Path(p) for p in snakemake.input.baseline],
        [Path(p) for p in snakemake.input.ours],
        [Path(p) for p in snakemake.input.shards],
        snakemake.params.protocol,
        snakemake.params.margin,
        {k: Path(snakemake.output[k]) for k in ("png", "pdf")},
    )
