"""bench/gpu_suite.py runs every section end to end on CPU with tiny sizes (--cpu-smoke),
so the prepared GPU script cannot rot (the GPU run itself is manual)."""

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO

SMOKE_LIMIT_S = 180  # measured 47 s on 2 shared cores (demo shards built inside)


@pytest.mark.slow
def test_gpu_suite_cpu_smoke(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_ALBUMENTATIONS_UPDATE": "1"}
    t0 = time.perf_counter()
    res = subprocess.run(
        [sys.executable, str(REPO / "bench" / "gpu_suite.py"), "--cpu-smoke", "--skip-install",
         "--work", str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=SMOKE_LIMIT_S,
    )  # fmt: skip
    print(res.stdout[-3000:], f"\nsmoke wall time {time.perf_counter() - t0:.0f} s")
    assert res.returncode == 0, res.stderr[-3000:]
    table = res.stdout.split("\nsection")[-1]
    for row in ("(a) fp32 eager", "(b) bf16 + channels_last", "(c) + compile model",
                "(d) + compile step", "network fp32", "score_faces", "loader, 0 workers",
                "loader, 2 workers", "training epoch, 2 workers"):  # fmt: skip
        assert row in table, row
    assert "FAILED" not in res.stdout
    assert "detector: not available in this tree" in res.stdout or "retinaface_r50" in table
