"""Snakemake adapter: one paper table (or a released checkpoint's) from the prediction store."""

from pathlib import Path

from adfd.logs import log_to
from adfd.report.tables import run

with log_to(snakemake.log[0]):
    run(
        table=Path(snakemake.output.md).stem,
        spec=snakemake.params.spec,
        rows=snakemake.params.rows,
        protocol=snakemake.params.protocol,
        predictions=[Path(p) for p in snakemake.input.predictions],
        summaries=[Path(p) for p in snakemake.input.get("summaries", [])],
        outputs={k: Path(snakemake.output[k]) for k in ("csv", "md", "tex")},
    )
