"""Snakemake adapter: a released checkpoint -> our model.pt (adfd.train.convert)."""

from adfd.logs import log_to
from adfd.train.convert import convert_checkpoint

spec = snakemake.params.spec
with log_to(snakemake.log[0]):
    convert_checkpoint(
        snakemake.input[0],
        snakemake.output.model,
        fmt=spec["format"],
        model_name=spec.get("model_name", "tf_efficientnet_b4"),
        image_size=spec.get("image_size", 380),
        test_margin=spec.get("test_margin", 0.125),
        name=snakemake.wildcards.external,
    )
