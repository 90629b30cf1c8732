"""Paper tables as CSV (long format, one cell per line), Markdown, LaTeX (booktabs) and HTML.

Every cell shows our AUC beside the paper's and the difference: ``ours (paper, Δ)``.
``run`` computes a table's cells from its prediction stores, adds each run's provenance and
writes every format (:mod:`adfd.report.grid` lays the table out, :mod:`adfd.report.formats`
renders it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from adfd.evaluate.store import read_meta, read_stores
from adfd.report.cells import compute_cells
from adfd.report.formats import render_html, render_latex, render_markdown
from adfd.train.learning import loss_figures

log = logging.getLogger(__name__)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def run_provenance(run_id: str, summary: Path | None, config: Path | None,
                   store_meta: dict[str, Any]) -> dict[str, str]:  # fmt: skip
    """Provenance of one run as strings: config, commit, packages, models, checkpoint, and
    its final training loss with whether it ever left ln 2 (``adfd.train.learning``)."""
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
        history = loss_figures(data.get("history", []))
        if history["final_loss"] is not None:
            out["final_loss"] = f"{history['final_loss']:.3f}"
            out["left_ln2"] = str(history["left_ln2"])
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
