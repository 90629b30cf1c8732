"""How long ``adfd status`` takes: the full paper grid (config.yaml's plan) on an empty
working directory, and any finished working directory given (e.g. a demo run).

    .venv/bin/python bench/status.py                       # full grid, no results
    .venv/bin/python bench/status.py --demo /tmp/demo-run  # + a finished demo directory

Prints the wall time of the whole command (interpreter start and imports included, best of
``--repeat``) and of collect + render inside one process. Not part of the tests.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def command_seconds(args: list[str], repeat: int) -> float:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_ALBUMENTATIONS_UPDATE": "1"}
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "adfd.cli", *args, "--no-slurm"],
            check=True,
            env=env,
            capture_output=True,
        )
        best = min(best, time.perf_counter() - t0)
    return best


def in_process_seconds(configfiles: list[str], workdir: Path, repeat: int) -> float:
    from adfd.config import build_matrix, load_config
    from adfd.status import collect
    from adfd.status.view import render

    config = load_config([Path(p) for p in configfiles])
    matrix = build_matrix(config)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        render(
            collect(config, matrix, workdir, ["all_tables"], slurm=False),
            config,
            matrix,
            profile=REPO / "profiles/slurm",
        )
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", type=Path, help="a finished demo working directory")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as empty:
        cmd = command_seconds(["status", "-d", empty], args.repeat)
        inproc = in_process_seconds([], Path(empty), args.repeat)
        print(
            f"full paper grid (config.yaml), no results: command {cmd:.2f} s, "
            f"collect+render {inproc:.2f} s"
        )
    if args.demo:
        demo_cfg = str(REPO / "demo/config.yaml")
        cmd = command_seconds(
            ["--configfile", demo_cfg, "status", "-d", str(args.demo)], args.repeat
        )
        inproc = in_process_seconds([demo_cfg], args.demo, args.repeat)
        print(f"demo ({args.demo}): command {cmd:.2f} s, collect+render {inproc:.2f} s")


if __name__ == "__main__":
    main()
