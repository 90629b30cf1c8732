"""One prepared device benchmark of the fast execution paths (adfd.train.fast): <= 8 min.

    python bench/gpu_suite.py              # one GPU: tf_efficientnet_b4, 380 px, 16 + 16
    python bench/gpu_suite.py --quick      # fewer steps and workers (about half the time)
    python bench/gpu_suite.py --cpu-smoke  # every section on CPU, tiny sizes (tests)
    python bench/gpu_suite.py --model tf_efficientnet_b4 --size 320 --batch-real 16

Sections, each printed as it finishes, then one table last:
1. dependencies: missing packages installed from this repository's own files only
   (requirements.txt without torch/torchvision when a CUDA torch is present,
   requirements-nodeps.txt with --no-deps, then -e .); what was installed is printed.
2. training images/s of the loop's own step (``Trainer.train_step``: one forward with
   features, SAM's two passes; random init) for (a) fp32 eager, the SBI recipe, with the
   per-step host read of the loss SBI's loop does; (b) bf16 + channels_last; (c) +
   compile (model); (d) + compile step, fused optimizer, no host synchronisation (the
   loop's default now; CUDA's sync debug mode counts the step's host syncs). Ratio to (a),
   peak GPU memory, and the hours of the paper's schedule (100 epochs x 360 steps) at that
   step time, the step alone.
3. evaluation faces/s at the training size: network only (batch evaluation.batch_size,
   fp32 and bf16 + channels_last) and adfd.evaluate.infer.score_faces end to end (crops
   read from the demo test shards).
4. detection frames/s of the production detector (retinaface_r50) at its production size,
   when this tree has it.
5. the pseudo-fake training loader (adfd.train.dataset on demo FF++ shards built on the fly
   from the packaged faces): images/s with N workers, and its wait share in one epoch of
   real training with option set (d) and prefetch.

The model, image size and real faces per step are options (``--model``, ``--size``,
``--batch-real``; --cpu-smoke sets its own). The sections: bench/gpu_deps.py (1) and
bench/gpu_sections.py (2-5).

Expected wall time on one H200 node (16 cores): about 5-6 min, most of it inductor
compiling tf_efficientnet_b4 for (c) and (d); --quick about 4 min; plus 1-3 min of pip
install on a machine without the requirements.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from gpu_deps import REPO, ensure_dependencies
from gpu_sections import (
    CONFIGS,
    bench_detector,
    bench_eval,
    bench_loader,
    bench_train,
    bench_wait_share,
)


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer steps and loader settings")
    p.add_argument("--cpu-smoke", action="store_true", help="every section on CPU, tiny sizes")
    p.add_argument("--skip-install", action="store_true", help="do not pip install anything")
    p.add_argument("--find-links", type=Path, default=None, help="offline wheel directory")
    p.add_argument("--work", type=Path, default=None, help="demo data directory (default tmp)")
    p.add_argument("--model", dest="model_name", metavar="NAME", help="tf_efficientnet_b4")
    p.add_argument("--size", dest="image_size", type=int, metavar="PX", help="image size (380)")
    p.add_argument("--batch-real", dest="batch", type=int, metavar="N", help="real faces (16)")
    args = p.parse_args(argv)
    args.model, args.size, args.batch_real = "tf_efficientnet_b4", 380, 16
    args.warmup, args.steps, args.eval_batch, args.eval_iters = 5, 30, 64, 20
    args.det_size, args.det_batch, args.det_iters = (1080, 1920), 8, 5
    args.det_max_size = None  # the production detector's max_size (config.yaml: 2048)
    args.workers, args.loader_batches, args.wait_steps = [4, 8, 16], 40, 60
    args.wait_compile = True
    if args.quick:
        args.warmup, args.steps, args.eval_iters, args.det_iters = 3, 15, 10, 3
        args.workers, args.loader_batches, args.wait_steps = [8, 16], 20, 30
    if args.cpu_smoke:
        args.model, args.size, args.batch_real = "test_efficientnet", 64, 2
        args.warmup, args.steps, args.eval_batch, args.eval_iters = 0, 1, 8, 1
        args.det_size, args.det_batch, args.det_iters = (240, 320), 2, 1
        args.det_max_size = 320  # R50 at 2048 px takes ~34 s per frame on one core
        args.workers, args.loader_batches, args.wait_steps = [0, 2], 2, 2
        args.wait_compile = False  # the compile sections already compiled on CPU
    args.model = args.model_name or args.model
    args.size = args.image_size or args.size
    args.batch_real = args.batch or args.batch_real
    return args


def main(argv=None) -> None:
    args = parse(argv)
    t_start = time.perf_counter()
    if str(REPO) not in sys.path:  # `python bench/gpu_suite.py` from anywhere
        sys.path.insert(0, str(REPO))
    installed = [] if args.skip_install else ensure_dependencies(args.find_links)
    print(f"installed: {', '.join(installed) if installed else 'nothing (all present)'}",
          flush=True)  # fmt: skip
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    import torch

    from adfd.demo.shards import build_ffpp_shards
    from adfd.preprocess.shards import training_samples

    device = torch.device("cpu" if args.cpu_smoke or not torch.cuda.is_available() else "cuda")
    if args.cpu_smoke:  # a code-path check: one thread, dynamo without inductor codegen
        from adfd.train import fast

        torch.set_num_threads(1)
        fast.COMPILE_BACKEND = "eager"
        print("cpu smoke: 1 thread, torch.compile backend 'eager' (inductor numerics: "
              "tests/train/test_fast.py)", flush=True)  # fmt: skip
    if device.type == "cpu" and not args.cpu_smoke:
        sys.exit("no CUDA device: run with --cpu-smoke for the CPU check")
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True  # as the training loop (SBI setting)
    name = torch.cuda.get_device_name() if device.type == "cuda" else "cpu"
    print(
        f"device {name}, torch {torch.__version__}, {args.model} at {args.size} px, "
        f"batch {args.batch_real}+{args.batch_real}, CPUs {os.cpu_count()}",
        flush=True,
    )
    rows, notes = [], []
    work = args.work or Path(tempfile.mkdtemp(prefix="adfd_gpu_suite_"))
    t0 = time.perf_counter()
    shards = build_ffpp_shards(work, ("train", "test"))
    samples = training_samples(shards["train"], 0.2)
    print(f"demo shards: {len(samples)} training faces in {time.perf_counter() - t0:.0f} s",
          flush=True)  # fmt: skip

    def section(fn, *a):
        try:
            out = fn(*a)
        except Exception as err:  # a failing section is reported, the others still run
            out = (
                f"{fn.__name__}{a[-1:] if isinstance(a[-1], (int, str)) else ''} FAILED: "
                f"{type(err).__name__}: {err}"
            )
        for r in out if isinstance(out, list) else [out]:
            (notes if isinstance(r, str) else rows).append(r)
            print(r, flush=True)

    for key in CONFIGS:
        section(bench_train, args, device, samples, key)
    section(bench_eval, args, device, shards["test"])
    section(bench_detector, args, device)
    for workers in args.workers:
        section(bench_loader, args, samples, workers)
    section(bench_wait_share, args, device, samples, args.workers[-1])
    base = next((r["rate"] for r in rows if r["what"].startswith("(a)")), None)
    print(
        f"\n{'section':<8}{'what':<36}{'ms/batch':>10}{'rate':>10} {'unit':<9}"
        f"{'x (a)':>6}{'peak GiB':>9}  note"
    )
    for r in rows:
        ratio = f"{r['rate'] / base:.2f}" if base and r["section"] == "train" else ""
        print(
            f"{r['section']:<8}{r['what']:<36}{r['ms']:>10.1f}{r['rate']:>10.1f} "
            f"{r['unit']:<9}{ratio:>6}{r['gib']:>9.2f}  {r['note']}"
        )
    for note in notes:
        print(note)
    print(f"wall time {time.perf_counter() - t_start:.0f} s ({name})")


if __name__ == "__main__":
    main()
