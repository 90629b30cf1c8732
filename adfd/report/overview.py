"""Reproduction overview: every cell of every table beside the paper's value.

For each table CSV (primary protocol, every distortion) a cell is *reproduced* when the
paper's AUC lies inside our bootstrap CI and that CI is at most ``statistics.max_ci_width``
AUC points wide, *inconclusive* when it lies inside a wider CI, *above* / *below* when it
lies outside (the difference is more than test-set sampling noise), and *no paper value*
when the paper prints none (e.g. Fig. 5); ``adfd.report.verdict``. One figure (our AUC
with its CI and the paper's value, one panel per table) and one self-contained HTML page (a
summary, then one grid per table) show it.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import pandas as pd

from adfd.report.figures import _save, plt
from adfd.report.grid import _name, _pct
from adfd.report.tables import _write
from adfd.report.verdict import DEFAULT_MAX_CI_WIDTH, OUTCOMES, max_width, outcome

COLOURS = {"reproduced": "#2e7d32", "inconclusive": "#1565c0", "below": "#c62828",
           "above": "#ef6c00", "no paper value": "#9e9e9e"}  # fmt: skip
MARKS = {"below": " ▼", "above": " ▲", "inconclusive": " ?"}  # also readable without colour
BACKGROUNDS = {"reproduced": "#e8f5e9", "inconclusive": "#e3f2fd", "below": "#ffebee",
               "above": "#fff3e0", "no paper value": "#f5f5f5"}  # fmt: skip


def load_cells(csvs: list[Path], max_ci_width: float = DEFAULT_MAX_CI_WIDTH) -> pd.DataFrame:
    """Primary-protocol cells of every table, with ``table``, ``cell`` label and ``outcome``
    (``adfd.report.verdict.outcome`` with ``max_ci_width``)."""
    parts = []
    for path in csvs:
        cells = pd.read_csv(path)
        if "primary" in cells:
            cells = cells[cells["primary"].astype(bool)]
        cells = cells.copy()
        cells["table"] = cells["table"] if "table" in cells else Path(path).stem
        parts.append(cells)
    cells = pd.concat(parts, ignore_index=True)
    cells["outcome"] = [
        outcome(p, lo, hi, max_ci_width)
        for p, lo, hi in zip(cells["paper"], cells["ci_low"], cells["ci_high"], strict=True)
    ]
    return cells


def summary(cells: pd.DataFrame) -> pd.DataFrame:
    """Per table: cells, and how many fall in each outcome."""
    counts = cells.groupby(["table", "outcome"], sort=False).size().unstack(fill_value=0)
    extra = ["no CI"] if "no CI" in counts else []
    counts = counts.reindex(columns=[*OUTCOMES, *extra], fill_value=0)
    counts.insert(0, "cells", counts.sum(axis=1))
    return counts


def _cell_label(rec: pd.Series, names: dict[str, str] | None) -> str:
    dist = "" if rec["distortion"] == "raw" else f"{rec['distortion']} "
    return f"{rec['row_id']}: {dist}{_name(rec['metric'], names)}"


def plot(cells: pd.DataFrame, outputs: dict[str, Path], level: float,
         names: dict[str, str] | None = None,
         max_ci_width: float = DEFAULT_MAX_CI_WIDTH) -> None:  # fmt: skip
    """One panel per table: our AUC with its CI (colour = outcome) and the paper's value."""
    tables = list(dict.fromkeys(cells["table"]))
    ncols = 2
    nrows = math.ceil(len(tables) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(18, 0.8 + 3.6 * nrows), squeeze=False,
                             layout="constrained")  # fmt: skip
    for ax, table in zip(axes.flat, tables, strict=False):
        part = cells[cells["table"] == table].reset_index(drop=True)
        for i, rec in part.iterrows():
            colour = COLOURS.get(rec["outcome"], "#616161")
            ax.errorbar([i], [rec["ours"]], yerr=[[rec["ours"] - rec["ci_low"]],
                        [rec["ci_high"] - rec["ours"]]], fmt="o", ms=3, color=colour,
                        capsize=1.5, lw=0.8)  # fmt: skip
            if not math.isnan(rec["paper"]):
                ax.plot([i], [rec["paper"]], marker="_", ms=9, mew=1.6, color="black")
        ax.set_xticks(range(len(part)))
        ax.set_xticklabels([_cell_label(r, names) for _, r in part.iterrows()], rotation=90,
                           fontsize=6)  # fmt: skip
        n = part["outcome"].value_counts()
        n_paper = int((part["outcome"] != "no paper value").sum())
        ax.set_title(f"{table}: {n.get('reproduced', 0)}/{n_paper} reproduced, "
                     f"{n.get('inconclusive', 0)} inconclusive (CI > {max_ci_width:g} pts), "
                     f"{n.get('above', 0) + n.get('below', 0)} outside", fontsize=9)  # fmt: skip
        ax.set_ylabel("AUC (%)", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(tables) :]:
        ax.axis("off")
    handles = [plt.Line2D([], [], color=c, marker="o", ls="", label=o)
               for o, c in COLOURS.items()]  # fmt: skip
    handles.append(plt.Line2D([], [], color="black", marker="_", ms=9, ls="", label="paper"))
    fig.suptitle(f"Reproduction overview: our AUC with its {_pct(level)} CI against the paper "
                 "(red / orange: paper value outside our CI; blue: inside a CI wider than "
                 f"{max_ci_width:g} AUC points)")  # fmt: skip
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=9)
    _save(fig, outputs)


