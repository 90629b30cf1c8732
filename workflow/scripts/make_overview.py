"""Snakemake adapter: the reproduction overview figure and page (adfd.report.overview.run)."""

from pathlib import Path

from adfd.logs import log_to
from adfd.report.overview import run

out = snakemake.output
with log_to(snakemake.log[0]):
    run(
        [Path(p) for p in snakemake.input.csv],
        {k: Path(out[k]) for k in ("png", "pdf", "html")},
        stats=snakemake.params.stats,
        names=snakemake.params.names,
    )
