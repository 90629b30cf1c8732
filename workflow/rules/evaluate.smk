# Evaluation: score every face of the preprocessed test sets into the prediction store.
# One job per (run, distortion) loads the model once and writes one store file per test set
# (results/predictions/{run}/{dataset}/{distortion}.parquet, each a declared output), so
# the cluster pays one GPU start per checkpoint and distortion, the demo one Python start.


rule evaluate_run:
    input:
        model="results/train/{run}/model.pt",
        shards=lambda wc: [
            d for ds in DATASETS for d in shard_dirs(ds, "test", wc.distortion)
        ],
    output:
        **{
            ds: f"results/predictions/{{run}}/{ds}/{{distortion}}.parquet"
            for ds in DATASETS
        },
    log:
        "logs/evaluate/{run}/{distortion}.log",
    benchmark:
        "results/benchmarks/evaluate/{run}/{distortion}.tsv"
    conda:
        "../../envs/adfd.yaml"
    threads: config["resources"]["evaluate"]["cpus_per_task"]
    resources:
        **stage_resources("evaluate"),
    params:
        shards=lambda wc: {ds: shard_dirs(ds, "test", wc.distortion) for ds in DATASETS},
        batch_size=config["evaluation"]["batch_size"],
        # model.pt is registered now: the run's final training state can go
        state_dir=lambda wc: f"{STATE_ROOT}/{wc.run}",
    script:
        "../scripts/evaluate_run.py"
