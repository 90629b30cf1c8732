"""``adfd plan --estimate``: preprocessing hours and shard disk of the whole study."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

from adfd.config import build_matrix, load_config
from adfd.estimate.preprocessing import (
    PREPROCESS_COST,
    preprocess_estimate,
    preprocess_units_cost,
)


@pytest.fixture(scope="module")
def production():
    config = load_config([])
    return config, build_matrix(config)


def table(text: str) -> dict[str, list[float]]:
    rows = {}
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] in ("train", "val", "test", "preprocess"):
            rows[parts[0]] = [float(v) for v in parts[1:4]]
    return rows


def test_units_cover_every_test_set_and_distortion(production, tmp_path, monkeypatch):
    config, matrix = production
    monkeypatch.chdir(tmp_path)  # no shards here: bench constants
    text = preprocess_estimate(config, matrix)
    rows = table(text)
    n_dist = len(config["evaluation"]["distortions"])
    assert rows["test"][0] == 5 * n_dist and rows["train"][0] == rows["val"][0] == 1
    assert "GPU-h" in text and "not measured" in text and "bench/preprocess.py" in text
    assert "same on CPU" in text
    # train: 720 videos x 32 decoded frames, 8 stored, npy faces
    cost = PREPROCESS_COST
    gpu_s = 1 / cost["gpu_r50_frames_per_s"]
    per_frame = cost["decode_s"] + gpu_s + cost["landmarks_s"]
    hours = (720 * 32 * per_frame + 720 * 8 * cost["crop_s"]) / 3600
    assert rows["train"][1] == pytest.approx(hours, abs=0.05)
    assert rows["train"][2] == pytest.approx(
        720 * 8 * cost["bytes_per_face"]["npy"] / 1e9, abs=0.05
    )
    cpu = copy.deepcopy(config)
    cpu["resources"]["preprocess"]["gpu"] = 0
    cpu_text = preprocess_estimate(cpu, matrix)
    assert "CPU core-h" in cpu_text and "same on CPU" not in cpu_text
    assert table(cpu_text)["preprocess"][1] > 100 * rows["preprocess"][1]


def test_real_shards_replace_the_bytes_per_face(production, tmp_path, monkeypatch):
    config, matrix = production
    monkeypatch.chdir(tmp_path)
    shard = tmp_path / "results/preprocess/ffpp/train/raw/shard-000"
    (shard / "frames/v").mkdir(parents=True)
    for i in range(4):
        np.save(shard / f"frames/v/{i:04d}_0.npy", np.zeros((600, 500, 3), np.uint8))
    pd.DataFrame({"face_idx": [0, 0, 0, 0]}).to_parquet(shard / "faces.parquet")
    (shard / "meta.json").write_text(json.dumps({"crop_format": "npy"}))
    text = preprocess_estimate(config, matrix)
    assert "stored bytes per face of the shards" in text
    size = (shard / "frames/v/0000_0.npy").stat().st_size
    assert table(text)["train"][2] == pytest.approx(720 * 8 * size / 1e9, abs=0.06)
    by_split = preprocess_units_cost(config, matrix, 1.0, {"npy": 1.0, "png": 1.0, "png_box": 1.0})
    assert set(by_split) == {"train", "val", "test"}
