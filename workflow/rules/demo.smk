# Embedded demo: five mini benchmarks in their official layouts, made from real faces.


rule build_demo_data:
    output:
        directory(config["demo"]["root"]),
    log:
        "logs/demo/build_demo_data.log",
    conda:
        "../../envs/adfd.yaml"
    params:
        seed=config["demo"]["seed"],
    script:
        "../scripts/build_demo_data.py"
