# Reporting: tables (CSV, Markdown, LaTeX, HTML) with their ROC curves, and figures, all
# from the prediction store. Outputs wrapped in report() make `snakemake --report`.


rule make_table:
    input:
        predictions=lambda wc: table_predictions(wc.table),
        summaries=lambda wc: [
            f"results/train/{r}/train_summary.json" for r in table_runs(wc.table)
        ],
        configs=lambda wc: [
            f"results/train/{r}/config.yaml" for r in table_runs(wc.table)
        ],
        manifests=lambda wc: manifests(table_sets(config["tables"][wc.table])),
    output:
        csv=report(
            "results/tables/{table}.csv",
            caption="../report/table_csv.rst",
            category="Tables",
            subcategory="CSV (every cell, CI, test, provenance)",
            labels={"table": "{table}", "format": "CSV"},
        ),
        md="results/tables/{table}.md",
        tex="results/tables/{table}.tex",
        html=report(
            "results/tables/{table}.html",
            caption="../report/table.rst",
            category="Tables",
            subcategory="Tables",
            labels={"table": "{table}", "format": "HTML"},
        ),
        roc_png=report(
            "results/figures/roc_{table}.png",
            caption="../report/roc.rst",
            category="Figures",
            subcategory="ROC curves",
            labels={"figure": "ROC {table}"},
        ),
        roc_pdf="results/figures/roc_{table}.pdf",
    log:
        "logs/report/{table}.log",
    conda:
        "../../envs/adfd.yaml"
    params:
        spec=lambda wc: config["tables"][wc.table],
        rows=lambda wc: table_row_records(wc.table),
        runs=lambda wc: runs_text(wc.table),
        protocol=PROTOCOL,
        secondary=SECONDARY_PROTOCOLS,
        stats=config["evaluation"]["statistics"],
        names=NAMES,
    script:
        "../scripts/make_table.py"


rule report_external:
    """A released checkpoint under our protocol, beside the AUCs its authors report."""
    input:
        predictions=lambda wc: [
            prediction_path(wc.external, ds, "raw")
            for ds in EXTERNAL[wc.external]["test_sets"]
        ],
        manifests=lambda wc: manifests(EXTERNAL[wc.external]["test_sets"]),
    output:
        csv="results/tables/external_{external}.csv",
        md="results/tables/external_{external}.md",
        tex="results/tables/external_{external}.tex",
        html="results/tables/external_{external}.html",
        roc_png="results/figures/roc_external_{external}.png",
        roc_pdf="results/figures/roc_external_{external}.pdf",
    log:
        "logs/report/external_{external}.log",
    wildcard_constraints:
        external="|".join(EXTERNAL) or "(?!x)x",
    conda:
        "../../envs/adfd.yaml"
    params:
        spec=lambda wc: external_table_spec(wc.external),
        rows=lambda wc: [
            {
                "index": 1,
                "id": wc.external,
                "labels": [wc.external],
                "run_ids": [wc.external],
            }
        ],
        protocol=PROTOCOL,
        secondary=SECONDARY_PROTOCOLS,
        stats=config["evaluation"]["statistics"],
        names=NAMES,
    script:
        "../scripts/make_table.py"


rule plot_fig4:
    input:
        shard=figure_shard("fig4"),
    output:
        png=report(
            "results/figures/fig4.png",
            caption="../report/fig4.rst",
            category="Figures",
            subcategory="Paper figures",
            labels={"figure": "fig4"},
        ),
        pdf="results/figures/fig4.pdf",
    log:
        "logs/report/fig4.log",
    conda:
        "../../envs/adfd.yaml"
    params:
        seed=config["seeds"][0],
    script:
        "../scripts/plot_fig4.py"


rule plot_fig5:
    input:
        table="results/tables/fig5.csv",
    output:
        png=report(
            "results/figures/fig5.png",
            caption="../report/fig5.rst",
            category="Figures",
            subcategory="Paper figures",
            labels={"figure": "fig5"},
        ),
        pdf="results/figures/fig5.pdf",
    log:
        "logs/report/fig5.log",
    conda:
        "../../envs/adfd.yaml"
    params:
        spec=config["tables"]["fig5"],
        level=config["evaluation"]["statistics"]["level"],
    script:
        "../scripts/plot_fig5.py"


rule plot_fig6:
    input:
        baseline=lambda wc: [
            prediction_path(figure_rows("fig6")[1][0].run_ids[0], ds, "raw")
            for ds in table_sets(config["tables"][figure_rows("fig6")[0]])
        ],
        ours=lambda wc: [
            prediction_path(figure_rows("fig6")[1][1].run_ids[0], ds, "raw")
            for ds in table_sets(config["tables"][figure_rows("fig6")[0]])
        ],
        shards=lambda wc: [
            d
            for ds in table_sets(config["tables"][figure_rows("fig6")[0]])
            for d in shard_dirs(ds, "test", "raw")
        ],
    output:
        png=report(
            "results/figures/fig6.png",
            caption="../report/fig6.rst",
            category="Figures",
            subcategory="Paper figures",
            labels={"figure": "fig6"},
        ),
        pdf="results/figures/fig6.pdf",
    log:
        "logs/report/fig6.log",
    conda:
        "../../envs/adfd.yaml"
    params:
        protocol=VIDEO_PROTOCOL,
        margin=config["baseline"]["data"]["test_margin"],
    script:
        "../scripts/plot_fig6.py"


rule plot_fig7:
    input:
        shard=figure_shard("fig7"),
    output:
        png=report(
            "results/figures/fig7.png",
            caption="../report/fig7.rst",
            category="Figures",
            subcategory="Paper figures",
            labels={"figure": "fig7"},
        ),
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


rule overview:
    """Every cell of every table beside the paper: what reproduced, at a glance."""
    input:
        csv=expand("results/tables/{table}.csv", table=TABLES),
    output:
        png=report(
            "results/figures/overview.png",
            caption="../report/overview.rst",
            category="Overview",
            labels={"figure": "overview"},
        ),
        pdf="results/figures/overview.pdf",
        html=report(
            "results/tables/overview.html",
            caption="../report/overview.rst",
            category="Overview",
            labels={"figure": "overview page"},
        ),
    log:
        "logs/report/overview.log",
    localrule: True
    conda:
        "../../envs/adfd.yaml"
    params:
        stats=config["evaluation"]["statistics"],
        names=NAMES,
    script:
        "../scripts/make_overview.py"


for _table in TABLES:

    rule:
        name:
            _table
        input:
            table_targets([_table]),
            roc_targets([_table]),


for _fig in FIGURES:

    rule:
        name:
            _fig
        input:
            figure_targets([_fig]),