def render_html(cells: pd.DataFrame, level: float, names: dict[str, str] | None = None,
                max_ci_width: float = DEFAULT_MAX_CI_WIDTH) -> str:  # fmt: skip
    """Self-contained page: the summary, then per table a row x metric grid of cells."""
    esc = html.escape
    counts = summary(cells)
    out = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Reproduction overview</title>",
        "<style>body{font:13px sans-serif;margin:16px}table{border-collapse:collapse;"
        "margin:6px 0 18px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}"
        "th{background:#fafafa}td.l,th.l{text-align:left}caption{font-weight:bold;"
        "text-align:left;margin:4px 0}.k{display:inline-block;padding:1px 6px;margin-right:6px}"
        "small{color:#555}</style></head><body>",
        "<h1>Reproduction overview</h1>",
        f"<p>Each cell: our AUC (%) [{_pct(level)} bootstrap CI] and the paper's AUC. ",
        "".join(
            f"<span class='k' style='background:{BACKGROUNDS[o]}'>{esc(o)}</span>" for o in OUTCOMES
        ),
        f"<br><small>reproduced: the paper's value lies inside our CI, and the CI is at most "
        f"{max_ci_width:g} AUC points wide; inconclusive ?: inside a wider CI (too few test "
        "videos to tell); above ▲ / below ▼: our AUC is above / below the paper's beyond the "
        "test-set sampling noise (paper value outside our CI); seed noise is not in the CI."
        "</small></p>",
        "<table><caption>Summary</caption><tr><th class='l'>table</th>"
        + "".join(f"<th>{esc(c)}</th>" for c in counts.columns)
        + "</tr>",
    ]
    for table, rec in counts.iterrows():
        out.append(f"<tr><td class='l'><a href='#{esc(table)}'>{esc(table)}</a></td>"
                   + "".join(f"<td>{int(v)}</td>" for v in rec) + "</tr>")  # fmt: skip
    total = counts.sum()
    out.append("<tr><th class='l'>all</th>" + "".join(f"<th>{int(v)}</th>" for v in total)
               + "</tr></table>")  # fmt: skip
    for table in dict.fromkeys(cells["table"]):
        out += _table_grid(cells[cells["table"] == table], table, names)
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _table_grid(part: pd.DataFrame, table: str, names: dict[str, str] | None) -> list[str]:
    esc = html.escape
    metrics = list(dict.fromkeys(part["metric"]))
    out = [f"<table id='{esc(table)}'><caption>{esc(table)}</caption><tr><th class='l'>row</th>"
           + "".join(f"<th>{esc(_name(m, names))}</th>" for m in metrics) + "</tr>"]  # fmt: skip
    for (_, dist, row_id), group in part.groupby(["row", "distortion", "row_id"], sort=False):
        label = f"{row_id}" + ("" if dist == "raw" else f" ({dist})")
        by_metric = group.set_index("metric")
        tds = []
        for m in metrics:
            if m not in by_metric.index:
                tds.append("<td></td>")
                continue
            r = by_metric.loc[m]
            paper = "–" if math.isnan(r["paper"]) else f"{r['paper']:.2f}"
            tds.append(
                f"<td style='background:{BACKGROUNDS.get(r['outcome'], '#fff')}' "
                f"title='{esc(r['outcome'])}'>{r['ours']:.2f}{MARKS.get(r['outcome'], '')} "
                f"<small>[{r['ci_low']:.1f}, {r['ci_high']:.1f}]</small><br>"
                f"<small>paper {paper}</small></td>"
            )
        out.append(f"<tr><td class='l'>{esc(label)}</td>{''.join(tds)}</tr>")
    out.append("</table>")
    return out


def run(csvs: list[Path], outputs: dict[str, Path], stats: dict[str, Any] | None = None,
        names: dict[str, str] | None = None) -> pd.DataFrame:  # fmt: skip
    """Write ``outputs["png"]``, ``["pdf"]`` (figure) and ``["html"]`` (page); return cells."""
    level = float((stats or {}).get("level", 0.95))
    width = max_width(stats)
    cells = load_cells(csvs, width)
    plot(cells, {k: outputs[k] for k in ("png", "pdf")}, level, names, width)
    _write(outputs["html"], render_html(cells, level, names, width))
    return cells
