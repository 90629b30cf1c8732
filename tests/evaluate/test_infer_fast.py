"""Evaluation batching and precision on the demo FF++ test set with a trained tiny model:
whole-video batches give the same scores as fixed batches (exactly, on CPU); a bf16
evaluation's video AUC lies inside the fp32 bootstrap CI and vice versa."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch

from adfd.demo.shards import build_ffpp_shards, demo_config
from adfd.evaluate.infer import crop_faces, run_many, score_faces, video_batches
from adfd.evaluate.protocol import resolve_protocol, video_scores
from adfd.evaluate.stats import draw_counts, percentile_ci, weighted_auc
from adfd.evaluate.store import build_store
from adfd.preprocess.shards import load_shards
from adfd.train.model import load_model
from adfd.train.run import run


@pytest.fixture(scope="module")
def demo_model(tmp_path_factory):
    """Demo FF++ train/test shards and a test_efficientnet trained 2 epochs on them."""
    root = tmp_path_factory.mktemp("demo_eval")
    shards = build_ffpp_shards(root, ("train", "test"))
    exp = copy.deepcopy(demo_config()["baseline"])
    run(experiment=exp, seed=5, train_shards=shards["train"], val_shards=[],
        out_dir=root / "run", state_dir=root / "state", provenance={}, threads=1)  # fmt: skip
    return root / "run" / "model.pt", shards["test"]


def _faces(shards, margin):
    videos, faces = load_shards(shards, margin)
    faces = faces.sort_values(["video_id", "frame_idx", "face_idx"]).reset_index(drop=True)
    return videos, faces


def test_video_batches_keep_videos_whole():
    ids = pd.Series(["a"] * 3 + ["b"] * 5 + ["c"] * 2 + ["d"] * 9 + ["e"])
    batches = video_batches(ids, 6)
    rows = np.concatenate([np.arange(len(ids))[b] for b in batches])
    assert rows.tolist() == list(range(len(ids)))  # every row once, in order
    assert all(b.stop - b.start <= 6 for b in batches)
    for vid, n in ids.value_counts().items():
        holding = [b for b in batches if (ids.iloc[b] == vid).any()]
        assert len(holding) == (1 if n <= 6 else -(-n // 6))
    assert [(b.start, b.stop) for b in batches] == [(0, 3), (3, 8), (8, 10), (10, 16), (16, 20)]
    assert video_batches(ids.iloc[:0], 4) == []
    with pytest.raises(ValueError, match="batch_size"):
        video_batches(ids, 0)


def test_video_batches_give_the_scores_of_fixed_batches(demo_model, tmp_path):
    """Same bytes as the previous fixed 64-face batches, and the store run_many writes."""
    model_path, shards = demo_model
    net, meta = load_model(model_path)
    size, margin = meta["image_size"], meta["test_margin"]
    videos, faces = _faces(shards, margin)
    fixed = np.empty(len(faces))
    with torch.inference_mode():
        for start in range(0, len(faces), 64):  # the former implementation
            x = crop_faces(faces.iloc[start : start + 64], size, margin)
            fixed[start : start + 64] = torch.softmax(net(x).float(), dim=1)[:, 1].numpy()
    new = score_faces(net, faces, size, margin, 64, torch.device("cpu"))
    assert len(video_batches(faces["video_id"], 64)) > 2
    assert np.array_equal(new, fixed), np.abs(new - fixed).max()
    out = tmp_path / "ffpp.parquet"
    store = run_many(model=model_path, jobs=[("ffpp", shards, out)],
                     run_id="r", distortion="raw", batch_size=64)["ffpp"]  # fmt: skip
    expected = build_store(videos=videos, faces=faces.assign(score=fixed), run_id="r",
                           dataset="ffpp", distortion="raw")  # fmt: skip
    pd.testing.assert_frame_equal(store, expected)


def _auc_ci(store, evaluation):
    units = video_scores(store, resolve_protocol(evaluation, "sbi_video"))
    labels, scores = units["label"].to_numpy(), units["score"].to_numpy()
    stats = evaluation["statistics"]
    counts = draw_counts(labels, stats["resamples"], stats["seed"], "ffpp", "raw")
    point = weighted_auc(labels, scores, np.ones((1, len(labels))))[0]
    return point, percentile_ci(weighted_auc(labels, scores, counts), stats["level"])


def test_bf16_evaluation_auc_inside_the_fp32_ci(demo_model):
    model_path, shards = demo_model
    net, meta = load_model(model_path)
    size, margin = meta["image_size"], meta["test_margin"]
    videos, faces = _faces(shards, margin)
    evaluation = demo_config()["evaluation"]
    result, scores = {}, {}
    for precision in ("fp32", "bf16"):
        scores[precision] = score_faces(net, faces, size, margin, 64, torch.device("cpu"),
                                        precision)  # fmt: skip
        store = build_store(videos=videos, faces=faces.assign(score=scores[precision]),
                            run_id="r", dataset="ffpp", distortion="raw")  # fmt: skip
        result[precision] = _auc_ci(store, evaluation)
    (a32, (lo32, hi32)), (a16, (lo16, hi16)) = result["fp32"], result["bf16"]
    diff = np.abs(scores["fp32"] - scores["bf16"]).max()
    print(f"video AUC fp32 {a32:.2f} [{lo32:.2f}, {hi32:.2f}], bf16 {a16:.2f} "
          f"[{lo16:.2f}, {hi16:.2f}]; max |score diff| {diff:.2e}, {len(faces)} faces")  # fmt: skip
    assert 0 < diff < 0.05  # bf16 really ran, and only rounded
    assert lo32 <= a16 <= hi32 and lo16 <= a32 <= hi16


def test_execution_options_recorded(demo_model):
    """train_summary.json and the model's meta record the execution options (defaults)."""
    import json

    model_path, _ = demo_model
    summary = json.loads((model_path.parent / "train_summary.json").read_text())
    assert summary["execution"] == {
        "device": "cpu", "precision": "fp32", "channels_last": False, "compile": False,
        "fused_optimizer": False, "prefetch": False, "torch": torch.__version__,
    }  # fmt: skip
    _, meta = load_model(model_path)
    assert (meta["train_precision"], meta["train_compile"], meta["train_prefetch"]) == (
        "fp32",
        False,
        False,
    )
