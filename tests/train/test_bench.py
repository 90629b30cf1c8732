"""bench/gpu_train.py runs end to end on CPU with tiny settings (the GPU run is manual)."""

import runpy

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_gpu_bench_smoke(shards, capsys):
    bench = runpy.run_path(str(REPO / "bench" / "gpu_train.py"))
    bench["main"](["--model", "test_efficientnet", "--size", "64", "--batch-real", "2",
                   "--steps", "1", "--warmup", "1", "--shards", str(shards["train"][0]),
                   "--workers", "0", "--loader-batches", "2"])  # fmt: skip
    out = capsys.readouterr().out
    assert "step fp32" in out and "step bf16 + channels_last" in out
    assert "loader 0 workers" in out and "speed-up" in out
