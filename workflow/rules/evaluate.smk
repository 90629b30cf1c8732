# Evaluation: score every face of a preprocessed test set into the prediction store.


rule evaluate_run:
    input:
        model="results/train/{run}/model.pt",
        shards=lambda wc: shard_dirs(wc.dataset, "test", wc.distortion),
    output:
        "results/predictions/{run}/{dataset}/{distortion}.parquet",
    log:
        "logs/evaluate/{run}/{dataset}/{distortion}.log",
    conda:
        "../../envs/adfd.yaml"
    params:
        experiment=lambda wc: MATRIX.runs[wc.run].experiment,
        batch_size=config["evaluation"]["batch_size"],
    threads: config["resources"]["evaluate"]["cpus_per_task"]
    resources:
        **stage_resources("evaluate"),
    benchmark:
        "results/benchmarks/evaluate/{run}/{dataset}/{distortion}.tsv"
    script:
        "../scripts/evaluate_run.py"
