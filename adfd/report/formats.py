"""The formats of a printed table: Markdown, self-contained HTML (the Snakemake report) and
LaTeX (booktabs), each from the same grid and footnotes (:mod:`adfd.report.grid`)."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from adfd.report.grid import footnotes, grid


def markdown_grid(table: str, spec: dict[str, Any], header: list[str], body) -> list[str]:
    """Caption, header and rows of a table's Markdown (final and partial tables alike)."""
    lines = [
        f"**{table}.** {spec['caption']}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    return lines + ["| " + " | ".join(line) + " |" for line in body]


def render_markdown(table: str, spec: dict[str, Any], cells: pd.DataFrame, **notes) -> str:
    header, body = grid(spec, cells, notes.get("names"))
    lines = markdown_grid(table, spec, header, body)
    notes = footnotes(spec, cells, **notes)
    lines += ["", notes[0]] + [n if n.startswith("- ") else f"- {n}" for n in notes[1:]]
    return "\n".join(lines) + "\n"


def render_html(table: str, spec: dict[str, Any], cells: pd.DataFrame, **notes) -> str:
    """Self-contained HTML table for the Snakemake report."""
    header, body = grid(spec, cells, notes.get("names"))
    esc = html.escape
    out = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>",
        "table{border-collapse:collapse;font:13px sans-serif}td,th{border-bottom:1px solid #ccc;"
        "padding:3px 8px;text-align:left}caption{font-weight:bold;margin:6px}</style></head>",
        f"<body><table><caption>{esc(table)}: {esc(spec['caption'])}</caption><tr>",
        "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>",
    ]
    out += ["<tr>" + "".join(f"<td>{esc(c)}</td>" for c in line) + "</tr>" for line in body]
    out.append("</table><ul>")
    out += [f"<li>{esc(n.removeprefix('- '))}</li>" for n in footnotes(spec, cells, **notes)]
    out.append("</ul></body></html>")
    return "\n".join(out) + "\n"


def _tex(text: str) -> str:
    return (
        text.replace("\\", r"\textbackslash{}").replace("&", r"\&").replace("%", r"\%")
        .replace("_", r"\_").replace("#", r"\#").replace("±", r"$\pm$").replace("✓", r"\checkmark")
        .replace("−", "-").replace("Δ", r"$\Delta$").replace("†", r"$^\dagger$")
        .replace("≥", r"$\geq$")
    )  # fmt: skip


def render_latex(table: str, spec: dict[str, Any], cells: pd.DataFrame, **notes) -> str:
    header, body = grid(spec, cells, notes.get("names"))
    notes_text = footnotes(spec, cells, **notes)
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{_tex(spec['caption'])} {_tex(' '.join(notes_text[:2]))}}}",
        rf"\label{{tab:{table}}}",
        r"\begin{tabular}{" + "l" * len(header) + "}",
        r"\toprule",
        " & ".join(_tex(h) for h in header) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(_tex(c) for c in line) + r" \\" for line in body]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"
