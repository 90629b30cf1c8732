"""The ``adfd`` command line: plan the matrix, find a cell's target, build demo data, check data.

adfd plan [--configfile demo/config.yaml] [--table table3] [--estimate]
adfd target table3 4          # the training output of table 3, row 4 (for -R reruns)
adfd diff-rows table3:4 table3:5
adfd demo-data results/demo_data --seed 0
adfd datasets check [--configfile ...] [--probe] [--dataset cdf]
adfd datasets yield [results/preprocess/cdf/test/raw ...]
adfd synth preview table12 3 [--out grid.png] [--n 8] [--seed 0] [--frames SHARD_DIR]
adfd status [TARGET ...] [--table table4] [--overview DIR]   # where the study stands

A user's mistake (a config value the schema rejects, an unknown table or row, a missing file)
is answered with ``adfd: error: <message>`` on stderr (one line per problem) and exit status
2; ``adfd --debug ...`` shows its traceback instead. Other exceptions are bugs and keep theirs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from adfd.config import build_matrix, load_config
from adfd.config.canonical import drop_inert
from adfd.errors import NotFoundError, UserError


def _matrix(args):
    config = load_config([Path(p) for p in args.configfile])
    return config, build_matrix(config)


def cmd_plan(args) -> int:
    config, matrix = _matrix(args)
    rows = [r for r in matrix.rows if not args.table or r.table == args.table]
    print(f"{'table':8} {'row':>3}  {'id':26} run id(s)")
    for r in rows:
        print(f"{r.table:8} {r.index:>3}  {r.id:26} {' '.join(r.run_ids)}")
    runs = {rid for r in rows for rid in r.run_ids}
    evals = [e for e in matrix.evals if e[0] in runs]
    by_set = Counter(ds for _, ds, _ in evals)
    by_dist = Counter(dist for _, _, dist in evals)
    print()
    n_seeds = len(config["seeds"])
    print(f"table rows: {len(rows)} x seeds {n_seeds} = {len(rows) * n_seeds}")
    print(f"unique training runs: {len(runs)}")
    print(f"evaluation jobs (run x test set x distortion): {len(evals)}")
    print("  by test set:   " + ", ".join(f"{k} {v}" for k, v in sorted(by_set.items())))
    print("  by distortion: " + ", ".join(f"{k} {v}" for k, v in sorted(by_dist.items())))
    shared = {
        rid: run.rows for rid, run in matrix.runs.items() if rid in runs and len(run.rows) > 1
    }
    if shared:
        print("runs shared by several rows:")
        for rid, refs in shared.items():
            print(f"  {rid}: {', '.join(refs)}")
    if args.estimate:
        from adfd.estimate import estimate

        print()
        print(estimate(config, matrix, [args.table] if args.table else None))
    return 0


def cmd_target(args) -> int:
    _, matrix = _matrix(args)
    row = matrix.row(args.table, args.row)
    for rid in row.run_ids:
        target = f"results/train/{rid}/model.pt"
        print(target)
        print(
            "# rerun this cell and everything downstream:\n"
            f"#   snakemake --profile slurm -R {target} {args.table}",
            file=sys.stderr,
        )
    return 0


def cmd_diff_rows(args) -> int:
    _, matrix = _matrix(args)

    def flat(cfg, prefix=""):
        out = {}
        for k, v in cfg.items():
            if isinstance(v, dict):
                out.update(flat(v, f"{prefix}{k}."))
            else:
                out[f"{prefix}{k}"] = v
        return out

    sides = []
    for ref in (args.a, args.b):
        table, _, index = ref.partition(":")
        if not index.isdigit():
            raise UserError(f"'{ref}': expected TABLE:ROW, e.g. table3:4")
        sides.append(flat(drop_inert(matrix.row(table, int(index)).resolved)))
    keys = sorted(set(sides[0]) | set(sides[1]))
    diffs = [(k, sides[0].get(k, "<inert>"), sides[1].get(k, "<inert>")) for k in keys]
    diffs = [d for d in diffs if d[1] != d[2]]
    for key, a, b in diffs:
        print(f"{key}: {json.dumps(a)} -> {json.dumps(b)}")
    if not diffs:
        print("identical canonical configs (same run)")
    return 0


def cmd_demo_data(args) -> int:
    from adfd.demo import build

    summary = build(Path(args.out), seed=args.seed)
    print(json.dumps(summary, indent=1, default=str))
    return 0


def cmd_datasets_check(args) -> int:
    from adfd.datasets.check import check_dataset, format_check
    from adfd.datasets.entries import DatasetError
    from adfd.preprocess.video import probe_video

    config = load_config([Path(p) for p in args.configfile + args.sub_configfile])
    names = args.dataset or list(config["datasets"])
    unknown = sorted(set(names) - set(config["datasets"]))
    if unknown:
        raise NotFoundError(
            f"unknown dataset(s) {', '.join(unknown)}; configured: {', '.join(config['datasets'])}"
        )
    probe = probe_video if args.probe else None  # decode one frame of every video
    status, results = 0, {}
    for name in names:
        try:
            result, _ = check_dataset(name, config["datasets"][name], probe=probe)
        except (DatasetError, OSError, ValueError) as err:
            print(f"{name}: {config['datasets'][name]['root']}\n  ERROR {err}\n  FAILED\n")
            results[name] = {"dataset": name, "ok": False, "error": str(err)}
            status = 1
            continue
        results[name] = result
        print(format_check(result) + "\n")
        status |= int(not result["ok"])
    failed = [n for n, r in results.items() if not r["ok"]]
    print(f"{len(names) - len(failed)} of {len(names)} datasets pass" + (
        f"; failed: {', '.join(failed)}" if failed else ""))  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return status


def cmd_datasets_yield(args) -> int:
    from adfd.preprocess.yields import find_groups, format_yield, summarize_yield

    dirs = args.dirs or ["results/preprocess"]
    groups = find_groups([Path(p) for p in dirs])
    if not groups:
        raise UserError(f"no shard directories (shard-NNN with videos.parquet) under {dirs}")
    out = {}
    for group, dirs in groups.items():
        summary = summarize_yield(dirs)
        out[group] = summary
        if not args.json:
            print(format_yield(summary, title=group) + "\n")
    if args.json:
        print(json.dumps(out, indent=1, default=str))
    return 0


def cmd_synth_preview(args) -> int:
    from adfd.synthesis.preview import preview_grid

    config = load_config([Path(p) for p in args.configfile + args.sub_configfile])
    resolved = build_matrix(config).row(args.table, args.row).resolved
    if args.frames is None:
        from adfd.demo.faces import portrait_faces

        faces = portrait_faces()
    else:
        from adfd.preprocess.shards import shard_faces

        if not Path(args.frames).is_dir():
            raise UserError(f"--frames {args.frames}: no such shard directory")
        faces = shard_faces(args.frames, args.n)
    out = args.out or Path(f"results/preview/{args.table}_{args.row}.png")
    mask = resolved["synthesis"]["mask"]
    own = mask.get(mask["name"]) or {}  # the mask's own options, e.g. mask.bbmg
    title = f"{args.table} row {args.row}: mask {mask['name']} {own or ''}".strip()
    print(preview_grid(faces, resolved["synthesis"], resolved["data"], out, n=args.n,
                       seed=args.seed, title=title))  # fmt: skip
    return 0


def cmd_status(args) -> int:
    from adfd.status.command import run_status

    config = load_config([Path(p) for p in args.configfile + args.sub_configfile])
    return run_status(config, build_matrix(config), args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="adfd", description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", action="append", default=[], help="overlay config")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of a user error (bad config...)"
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("plan", help="table rows -> run ids, unique runs, evaluation jobs")
    p.add_argument("--table")
    p.add_argument(
        "--estimate",
        action="store_true",
        help="GPU-hours per table (evaluation.cost); preprocessing hours and shard disk",
    )
    p.set_defaults(func=cmd_plan)
    p = sub.add_parser("target", help="training output of one table cell (for -R)")
    p.add_argument("table")
    p.add_argument("row", type=int, help="1-based row number as printed in the paper")
    p.set_defaults(func=cmd_target)
    p = sub.add_parser("diff-rows", help="config difference of two rows, e.g. table3:4 table3:5")
    p.add_argument("a")
    p.add_argument("b")
    p.set_defaults(func=cmd_diff_rows)
    p = sub.add_parser("demo-data", help="build the embedded demo datasets")
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_demo_data)
    p = sub.add_parser("datasets", help="dataset commands")
    dsub = p.add_subparsers(dest="dcmd", required=True)
    d = dsub.add_parser(
        "check", help="expected vs found videos per split and label; non-zero on a mismatch"
    )
    d.add_argument("--probe", action="store_true", help="decode one frame of every video")
    d.add_argument("--dataset", action="append", help="only this dataset (repeatable)")
    d.add_argument("--json", help="also write the results as JSON to this file")
    d.add_argument("--configfile", dest="sub_configfile", action="append", default=[])
    d.set_defaults(func=cmd_datasets_check)
    d = dsub.add_parser("yield", help="frame and face yield of preprocessed shards")
    d.add_argument(
        "dirs",
        nargs="*",
        help="shard dirs, or folders holding shard-NNN (default: results/preprocess)",
    )
    d.add_argument("--json", action="store_true", help="print JSON instead of tables")
    d.set_defaults(func=cmd_datasets_yield)
    p = sub.add_parser("synth", help="synthesis commands")
    ssub = p.add_subparsers(dest="scmd", required=True)
    s = ssub.add_parser("preview", help="PNG grid (real, fake, mask) of one table row's pairs")
    s.add_argument("table")
    s.add_argument("row", type=int, help="1-based row number as printed in the paper")
    s.add_argument("--out", type=Path, help="PNG path (default results/preview/TABLE_ROW.png)")
    s.add_argument("--n", type=int, default=8, help="samples (columns)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--frames", help="preprocessed shard directory (default: real portraits)")
    s.add_argument("--configfile", dest="sub_configfile", action="append", default=[])
    s.set_defaults(func=cmd_synth_preview)
    from adfd.status.command import add_parser

    add_parser(sub, cmd_status)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UserError as err:
        if args.debug:
            raise
        for line in str(err).splitlines() or [type(err).__name__]:
            print(f"{parser.prog}: error: {line}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
