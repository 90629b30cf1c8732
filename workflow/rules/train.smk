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
    wildcard_constraints:
        run="[0-9a-f]{12}",  # run ids only, also if {run} admits external names elsewhere
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


# A released checkpoint (config `external_checkpoints`) in our model.pt format, so that
# evaluate_run scores it like a trained run.
rule convert_checkpoint:
    input:
        lambda wc: EXTERNAL[wc.external]["path"],
    output:
        model="results/train/{external}/model.pt",
    log:
        "logs/train/{external}.log",
    wildcard_constraints:
        external="|".join(EXTERNAL) or "(?!x)x",
    conda:
        "../../envs/adfd.yaml"
    params:
        spec=lambda wc: EXTERNAL[wc.external],
    script:
        "../scripts/convert_checkpoint.py"
