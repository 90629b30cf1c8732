"""Paper tables as CSV (long format, one cell per line), Markdown and LaTeX (booktabs).

Every cell shows our AUC beside the paper's and the difference: ``ours (paper, Δ)``.
Rows the paper cites from the literature are listed as cited, never run.
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from adfd.evaluate.store import read_stores
from adfd.report.cells import compute_cells, table_metrics

log = logging.getLogger(__name__)

METRIC_NAMES = {
    "ffpp": "FF++", "cdf": "CDF", "dfdc": "DFDC", "dfdcp": "DFDCP", "ffiw": "FFIW",
    "avg": "Avg", "avg_wo_ffpp": "Avg w/o FF++", "Deepfakes": "DF", "Face2Face": "F2F",
    "FaceSwap": "FS", "NeuralTextures": "NT",
}  # fmt: skip


def _num(value: float, sd: float = math.nan) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.2f}" + ("" if math.isnan(sd) else f" ± {sd:.2f}")


def cell_text(rec: pd.Series) -> str:
    ours = _num(rec["ours"], rec["ours_sd"])
    if math.isnan(rec["paper"]):
        return ours
    return f"{ours} ({rec['paper']:.2f}, {rec['delta']:+.2f})"


def grid(spec: dict[str, Any], cells: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Header and body of the printed table (Table 10: one line per distortion)."""
    metrics = table_metrics(spec)
    if "distortions" in spec:
        methods = cells.drop_duplicates("row")[["row", "labels"]].values.tolist()
        header = ["Operation"] + [
            f"{label} {METRIC_NAMES.get(m, m)}" for _, label in methods for m in metrics
        ]
        body = []
        for dist in spec["distortions"]:
            line = [dist]
            for row, _ in methods:
                sel = cells[(cells["row"] == row) & (cells["distortion"] == dist)]
                line += [cell_text(sel[sel["metric"] == m].iloc[0]) for m in metrics]
            body.append(line)
        return header, body
    header = list(spec.get("columns", ["Name"])) + [METRIC_NAMES.get(m, m) for m in metrics]
    body = []
    for _, group in cells.groupby("row", sort=True):
        labels = group["labels"].iloc[0].split(" | ")
        by_metric = group.set_index("metric")
        body.append(labels + [cell_text(by_metric.loc[m]) for m in metrics])
    for cited in spec.get("cited", []):
        values = [cited["paper"].get(m) for m in metrics]
        body.append(
            [f"{cited['labels'][0]} (cited)", *cited["labels"][1:]]
            + ["-" if v is None else f"{v:.2f}" for v in values]
        )
    return header, body


def render_markdown(table: str, spec: dict[str, Any], cells: pd.DataFrame) -> str:
    header, body = grid(spec, cells)
    lines = [
        f"**{table}.** {spec['caption']}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(line) + " |" for line in body]
    lines += ["", "Cells: our AUC (%) (paper's AUC, our − paper)."]
    runs = cells.drop_duplicates("row")[["row", "row_id", "run_ids"]]
    lines += [f"- row {r.row} `{r.row_id}`: run {r.run_ids}" for r in runs.itertuples()]
    falls = cells[cells["videos"] > 0].drop_duplicates(["metric", "distortion", "row"])
    fb = falls.groupby("metric")[["fallback_videos", "videos"]].max()
    lines.append(
        "- videos scored 0.5 for lack of a face (per test set): "
        + ", ".join(
            f"{METRIC_NAMES.get(m, m)} {r.fallback_videos}/{r.videos}" for m, r in fb.iterrows()
        )
    )
    lines.append(f"- protocol: {cells['protocol'].iloc[0]}")
    return "\n".join(lines) + "\n"


def _tex(text: str) -> str:
    return (
        text.replace("\\", r"\textbackslash{}").replace("&", r"\&").replace("%", r"\%")
        .replace("_", r"\_").replace("#", r"\#").replace("±", r"$\pm$").replace("✓", r"\checkmark")
        .replace("−", "-").replace("Δ", r"$\Delta$")
    )  # fmt: skip


def render_latex(table: str, spec: dict[str, Any], cells: pd.DataFrame) -> str:
    header, body = grid(spec, cells)
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{_tex(spec['caption'])} Cells: ours (paper, difference).}}",
        rf"\label{{tab:{table}}}",
        r"\begin{tabular}{" + "l" * len(header) + "}",
        r"\toprule",
        " & ".join(_tex(h) for h in header) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(_tex(c) for c in line) + r" \\" for line in body]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def run(
    *,
    table: str,
    spec: dict[str, Any],
    rows: list[dict[str, Any]],
    protocol: dict[str, Any],
    predictions: list[Path],
    summaries: list[Path],
    outputs: dict[str, Path],
) -> pd.DataFrame:
    store = read_stores(predictions)
    paper = {i: r.get("paper", {}) for i, r in enumerate(spec["rows"], start=1)}
    cells = compute_cells(spec, rows, paper, protocol, store)
    commits = {
        json.loads(p.read_text())["provenance"]["environment"]["git_commit"] for p in summaries
    }
    cells["git_commits"] = " ".join(sorted(c or "unknown" for c in commits))
    _write(outputs["csv"], cells.to_csv(index=False))
    _write(outputs["md"], render_markdown(table, spec, cells))
    _write(outputs["tex"], render_latex(table, spec, cells))
    log.info("%s: %d cells from %d prediction files", table, len(cells), len(predictions))
    return cells
