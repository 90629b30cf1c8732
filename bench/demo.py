"""What ``make demo`` costs and what it learns: the demo ``all_tables`` in a scratch
directory, timed as a whole and per rule, with the baseline's figures.

    .venv/bin/python bench/demo.py                 # a fresh scratch directory
    .venv/bin/python bench/demo.py --keep /tmp/d   # keep (or reuse) the directory

Prints the wall time of the Snakemake run (after setup: the venv exists), the job-seconds
per rule (from the run's log: first "rule" line to "Finished jobid"), the longest job per
rule, and the demo SBI baseline (Table 7 row 1): every benchmark's AUC with its CI, the
five-benchmark average with its CI, and every run's final training loss. Not a test: the
machine is shared and its load changes the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
STAMP = re.compile(r"\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]")


def rule_seconds(log: str) -> dict[str, tuple[int, float, float]]:
    """rule -> (jobs, job-seconds, longest job) from a Snakemake log (second resolution)."""
    now, rule, started = None, None, {}
    out: dict[str, list[float]] = defaultdict(list)
    for line in log.splitlines():
        if m := STAMP.match(line):
            now = dt.datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
        elif m := re.match(r"(?:local)?rule (\w+):", line):
            rule = m.group(1)
        elif (m := re.match(r"\s+jobid: (\d+)", line)) and rule:
            started[m.group(1)], rule = (rule, now), None
        elif (m := re.match(r"Finished jobid: (\d+)", line)) and m.group(1) in started:
            name, t0 = started.pop(m.group(1))
            out[name].append((now - t0).total_seconds())
    return {k: (len(v), sum(v), max(v)) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", type=Path, help="working directory to use and keep")
    ap.add_argument("--target", default="all_tables")
    args = ap.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="adfd-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_ALBUMENTATIONS_UPDATE": "1"}
    cmd = [str(Path(sys.executable).parent / "snakemake"), "--snakefile", str(REPO / "Snakefile"),
           args.target, "--profile", str(REPO / "profiles/local"), "--configfile",
           str(REPO / "demo/config.yaml"), "--directory", str(workdir)]  # fmt: skip
    t0 = time.perf_counter()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if res.returncode:
        sys.exit(f"snakemake failed ({res.returncode}):\n{res.stderr[-4000:]}")
    print(f"demo {args.target}: {wall:.0f} s wall ({wall / 60:.1f} min), {workdir}")
    print(f"{'rule':22s} {'jobs':>5s} {'job-s':>7s} {'longest':>8s}")
    for name, (n, total, longest) in sorted(rule_seconds(res.stderr).items(),
                                            key=lambda kv: -kv[1][1]):  # fmt: skip
        print(f"{name:22s} {n:5d} {total:7.0f} {longest:8.0f}")
    table = workdir / "results/tables/table7.csv"
    if table.is_file():
        cells = pd.read_csv(table)
        base = cells[cells["primary"].astype(bool) & (cells["row"] == 1)]
        print("demo SBI baseline (table7 row 1), AUC % [95 % CI]:")
        for rec in base.itertuples():
            print(f"  {rec.metric:12s} {rec.ours:6.2f} [{rec.ci_low:.1f}, {rec.ci_high:.1f}]"
                  f"  width {rec.ci_high - rec.ci_low:.1f}")  # fmt: skip
    losses = {}
    for path in sorted((workdir / "results/train").glob("*/train_summary.json")):
        summary = json.loads(path.read_text())
        losses[path.parent.name] = summary["final_loss"]  # mean of the last tenth of epochs
    if losses:
        values = sorted(losses.values())
        print(f"final training loss of {len(values)} runs: min {values[0]:.3f}, median "
              f"{values[len(values) // 2]:.3f}, max {values[-1]:.3f} (ln 2 = 0.693)")  # fmt: skip


if __name__ == "__main__":
    main()
