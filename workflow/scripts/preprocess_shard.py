"""Snakemake adapter: preprocess one shard of one dataset split (adfd.preprocess.write)."""

from pathlib import Path

from adfd.logs import log_to
from adfd.preprocess.job import run

with log_to(snakemake.log[0]):
    run(
        manifest=Path(snakemake.input.manifest),
        out_dir=Path(snakemake.output[0]),
        split=snakemake.wildcards.split,
        shard=int(snakemake.wildcards.shard),
        n_shards=snakemake.params.n_shards,
        frames=snakemake.params.frames,
        keep=snakemake.params.keep,
        detector=snakemake.params.detector,
        landmarks=snakemake.params.landmarks,
        distortion=snakemake.params.distortion,
        allow_download=snakemake.params.allow_download,
        context_margin=snakemake.params.context_margin,
        crop_format=snakemake.params.crop_format,
    )
