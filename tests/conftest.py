"""Shared test settings (offline by default, albumentations quiet, repo paths), the real-face
media the datasets and preprocess tests share, and the one demo ``all_tables`` run that the
workflow and Slurm tests share."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def snakemake(*args, cwd=REPO, check=True, timeout=1800):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_ALBUMENTATIONS_UPDATE": "1"}
    res = subprocess.run(
        [SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and res.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{res.stdout}\n{res.stderr}")
    return res


def demo(workdir, *args):
    profile, overlay = str(REPO / "profiles/local"), str(REPO / "demo/config.yaml")
    return snakemake("--profile", profile, "--configfile", overlay, "--directory", str(workdir),
                     *args)  # fmt: skip


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The demo all_tables run for real (every table and figure), in a scratch directory;
    shared by tests/test_workflow.py and the Slurm tests (same seed, same tables).

    ``ADFD_TEST_DEMO_DIR`` names a directory to run it in instead (kept): a finished demo
    there (e.g. from ``bench/demo.py --keep``) makes the run a no-op; tests may add to it."""
    given = os.environ.get("ADFD_TEST_DEMO_DIR")
    workdir = Path(given) if given else tmp_path_factory.mktemp("demo")
    t0 = time.perf_counter()
    demo(workdir, "all_tables")
    print(f"demo all_tables wall time: {time.perf_counter() - t0:.0f} s")
    return workdir


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict[str, Path]:
    """Real-face videos and broken files for the datasets and preprocess tests (datamedia)."""
    from tests.datamedia import media_files

    return media_files(tmp_path_factory.mktemp("media"))
