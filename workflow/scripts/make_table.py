"""Snakemake adapter: aggregate one paper table from the prediction store (adfd.report)."""

from pathlib import Path

from adfd.logs import log_to
from adfd.report.tables import run

with log_to(snakemake.log[0]):
    run(
        table=snakemake.wildcards.table,
        spec=snakemake.params.spec,
        rows=snakemake.params.rows,
        protocol=snakemake.params.protocol,
        predictions=[Path(p) for p in snakemake.input.predictions],
        summaries=[Path(p) for p in snakemake.input.summaries],
        outputs={k: Path(snakemake.output[k]) for k in ("csv", "md", "tex")},
    )
