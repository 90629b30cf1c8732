"""A paper table as printed: its header and rows of cells (``ours [CI] (paper, Δ)``) and its
footnotes, shared by every format (:mod:`adfd.report.formats`) and by partial tables.

Rows the paper cites from the literature are listed as cited, never run.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from adfd.datasets.registry import REGISTRY
from adfd.report.cells import DEFAULT_STATS, scored_sets, table_metrics
from adfd.report.verdict import max_width, outcome
from adfd.train.learning import LN2, LN2_MARGIN

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
    lines += _verdict_line(prim, stats)
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
    """One line per row: its runs, provenance and final training loss (per seed); a run
    whose loss never left ln 2 learned nothing and is flagged where its numbers are."""
    lines = []
    for r in prim.drop_duplicates("row").itertuples():
        prov = ""
        if "git_commit" in prim:
            prov = (
                f"; commit {str(r.git_commit)[:10]}, checkpoint {r.checkpoint_policy}, "
                f"detector {r.detector}"
            )
        loss = str(getattr(r, "final_loss", "") or "")
        if loss and loss != "nan":
            prov += f", final training loss {loss}"
            if "False" in str(getattr(r, "left_ln2", "")):
                prov += f" (**never fell {LN2_MARGIN:g} below ln 2 = {LN2:.3f}: not learned**)"
        lines.append(f"- row {r.row} `{r.row_id}`: run {r.run_ids}{prov}")
    return lines


def _verdict_line(prim: pd.DataFrame, stats: dict[str, Any]) -> list[str]:
    """How many cells reproduce the paper (``adfd.report.verdict``), as in the overview."""
    if not {"paper", "ci_low", "ci_high"} <= set(prim):
        return []
    width = max_width(stats)
    bounds = zip(prim["paper"], prim["ci_low"], prim["ci_high"], strict=True)
    verdicts = pd.Series([outcome(p, lo, hi, width) for p, lo, hi in bounds])
    n = verdicts.value_counts()
    if not (verdicts != "no paper value").any():
        return []
    return [
        f"- against the paper: {n.get('reproduced', 0)} reproduced (paper inside our CI, CI at "
        f"most {width:g} points wide), {n.get('inconclusive', 0)} inconclusive (inside a "
        f"wider CI), {n.get('below', 0)} below and {n.get('above', 0)} above (paper outside "
        f"our CI) of {int((verdicts != 'no paper value').sum())} cells with a paper value"
    ]


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
