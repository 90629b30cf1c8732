#!/usr/bin/env bash
# Run by Snakemake inside the freshly created conda env (see adfd.yaml).
set -euo pipefail
pip install --no-deps -r requirements-nodeps.txt
pip install --no-deps -e .
