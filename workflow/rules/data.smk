# Datasets: integrity check (first node per dataset), then sharded face preprocessing.


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
        dataset=lambda wc: config["datasets"][wc.dataset],
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
        frames=lambda wc: config["preprocess"]["frames"][wc.split],
        detector=config["preprocess"]["detector"],
        landmarks=lambda wc: (
            config["preprocess"]["landmarks"] if wc.split != "test" else None
        ),
        distortion=lambda wc: config["evaluation"]["distortions"][wc.distortion],
        allow_download=config["allow_download"],
    script:
        "../scripts/preprocess_shard.py"
