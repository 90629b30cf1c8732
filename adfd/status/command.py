"""The ``adfd status`` sub-command: arguments and what it prints or writes."""

from __future__ import annotations

import time
from pathlib import Path

from adfd.config.load import REPO_ROOT
from adfd.errors import UserError
from adfd.status.plan import FIGURES


def add_parser(sub, func) -> None:
    p = sub.add_parser(
        "status", help="every table cell's state, ETA, partial tables (reads files only)"
    )
    p.add_argument(
        "targets", nargs="*", default=["all_tables"], help="all_tables (default) or table names"
    )
    p.add_argument(
        "--directory",
        "-d",
        type=Path,
        default=Path("."),
        help="the workflow's working directory (snakemake --directory)",
    )
    p.add_argument(
        "--table",
        action="append",
        default=[],
        help="print this table as results/tables/TABLE.md prints it, … where not in",
    )
    p.add_argument(
        "--overview",
        type=Path,
        metavar="DIR",
        help="write overview.html/.png/.pdf of the cells that are in to DIR",
    )
    p.add_argument(
        "--profile",
        type=Path,
        help="profile whose jobs/cores/gpu limit the ETA uses (default: profiles/slurm "
        "when the directory's jobs went through sbatch, else profiles/local)",
    )
    p.add_argument("--gpus", type=int, help="GPU jobs at once for the ETA (overrides --profile)")
    p.add_argument("--no-slurm", action="store_true", help="do not ask squeue")
    p.add_argument("--configfile", dest="sub_configfile", action="append", default=[])
    p.set_defaults(func=func)


def run_status(config, matrix, args) -> int:
    from adfd.status import collect
    from adfd.status.view import render

    t0 = time.perf_counter()
    root = args.directory
    if not root.is_dir():
        raise UserError(f"--directory {root}: no such directory")
    targets = list(args.targets)
    for table in args.table:
        if table not in matrix.tables:
            raise UserError(f"--table {table}: unknown table; known: {', '.join(matrix.tables)}")
    st = collect(config, matrix, root, targets, slurm=not args.no_slurm)
    on_slurm = (
        any(j.external_id for j in st.plan.all_jobs()) or (root / ".snakemake/slurm_logs").is_dir()
    )  # this directory's jobs went through sbatch
    profile = args.profile or REPO_ROOT / ("profiles/slurm" if on_slurm else "profiles/local")
    if args.table:
        for table in args.table:
            print(partial_table(config, matrix, st, table), end="")
        return 0
    if args.overview:
        for path in write_overview(config, matrix, st, args.overview):
            print(f"wrote {path}")
    print(
        render(
            st, config, matrix, profile=profile, gpus=args.gpus, seconds=time.perf_counter() - t0
        ),
        end="",
    )
    return 0


def _in_cells(config, matrix, st, table):
    from adfd.status.cells import compute

    done = {k for k, c in st.cells.get(table, {}).items() if c.state == "done"}
    if table in st.computed:
        return st.computed[table], done
    return (compute(config, matrix, table, done, st.root) if done else None), done


def partial_table(config, matrix, st, table) -> str:
    from adfd.datasets.registry import display_names
    from adfd.report.cells import scored_sets
    from adfd.report.tables import _missing
    from adfd.status.partial import partial_markdown

    if table not in st.cells:
        from adfd.status import collect

        st = collect(config, matrix, st.root, [table], slurm=False)
    cells, done = _in_cells(config, matrix, st, table)
    manifests = [
        st.root / f"results/datasets/{ds}.json" for ds in scored_sets(matrix.tables[table])
    ]
    notes = {
        "stats": config["evaluation"]["statistics"],
        "names": display_names(config["datasets"]),
        "missing": _missing(manifests) if all(p.is_file() for p in manifests) else None,
    }
    return partial_markdown(table, matrix.tables[table], cells, matrix, done, notes)


def write_overview(config, matrix, st, out_dir: Path) -> list[Path]:
    from adfd.datasets.registry import display_names
    from adfd.status.cells import placeholders
    from adfd.status.partial import write_overview as write

    out_dir.mkdir(parents=True, exist_ok=True)
    tables = {}
    for table in st.tables:
        if table in FIGURES:  # fig5 is plotted, not in the overview (report.smk TABLES)
            continue
        cells, done = _in_cells(config, matrix, st, table)
        tables[table] = (cells, placeholders(matrix, table, done))
    return write(
        tables, out_dir, config["evaluation"]["statistics"], display_names(config["datasets"])
    )
