# adfd: the paper's ablation study (Tables 2-13, Figures 4-7) as one DAG.
# Stages follow the paper's Fig. 2/3: demo data -> dataset checks -> preprocessing
# (sharded) -> training (one job per canonical run id) -> evaluation (run x test set x
# distortion) -> tables and figures.
import os

from snakemake.utils import min_version

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


rule all_tables:
    """Every table and figure of the paper."""
    input:
        table_targets(TABLES),
        roc_targets(TABLES),
        figure_targets(FIGURES),
        OVERVIEW,
