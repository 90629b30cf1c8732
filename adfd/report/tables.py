"""Paper tables as CSV (long format, one cell per line), Markdown and LaTeX (booktabs).

Every cell shows our AUC beside the paper's and the difference: ``ours (paper, Δ)``.
Rows the paper cites from the literature are listed as cited, never run.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from adfd.datasets.registry import REGISTRY
from adfd.evaluate.store import read_meta, read_stores
from adfd.report.cells import DEFAULT_STATS, compute_cells, scored_sets, table_metrics

log = logging.getLogger(__name__)

# Column names: every registered dataset's display name, the paper's averages and FF++
# methods; a dataset added by config brings its own (``datasets.<name>.display``).
METRIC_NAMES = {
    **{name: d.display for name, d in REGISTRY.items()},
    "avg": "Avg", "avg_wo_ffpp": "Avg w/o FF++", "Deepfakes": "DF", "Face2Face": "F2F",
    "FaceSwap": "FS", "NeuralTextures": "NT",
}  # fmt: skip


def _name(metric: str, names: dict[str, str] | None = None) -> str:
    return (names or {}).get(metric) or METRIC_NAMES.get(metric, metric)


def _pct(level: float) -> str:
    """``0.95`` -> ``95 %``; ``0.99`` -> ``99 %``; ``0.975`` -> ``97.5 %``."""
    return f"{100 * level:g} %"


def _num(value: float, sd: float = math.nan) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.2f}" + ("" if math.isnan(sd) else f" ± {sd:.2f}")


NOISE_MARK = "†"


def cell_text(rec: pd.Series) -> str:
    ours = _num(rec["ours"], rec["ours_sd"])
    if "ci_low" in rec and not math.isnan(rec["ci_low"]):
        ours += f" [{rec['ci_low']:.1f}, {rec['ci_high']:.1f}]"
    mark = NOISE_MARK if rec.get("within_noise", False) else ""
    if math.isnan(rec["paper"]):
        return ours + mark
    return f"{ours} ({rec['paper']:.2f}, {rec['delta']:+.2f}){mark}"


def grid(
    spec: dict[str, Any], cells: pd.DataFrame, names: dict[str, str] | None = None
) -> tuple[list[str], list[list[str]]]:
    """Header and body of the printed table (Table 10: one line per distortion)."""
    if "primary" in cells:
        cells = cells[cells["primary"]]
    metrics = table_metrics(spec)
    if "distortions" in spec:
        methods = cells.drop_duplicates("row")[["row", "labels"]].values.tolist()
        header = ["Operation"] + [
            f"{label} {_name(m, names)}" for _, label in methods for m in metrics
        ]
        body = []
        for dist in spec["distortions"]:
            line = [dist]
            for row, _ in methods:
                sel = cells[(cells["row"] == row) & (cells["distortion"] == dist)]
                line += [cell_text(sel[sel["metric"] == m].iloc[0]) for m in metrics]
            body.append(line)
        return header, body
    header = list(spec.get("columns", ["Name"])) + [_name(m, names) for m in metrics]
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


def footnotes(
    spec: dict[str, Any],
    cells: pd.DataFrame,
    stats: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
    missing: dict[str, dict[str, Any]] | None = None,
) -> list[str]:
    """What the cells mean, the noise mark, the runs, provenance, fallbacks, protocols."""
    stats = {**DEFAULT_STATS, **(stats or {})}
    prim = cells[cells["primary"]] if "primary" in cells else cells
    first = prim.iloc[0]
    level = _pct(stats["level"])
    lines = [f"Cells: our AUC (%) [{level} CI] (paper's AUC, our − paper)."]
    if "ci_low" in prim:
        lines[0] = _cells_line(prim, first, level)
        base = int(first["baseline_row"])
        if base > 0:
            base_id = prim.loc[prim["row"] == base, "row_id"].iloc[0]
            lines.append(
                f"{NOISE_MARK} difference from the baseline row (row {base} `{base_id}`) "
                "within the noise: paired bootstrap test on the same resampled videos, "
                f"p ≥ {stats['alpha']:g} (CSV: delta_vs_baseline, its CI, z, p)."
            )
    lines += _run_lines(prim)
    lines += _fallback_lines(spec, prim, names, missing)
    lines.append(f"- protocol: {first['protocol']} {first.get('protocol_params', '')}")
    others = sorted(set(cells["protocol"]) - {first["protocol"]})
    if others:
        lines.append("- the CSV also holds every cell under " + ", ".join(others))
    return lines


def _cells_line(prim: pd.DataFrame, first: pd.Series, level: str) -> str:
    boot = first["bootstrap"].split(", seed")[0]
    return (
        "Cells: our AUC (%)"
        + (" ± sd over seeds" if (prim["n_seeds"] > 1).any() else "")
        + f" [{level} CI, {boot.replace('resamples', 'bootstrap resamples')}] "
        "(paper's AUC, our − paper)."
    )


def _run_lines(prim: pd.DataFrame) -> list[str]:
    lines = []
    for r in prim.drop_duplicates("row").itertuples():
        prov = ""
        if "git_commit" in prim:
            prov = (
                f"; commit {str(r.git_commit)[:10]}, checkpoint {r.checkpoint_policy}, "
                f"detector {r.detector}"
            )
        lines.append(f"- row {r.row} `{r.row_id}`: run {r.run_ids}{prov}")
    return lines


def _fallback_lines(spec, prim, names, missing) -> list[str]:
    """Videos scored by a fallback (unreadable apart from no face) and listed videos missing."""
    falls = prim[prim["metric"].isin(scored_sets(spec))].drop_duplicates(["metric"])
    has_split = "unreadable_videos" in falls
    lines = [
        "- videos without any face (scored 0.5 by sbi_video, dropped by deepfakebench): "
        + ", ".join(
            f"{_name(r.metric, names)} "
            f"{r.no_face_videos if has_split else r.fallback_videos}/{r.videos}"
            for r in falls.itertuples()
        )
    ]
    if has_split:
        lines.append(
            "- unreadable videos (no frame decoded; scored like a video without a face): "
            + ", ".join(
                f"{_name(r.metric, names)} {r.unreadable_videos}/{r.videos}"
                for r in falls.itertuples()
            )
        )
    if missing is not None:
        lines.append(
            "- listed videos missing on disk (datasets.<name>.missing): "
            + ", ".join(
                f"{_name(ds, names)} {len(m.get('skipped', []))} skipped ({m.get('policy')})"
                for ds, m in missing.items()
            )
        )
    return lines


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


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def run_provenance(run_id: str, summary: Path | None, config: Path | None,
                   store_meta: dict[str, Any]) -> dict[str, str]:  # fmt: skip
    """Provenance of one run as strings: config, commit, packages, models, checkpoint."""
    out = {"config_path": "", "config_sha256": "", "git_commit": "unknown", "packages": "",
           "checkpoint_policy": "external", "landmarks": "", "train_detector": ""}  # fmt: skip
    if config is not None and config.is_file():
        out["config_path"] = str(config)
        out["config_sha256"] = hashlib.sha256(config.read_bytes()).hexdigest()[:16]
    if summary is not None and summary.is_file():
        data = json.loads(summary.read_text())
        env = data.get("provenance", {}).get("environment", {})
        out["git_commit"] = env.get("git_commit") or "unknown"
        pkgs = env.get("packages", {})
        out["packages"] = " ".join(f"{k}={v}" for k, v in sorted(pkgs.items()) if v)
        ckpt = data.get("checkpoint", {})
        out["checkpoint_policy"] = f"{data.get('checkpoint_policy')}@epoch{ckpt.get('epoch')}"
        train_data = data.get("provenance", {}).get("canonical", {}).get("train_data", {})
        out["landmarks"] = json.dumps(train_data.get("landmarks"), sort_keys=True)
        out["train_detector"] = (train_data.get("detector") or {}).get("name", "")
    det = (store_meta.get("test_shards") or {}).get("detector") or {}
    out["detector"] = " ".join(str(det.get(k)) for k in ("name", "model") if det.get(k)) or "?"
    out["test_frames"] = str((store_meta.get("test_shards") or {}).get("frames", ""))
    out["device"] = str(store_meta.get("device", ""))
    return out


def add_provenance(cells: pd.DataFrame, provenance: dict[str, dict[str, str]]) -> pd.DataFrame:
    """One column per provenance field; a row with several seeds joins its runs' values."""
    fields = sorted({k for p in provenance.values() for k in p})
    for field in fields:
        cells[field] = [
            " ".join(dict.fromkeys(provenance.get(r, {}).get(field, "") for r in ids.split()))
            for ids in cells["run_ids"]
        ]
    return cells


