# Reporting: tables (CSV, Markdown, LaTeX) and figures from the prediction store.


rule make_table:
    input:
        predictions=lambda wc: table_predictions(wc.table),
        summaries=lambda wc: [
            f"results/train/{r}/train_summary.json"
            for row in MATRIX.table_rows(wc.table)
            for r in row.run_ids
        ],
    output:
        csv="results/tables/{table}.csv",
        md="results/tables/{table}.md",
        tex="results/tables/{table}.tex",
    log:
        "logs/report/{table}.log",
    conda:
        "../../envs/adfd.yaml"
    params:
        spec=lambda wc: config["tables"][wc.table],
        rows=lambda wc: [
            {"index": r.index, "id": r.id, "labels": r.labels, "run_ids": r.run_ids}
            for r in MATRIX.table_rows(wc.table)
        ],
        protocol=config["evaluation"]["protocol"],
    script:
        "../scripts/make_table.py"


rule report_external:
    """A released checkpoint under our protocol, beside the AUCs its authors report."""
    input:
        predictions=lambda wc: [
            prediction_path(wc.external, ds, "raw")
            for ds in EXTERNAL[wc.external]["test_sets"]
        ],
    output:
        csv="results/tables/external_{external}.csv",
        md="results/tables/external_{external}.md",
        tex="results/tables/external_{external}.tex",
    log:
        "logs/report/external_{external}.log",
    conda:
        "../../envs/adfd.yaml"
    wildcard_constraints:
        external="|".join(EXTERNAL) or "(?!x)x",
    params:
        spec=lambda wc: external_table_spec(wc.external),
        rows=lambda wc: [
            {"index": 1, "id": wc.external, "labels": [wc.external], "run_ids": [wc.external]}
        ],
        protocol=config["evaluation"]["protocol"],
    script:
        "../scripts/make_table.py"


rule plot_fig4:
    input:
        shard="results/preprocess/ffpp/train/raw/shard-000",
    output:
        png="results/figures/fig4.png",
        pdf="results/figures/fig4.pdf",
    log:
        "logs/report/fig4.log",
    conda:
        "../../envs/adfd.yaml"
    params:
        synthesis=config["baseline"]["synthesis"],
        seed=config["seeds"][0],
    script:
        "../scripts/plot_fig4.py"


rule plot_fig5:
    input:
        table="results/tables/fig5.csv",
    output:
        png="results/figures/fig5.png",
        pdf="results/figures/fig5.pdf",
    log:
        "logs/report/fig5.log",
    conda:
        "../../envs/adfd.yaml"
    params:
        spec=config["tables"]["fig5"],
    script:
        "../scripts/plot_fig5.py"


rule plot_fig6:
    input:
        baseline=lambda wc: [
            prediction_path(r, ds, "raw")
            for r in MATRIX.row("table11", 1).run_ids[:1]
            for ds in config["tables"]["table11"]["test_sets"]
        ],
        ours=lambda wc: [
            prediction_path(r, ds, "raw")
            for r in MATRIX.row("table11", 4).run_ids[:1]
            for ds in config["tables"]["table11"]["test_sets"]
        ],
        shards=lambda wc: [
            d
            for ds in config["tables"]["table11"]["test_sets"]
            for d in shard_dirs(ds, "test", "raw")
        ],
    output:
        png="results/figures/fig6.png",
        pdf="results/figures/fig6.pdf",
    log:
        "logs/report/fig6.log",
    conda:
        "../../envs/adfd.yaml"
    params:
        protocol=config["evaluation"]["protocol"],
        margin=config["baseline"]["data"]["test_margin"],
    script:
        "../scripts/plot_fig6.py"


rule plot_fig7:
    input:
        shard="results/preprocess/ffpp/train/raw/shard-000",
    output:
        png="results/figures/fig7.png",
        pdf="results/figures/fig7.pdf",
    log:
        "logs/report/fig7.log",
    conda:
        "../../envs/adfd.yaml"
    params:
        synthesis=config["baseline"]["synthesis"],
        seed=config["seeds"][0],
    script:
        "../scripts/plot_fig7.py"


for _table in TABLES:

    rule:
        name:
            _table
        input:
            table_targets([_table]),


for _fig in FIGURES:

    rule:
        name:
            _fig
        input:
            figure_targets([_fig]),
