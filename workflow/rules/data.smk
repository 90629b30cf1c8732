# Datasets: integrity check (first node per dataset), then sharded face preprocessing,
# then a yield summary per dataset/split/distortion (not needed by the tables).
from adfd.datasets.manifest import listing_config
from adfd.preprocess.job import detector_config, frame_sampling


rule check_dataset:
    input:
        demo_input,
    output:
        "results/datasets/{dataset}.json",
    log:
        "logs/datasets/{dataset}.log",
    conda:
        "../../envs/adfd.yaml"
    params:
        # Only the keys that decide the listing: gate keys (gate, expect, max_unreadable)
        # are read from the config by the script, so editing them never re-runs shards.
        dataset=lambda wc: listing_config(config["datasets"][wc.dataset]),
        probe=True,  # decode one frame of every video; unreadable files are listed
    script:
        "../scripts/check_dataset.py"


rule preprocess_shard:
    input:
        manifest="results/datasets/{dataset}.json",
    output:
        directory("results/preprocess/{dataset}/{split}/{distortion}/shard-{shard}"),
    log:
        "logs/preprocess/{dataset}/{split}/{distortion}/shard-{shard}.log",
    conda:
        "../../envs/adfd.yaml"
    threads: 1
    resources:
        **stage_resources("preprocess", scale_with_attempt=False),
    params:
        n_shards=lambda wc: SHARDS[wc.dataset],
        # train/val: decode frames.train_candidates, keep frames[split] (SBI's 32 -> 8)
        frames=lambda wc: frame_sampling(config["preprocess"]["frames"], wc.split)[0],
        keep=lambda wc: frame_sampling(config["preprocess"]["frames"], wc.split)[1],
        # device auto -> cuda when the job asks for a GPU (resources.preprocess.gpu)
        detector=detector_config(
            config["preprocess"]["detector"], config["resources"]["preprocess"]["gpu"]
        ),
        landmarks=lambda wc: (
            config["preprocess"]["landmarks"] if wc.split != "test" else None
        ),
        distortion=lambda wc: config["evaluation"]["distortions"][wc.distortion],
        allow_download=config["allow_download"],
        context_margin=config["preprocess"]["context_margin"],
        crop_format=lambda wc: config["preprocess"]["crop_format"][wc.split],
    script:
        "../scripts/preprocess_shard.py"


rule preprocess_yield:
    """Frames read, frames with a face, faces per frame and fallbacks of one shard set."""
    input:
        shards=lambda wc: shard_dirs(wc.dataset, wc.split, wc.distortion),
        manifest="results/datasets/{dataset}.json",
    output:
        json="results/preprocess/{dataset}/{split}/{distortion}/yield.json",
        md="results/preprocess/{dataset}/{split}/{distortion}/yield.md",
    log:
        "logs/preprocess/{dataset}/{split}/{distortion}/yield.log",
    localrule: True
    conda:
        "../../envs/adfd.yaml"
    script:
        "../scripts/preprocess_yield.py"


rule preprocess_yields:
    """Target: yield summaries of FF++ train/val and every test set under every distortion."""
    input:
        expand(
            "results/preprocess/ffpp/{split}/raw/yield.md",
            split=["train", "val"],
        ),
        expand(
            "results/preprocess/{dataset}/test/{distortion}/yield.md",
            dataset=DATASETS,
            distortion=list(config["evaluation"]["distortions"]),
        ),
    localrule: True