def _missing(manifests: list[Path]) -> dict[str, dict[str, Any]]:
    """Per test set: ``{"policy", "skipped"}`` from its dataset manifest."""
    out = {}
    for path in manifests:
        data = json.loads(Path(path).read_text())
        out[data["dataset"]] = data.get("missing", {"policy": "fail", "skipped": []})
    return out


def run(
    *,
    table: str,
    spec: dict[str, Any],
    rows: list[dict[str, Any]],
    protocol: dict[str, Any],
    predictions: list[Path],
    summaries: list[Path],
    outputs: dict[str, Path],
    secondary: list[dict[str, Any]] = (),
    stats: dict[str, Any] | None = None,
    configs: list[Path] = (),
    names: dict[str, str] | None = None,
    manifests: list[Path] = (),
) -> pd.DataFrame:
    """Cells of one table from its prediction stores, written as CSV, Markdown, LaTeX, HTML.

    ``names``: column names of datasets added by config; ``manifests``: the test sets'
    dataset manifests (their missing-video policy and skipped videos go into a footnote).
    """
    store = read_stores(predictions)
    paper = {i: r.get("paper", {}) for i, r in enumerate(spec["rows"], start=1)}
    cells = compute_cells(spec, rows, paper, [protocol, *secondary], store, stats)
    by_run = {p.parent.name: p for p in summaries}
    cfg_by_run = {p.parent.name: p for p in configs}
    metas = {}
    for path in predictions:
        metas.setdefault(path.parent.parent.name, read_meta(path))
    provenance = {
        rid: run_provenance(rid, by_run.get(rid), cfg_by_run.get(rid), metas.get(rid, {}))
        for row in rows
        for rid in row["run_ids"]
    }
    cells = add_provenance(cells, provenance)
    cells.insert(0, "table", table)
    notes = {"stats": stats, "names": names, "missing": _missing(manifests) if manifests else None}
    _write(outputs["csv"], cells.to_csv(index=False))
    _write(outputs["md"], render_markdown(table, spec, cells, **notes))
    _write(outputs["tex"], render_latex(table, spec, cells, **notes))
    if "html" in outputs:
        _write(outputs["html"], render_html(table, spec, cells, **notes))
    log.info("%s: %d cells from %d prediction files", table, len(cells), len(predictions))
    return cells
