# Evaluation: score every face of a preprocessed test set into the prediction store.


rule evaluate_run:
    input:
        model="results/train/{run}/model.pt",
        shards=lambda wc: shard_dirs(wc.dataset, "test", wc.distortion),
    output:
        "results/predictions/{run}/{dataset}/{distortion}.parquet",
    log:
        "logs/evaluate/{run}/{dataset}/{distortion}.log",
    benchmark:
        "results/benchmarks/evaluate/{run}/{dataset}/{distortion}.tsv"
    conda:
        "../../envs/adfd.yaml"
    threads: config["resources"]["evaluate"]["cpus_per_task"]
    resources:
        **stage_resources("evaluate"),
    params:
        # None for an external checkpoint (config external_checkpoints): not a matrix run.
        experiment=lambda wc: (
            MATRIX.runs[wc.run].experiment if wc.run in MATRIX.runs else None
        ),
        batch_size=config["evaluation"]["batch_size"],
    script:
        "../scripts/evaluate_run.py"
