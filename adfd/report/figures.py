"""Figures of the paper from pipeline outputs (PNG and PDF, matplotlib Agg).

fig4: one hull mask blurred as uint8 and as float32 (Fig. 4); fig5: average AUC against the
Gaussian kernel size with fixed regions (Fig. 5); fig6: test faces of the baseline and of
ours ordered by score, green frame = real, red = fake (Fig. 6); fig7: the three BBMG masks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def _save(fig, outputs: dict[str, Path]) -> None:
    for path in outputs.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)


def first_training_face(shard: Path) -> dict[str, Any]:
    from adfd.preprocess.shards import training_samples

    samples = training_samples([shard])
    if not samples:
        raise ValueError(f"{shard}: no frame with a face and landmarks to draw masks on")
    return samples[0]


def fig4(shard: Path, seed: int, outputs: dict[str, Path]) -> None:
    from adfd.preprocess.images import read_rgb
    from adfd.report.synthesis_figures import fig4_masks

    sample = first_training_face(shard)
    frame = read_rgb(sample["frame_path"])
    masks = fig4_masks(frame, sample["landmarks"], np.random.default_rng(seed))
    fig, axes = plt.subplots(1, len(masks), figsize=(3.2 * len(masks), 3.4))
    for ax, (name, image) in zip(np.atleast_1d(axes), masks.items(), strict=True):
        ax.imshow(image, cmap=None if image.ndim == 3 else "gray", vmin=0, vmax=None)
        ax.set_title(name)
        ax.axis("off")
    fig.suptitle("Fig. 4: blurred mask as uint8 vs float32")
    _save(fig, outputs)


def fig5(
    table_csv: Path, spec: dict[str, Any], outputs: dict[str, Path], level: float = 0.95
) -> None:
    cells = pd.read_csv(table_csv)
    if "primary" in cells:
        cells = cells[cells["primary"]]
    kernels = {r["id"]: int(r["labels"][0]) for r in spec["rows"]}
    cells["kernel"] = cells["row_id"].map(kernels)
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for metric, style in (("avg", "o-"), ("avg_wo_ffpp", "s--")):
        part = cells[cells["metric"] == metric].sort_values("kernel")
        if "ci_low" in part:  # bootstrap CI (evaluation.statistics.level) of the seed-mean AUC
            yerr = [part["ours"] - part["ci_low"], part["ci_high"] - part["ours"]]
        else:
            yerr = part["ours_sd"].fillna(0)
        ax.errorbar(part["kernel"], part["ours"], yerr=yerr, fmt=style, capsize=3,
                    label={"avg": "Avg", "avg_wo_ffpp": "Avg w/o FF++"}[metric])  # fmt: skip
    rng = spec.get("paper_range")
    if rng:
        ax.axhspan(rng["min"], rng["max"], color="grey", alpha=0.15, label="paper range (Avg)")
    ax.set_xlabel("Gaussian kernel size (fixed regions)")
    ax.set_ylabel("AUC (%)")
    ax.legend()
    ax.set_title(f"Fig. 5: boundary-blurring degree (bars: {100 * level:g} % CI)")
    _save(fig, outputs)


def fig6(
    baseline: list[Path],
    ours: list[Path],
    shards: list[Path],
    protocol: dict[str, Any],
    margin: float,
    outputs: dict[str, Path],
    n: int = 6,
) -> None:
    from adfd.evaluate.infer import crop_faces
    from adfd.evaluate.protocol import video_scores
    from adfd.evaluate.store import read_stores

    def scores(paths):
        store = read_stores(paths)
        parts = [video_scores(g, protocol).assign(dataset=ds) for ds, g in store.groupby("dataset")]
        return pd.concat(parts).set_index(["dataset", "video_id"])

    base, mine = scores(baseline), scores(ours)
    both = base[["label", "score"]].join(mine["score"].rename("ours"))
    both["gain"] = np.where(both["label"] == 1, both["ours"] - both["score"],
                            both["score"] - both["ours"])  # fmt: skip
    # As the paper's Fig. 6: real (green) and fake (red) faces, those where ours differs most
    # from the baseline in the right direction, half of each label where the set allows.
    ranked = both.sort_values("gain", ascending=False)
    per_label = [ranked[ranked["label"] == y].head(n // 2) for y in (0, 1)]
    chosen = pd.concat(per_label)
    if len(chosen) < n:
        chosen = pd.concat([chosen, ranked.drop(chosen.index).head(n - len(chosen))])
    chosen = chosen.sort_values("score")
    faces = read_stores(baseline)
    faces = faces[faces["frame_idx"] >= 0]
    from adfd.preprocess.shards import load_shards

    _, shard_faces = load_shards(shards, margin)
    fig, axes = plt.subplots(2, len(chosen), figsize=(2.2 * len(chosen), 4.8), squeeze=False)
    for col, ((_, vid), rec) in enumerate(chosen.iterrows()):
        face = shard_faces[shard_faces["video_id"] == vid].sort_values(["frame_idx", "face_idx"])
        crop = crop_faces(face.head(1), 128, margin)[0].permute(1, 2, 0).numpy()
        colour = "red" if rec["label"] == 1 else "green"
        for row, (name, value) in enumerate((("baseline", rec["score"]), ("ours", rec["ours"]))):
            ax = axes[row, col]
            ax.imshow(crop)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_edgecolor(colour)
                spine.set_linewidth(4)
            ax.set_title(f"{name} {value:.2f}", fontsize=8)
    fig.suptitle("Fig. 6: real (green) and fake (red) faces, baseline vs ours")
    _save(fig, outputs)


def roc_curves(
    predictions: list[Path],
    spec: dict[str, Any],
    rows: list[dict[str, Any]],
    protocol: dict[str, Any],
    outputs: dict[str, Path],
    title: str = "",
) -> None:
    """One panel per test set, one ROC curve per table row (its first seed's run)."""
    from sklearn.metrics import roc_curve

    from adfd.evaluate.protocol import protocol_label, video_scores
    from adfd.evaluate.store import read_stores

    store = read_stores(predictions)
    sets = list(spec["test_sets"])
    fig, axes = plt.subplots(1, len(sets), figsize=(3.3 * len(sets), 3.5), squeeze=False)
    for ax, ds in zip(axes[0], sets, strict=True):
        for row in rows:
            part = store[(store["run_id"] == row["run_ids"][0]) & (store["dataset"] == ds)]
            part = part[part["distortion"] == "raw"]
            units = video_scores(part, protocol)
            if units["label"].nunique() < 2:
                continue
            fpr, tpr, _ = roc_curve(units["label"], units["score"])
            auc = float(np.trapezoid(tpr, fpr)) * 100
            ax.plot(fpr, tpr, label=f"{' '.join(row['labels'])} ({auc:.1f})")
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
        ax.set_title(ds)
        ax.set_xlabel("false positive rate")
        ax.set_aspect("equal")
        ax.legend(fontsize=6, loc="lower right")
    axes[0][0].set_ylabel("true positive rate")
    fig.suptitle(f"{title}: ROC per test set ({protocol_label(protocol)}, AUC % in legend)")
    _save(fig, outputs)


def fig7(shard: Path, synthesis: dict[str, Any], seed: int, outputs: dict[str, Path]) -> None:
    from adfd.preprocess.images import read_rgb
    from adfd.report.synthesis_figures import bbmg_variant_masks

    sample = first_training_face(shard)
    frame = read_rgb(sample["frame_path"])
    masks = bbmg_variant_masks(frame, sample["landmarks"], synthesis, np.random.default_rng(seed))
    fig, axes = plt.subplots(1, len(masks), figsize=(3.2 * len(masks), 3.4))
    for ax, (name, image) in zip(np.atleast_1d(axes), masks.items(), strict=True):
        ax.imshow(image, cmap="gray", vmin=0, vmax=1)
        ax.set_title(name)
        ax.axis("off")
    fig.suptitle("Fig. 7: BBMG masks")
    _save(fig, outputs)
