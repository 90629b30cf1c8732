"""Snakemake adapter: check one dataset (integrity gate) and write its manifest.

The listing keys come in as ``params`` (a change re-runs the dataset); the gate keys
(``gate``, ``expect``, ``max_unreadable``) are read from the config so that changing an
expectation never re-runs preprocessing (adfd.datasets.manifest.listing_config).
"""

from pathlib import Path

from adfd.datasets.manifest import write_manifest
from adfd.logs import log_to
from adfd.preprocess.video import probe_video

with log_to(snakemake.log[0]):
    name = snakemake.wildcards.dataset
    cfg = {**snakemake.config["datasets"][name], **snakemake.params.dataset}
    probe = probe_video if snakemake.params.probe else None
    write_manifest(name, cfg, Path(snakemake.output[0]), probe=probe)
