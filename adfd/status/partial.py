"""A table while its study runs: the layout of ``results/tables/<table>.md`` with every
finished cell as the final table prints it (``adfd.report.grid.grid`` / ``cell_text`` on
cells from :func:`adfd.status.cells.compute`), ``…`` for the rest; and the reproduction
overview (``adfd.report.overview``) of the cells that are in, pending cells marked."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from adfd.status.cells import MISSING, NOISE_PENDING, placeholders


def _full(cells, pending_recs):
    import pandas as pd

    parts = [
        p for p in (cells, pd.DataFrame.from_records(pending_recs)) if p is not None and len(p)
    ]
    full = pd.concat(parts, ignore_index=True)
    full["pending"] = full.get("pending", False)
    full["pending"] = full["pending"].fillna(False).astype(bool)
    full["noise_pending"] = full.get("noise_pending", False)
    full["noise_pending"] = full["noise_pending"].fillna(False).astype(bool)
    return full.sort_values(["row", "distortion", "metric"], kind="stable").reset_index(drop=True)


def partial_markdown(table: str, spec: dict[str, Any], cells, matrix, done, notes) -> str:
    """Markdown of a table with the cells that are in; ``…`` for the others."""
    from adfd.report.cells import table_metrics
    from adfd.report.formats import markdown_grid
    from adfd.report.grid import footnotes, grid

    full = _full(cells, placeholders(matrix, table, done))
    header, body = grid(spec, full, notes.get("names"))
    metrics = table_metrics(spec)
    flags = {
        (r.row, r.distortion, r.metric): (r.pending, r.noise_pending) for r in full.itertuples()
    }
    rows = list(dict.fromkeys(full["row"]))
    for i, line in enumerate(body):
        for j in range(len(line)):
            key = _position(spec, rows, metrics, i, j, line)
            if key is None or key not in flags:
                continue
            pending, noise = flags[key]
            if pending:
                line[j] = MISSING
            elif noise:
                line[j] += NOISE_PENDING
    lines = markdown_grid(table, spec, header, body)
    in_cells = full[~full["pending"]]
    total = len(full)
    lines += ["", f"Partial: {len(in_cells)} of {total} cells in; {MISSING} not in yet."]
    if full["noise_pending"].any():
        lines.append(
            f"- {NOISE_PENDING} the baseline row is not in yet: the noise mark (†) "
            "of this cell is not decided."
        )
    if len(in_cells):
        notes_text = footnotes(spec, cells.drop(columns=["noise_pending"]), **notes)
        lines += [notes_text[0]] + [n if n.startswith("- ") else f"- {n}" for n in notes_text[1:]]
    return "\n".join(lines) + "\n"


def _position(spec, rows, metrics, i, j, line):
    """(row, distortion, metric) printed at body[i][j] by ``grid``, or None (a label)."""
    if "distortions" in spec:
        if j == 0:
            return None
        k, m = divmod(j - 1, len(metrics))
        return rows[k], spec["distortions"][i], metrics[m]
    if i >= len(rows):
        return None  # a row cited from the literature
    n_labels = len(line) - len(metrics)
    if j < n_labels:
        return None
    return rows[i], "raw", metrics[j - n_labels]


def write_overview(tables: dict[str, Any], out_dir: Path, stats: dict, names) -> list[Path]:
    """overview.html / .png / .pdf of the cells that are in; pending cells marked.

    ``tables``: table -> (cells or None, placeholder records)."""
    import pandas as pd

    from adfd.report.overview import plot, render_html
    from adfd.report.tables import _write
    from adfd.report.verdict import max_width, outcome

    width = max_width(stats)
    parts = []
    for cells, pending in tables.values():
        if cells is not None and len(cells):
            part = cells.copy()
            part["outcome"] = [
                outcome(p, lo, hi, width)
                for p, lo, hi in zip(part["paper"], part["ci_low"], part["ci_high"], strict=True)
            ]
            parts.append(part)
        if pending:
            part = pd.DataFrame.from_records(pending)
            part["outcome"] = "pending"
            part["row_id"] = part["row_id"] + " (pending)"
            parts.append(part)
    if not parts:
        return []
    cells = pd.concat(parts, ignore_index=True).sort_values(
        ["table", "row", "distortion"], kind="stable"
    )
    level = float(stats.get("level", 0.95))
    outputs = {ext: out_dir / f"overview.{ext}" for ext in ("png", "pdf", "html")}
    plotted = cells.copy()
    plotted.loc[plotted["outcome"] == "pending", "outcome"] = "no paper value"
    plot(plotted, {k: outputs[k] for k in ("png", "pdf")}, level, names, width)
    page = render_html(cells, level, names, width)
    page = re.sub(
        r"(title='pending'>)nan <small>\[nan, nan\]</small><br><small>paper [^<]*"
        r"</small>",
        rf"\1{MISSING} <small>pending</small>",
        page,
    )
    n_in = int((cells["outcome"] != "pending").sum())
    page = page.replace(
        "<h1>Reproduction overview</h1>",
        f"<h1>Reproduction overview (partial)</h1><p>{n_in} of {len(cells)} "
        f"cells in; {MISSING} pending (not counted in the summary).</p>",
        1,
    )
    _write(outputs["html"], page)
    return list(outputs.values())


def is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)
