# Training: one job per canonical run id (identical resolved configs train once).


rule train_detector:
    input:
        unpack(train_inputs),
    output:
        model="results/train/{run}/model.pt",
        summary="results/train/{run}/train_summary.json",
        config="results/train/{run}/config.yaml",
    log:
        "logs/train/{run}.log",
    benchmark:
        "results/benchmarks/train/{run}.tsv"
    conda:
        "../../envs/adfd.yaml"
    threads: config["resources"]["train"]["cpus_per_task"]
    resources:
        **stage_resources("train"),
    params:
        experiment=lambda wc: MATRIX.runs[wc.run].experiment,
        seed=lambda wc: MATRIX.runs[wc.run].seed,
        canonical=lambda wc: MATRIX.runs[wc.run].canonical,
        rows=lambda wc: MATRIX.runs[wc.run].rows,
        state_dir=lambda wc: f"{STATE_ROOT}/{wc.run}",
        allow_download=config["allow_download"],
    script:
        "../scripts/train_detector.py"
