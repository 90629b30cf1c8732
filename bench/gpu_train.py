"""GPU benchmark of one training step (SAM, §4.1) in fp32 vs bf16 + channels_last, and of
the training loader alone. One prepared script for a <= 8-minute run on one GPU:

    PYTHONPATH=. python3 bench/gpu_train.py                      # tf_efficientnet_b4, 380 px
    PYTHONPATH=. python3 bench/gpu_train.py --model test_efficientnet --size 64 \\
        --batch-real 4 --steps 2 --warmup 1                      # CPU smoke test

The step is the loop's: one forward giving features and logits, cross-entropy, SAM's two
passes (adfd.train.model/sam). Inputs are real face crops (skimage's astronaut). The loader
part needs the synthesis stack (albumentations, OpenCV) and preprocessed shards
(``--shards``); without them it is skipped with the reason. Prints a table last.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from adfd.train.model import autocast, create_model, features_and_logits
from adfd.train.sam import SAM


def face_batch(n: int, size: int) -> torch.Tensor:
    from skimage import data
    from skimage.transform import resize

    face = data.astronaut()[20:260, 140:340].astype(np.float32) / 255
    rng = np.random.default_rng(0)
    crops = []
    for _ in range(n):
        y, x = rng.integers(0, 20, 2)
        crop = resize(face[y : y + 220, x : x + 180], (size, size), anti_aliasing=False)
        crops.append(crop.transpose(2, 0, 1))
    return torch.from_numpy(np.stack(crops)).float()


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench_step(args, device, precision: str, channels_last: bool) -> dict:
    torch.manual_seed(0)
    model = create_model({"name": args.model, "pretrained": None}).to(device).train()
    images = face_batch(2 * args.batch_real, args.size).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    labels = torch.cat([torch.zeros(args.batch_real), torch.ones(args.batch_real)]).long()
    labels = labels.to(device)
    opt = SAM(model.parameters(), torch.optim.SGD, rho=0.05, lr=1e-3, momentum=0.9)

    def step():
        with autocast(device, precision):
            _, logits = features_and_logits(model, images)
        F.cross_entropy(logits.float(), labels).backward()
        opt.first_step()
        with autocast(device, precision):
            logits2 = model(images)
        F.cross_entropy(logits2.float(), labels).backward()
        opt.second_step()

    for _ in range(args.warmup):
        step()
    sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    sync(device)
    dt = (time.perf_counter() - t0) / args.steps
    mem = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else float("nan")
    name = f"step {precision}{' + channels_last' if channels_last else ''}"
    return {"what": name, "ms": 1000 * dt, "img_s": 2 * args.batch_real / dt, "gib": mem}


def bench_loader(args, workers: int) -> dict | str:
    try:
        from adfd.data.shards import training_samples
        from adfd.train.dataset import PairDataset, collate_pairs
    except ImportError as err:  # e.g. no albumentations on the GPU image
        return f"loader skipped: {err}"
    if not args.shards:
        return "loader skipped: no --shards (preprocessed FF++ train shards) given"
    from adfd.config import load_config

    experiment = load_config()["baseline"]
    experiment["data"]["image_size"] = args.size
    dataset = PairDataset(training_samples([Path(p) for p in args.shards]), experiment, 5)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=args.batch_real, shuffle=True, num_workers=workers,
        collate_fn=collate_pairs, drop_last=True,
    )  # fmt: skip
    n, t0 = 0, None
    for i, (images, _) in enumerate(loader):
        if i == 1:  # the first batch pays for worker start-up
            t0, n = time.perf_counter(), 0
        elif i > 1:
            n += images.shape[0]
        if i > args.loader_batches:
            break
    if t0 is None or n == 0:
        return f"loader skipped: fewer than {args.loader_batches + 2} batches in the shards"
    dt = time.perf_counter() - t0
    return {"what": f"loader {workers} workers", "ms": 1000 * dt / (n / (2 * args.batch_real)),
            "img_s": n / dt, "gib": float("nan")}  # fmt: skip


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="tf_efficientnet_b4")
    p.add_argument("--size", type=int, default=380)
    p.add_argument("--batch-real", type=int, default=16, help="16 real + 16 fake (§4.1)")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--shards", nargs="*", default=[], help="preprocessed shard directories")
    p.add_argument("--workers", type=int, nargs="*", default=[4, 8, 16])
    p.add_argument("--loader-batches", type=int, default=20)
    args = p.parse_args(argv)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True  # as the training loop
    print(f"device {torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'}, "
          f"torch {torch.__version__}, model {args.model} at {args.size} px, "
          f"batch {args.batch_real}+{args.batch_real}", flush=True)  # fmt: skip
    rows, notes = [], []
    for precision, channels_last in (("fp32", False), ("bf16", True)):
        rows.append(bench_step(args, device, precision, channels_last))
        print(rows[-1], flush=True)
    for workers in args.workers:
        result = bench_loader(args, workers)
        if isinstance(result, str):
            notes.append(result)
            print(result, flush=True)
            break
        rows.append(result)
        print(rows[-1], flush=True)
    print(f"\n{'what':<28}{'ms/step':>10}{'images/s':>10}{'peak GiB':>10}")
    for r in rows:
        print(f"{r['what']:<28}{r['ms']:>10.1f}{r['img_s']:>10.1f}{r['gib']:>10.2f}")
    if len(rows) >= 2:
        print(f"bf16 + channels_last speed-up: {rows[1]['img_s'] / rows[0]['img_s']:.2f}x")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
