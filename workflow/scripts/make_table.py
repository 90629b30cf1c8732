"""Snakemake adapter: one paper table (or a released checkpoint's) and its ROC curves, from
the prediction store (adfd.report.tables.run, adfd.report.figures.roc_curves)."""

from pathlib import Path

from adfd.logs import log_to
from adfd.report.figures import roc_curves
from adfd.report.tables import run

out = snakemake.output
table = Path(out.md).stem
predictions = [Path(p) for p in snakemake.input.predictions]
with log_to(snakemake.log[0]):
    run(
        table=table,
        spec=snakemake.params.spec,
        rows=snakemake.params.rows,
        protocol=snakemake.params.protocol,
        secondary=snakemake.params.secondary,
        stats=snakemake.params.stats,
        predictions=predictions,
        summaries=[Path(p) for p in snakemake.input.get("summaries", [])],
        configs=[Path(p) for p in snakemake.input.get("configs", [])],
        names=snakemake.params.names,
        manifests=[Path(p) for p in snakemake.input.manifests],
        outputs={k: Path(out[k]) for k in ("csv", "md", "tex", "html")},
    )
    roc_curves(
        predictions,
        snakemake.params.spec,
        snakemake.params.rows,
        snakemake.params.protocol,
        {"png": Path(out.roc_png), "pdf": Path(out.roc_pdf)},
        title=table,
    )
