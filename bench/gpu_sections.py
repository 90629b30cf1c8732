"""Sections 2-5 of bench/gpu_suite.py: training step, evaluation, detection, loader.

Each ``bench_*`` returns its table row(s) (``section, what, ms, rate, unit, gib, note``);
torch and adfd are imported inside them, after bench/gpu_deps.py has installed what is
missing.
"""

from __future__ import annotations

import copy
import tempfile
import time
import warnings
from pathlib import Path

STEPS_PER_EPOCH, EPOCHS = 360, 100  # SBI: 5,760 real frames / 16 per step, 100 epochs


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
    hours = dt * STEPS_PER_EPOCH * EPOCHS / 3600  # the paper's schedule, the step alone
    return {"section": "train", "what": f"({key}) {label}", "ms": 1000 * dt,
            "rate": 2 * args.batch_real / dt, "unit": "img/s", "gib": peak_gib(device),
            "note": f"first step {first:.0f} s; host syncs/step {syncs}; "
                    f"{hours:.2f} h for {EPOCHS} x {STEPS_PER_EPOCH} steps"}  # fmt: skip


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
