"""Benchmark: one SAM training step and evaluation throughput of the detector (§4.1 recipe).

Prints ms per step, images/s and the implied hours for the paper's schedule
(100 epochs x 360 steps: 720 FF++ videos x 8 frames / 16 real faces per step), for each
model/size given. Inputs are real face crops (skimage's astronaut) jittered per image.

    python bench/train_step.py --model tf_efficientnet_b4 --size 380 --batch-real 16
    python bench/train_step.py --model test_efficientnet --size 128 --batch-real 8
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import torch
from skimage import data

from adfd.train.model import create_model
from adfd.train.sam import SAM

STEPS_PER_EPOCH, EPOCHS = 360, 100  # SBI: 5,760 real frames / 16 per step, 100 epochs


def face_batch(n: int, size: int, device: torch.device) -> torch.Tensor:
    face = data.astronaut()[20:260, 140:340]  # the astronaut's face and hair
    rng = np.random.default_rng(0)
    crops = []
    for _ in range(n):
        dx, dy = rng.integers(-10, 11, size=2)
        shifted = np.roll(face, (int(dy), int(dx)), axis=(0, 1))
        crops.append(cv2.resize(shifted, (size, size), interpolation=cv2.INTER_LINEAR))
    x = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float() / 255.0
    return x.to(device)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench(model_name: str, size: int, batch_real: int, steps: int, warmup: int) -> None:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.deterministic = True  # as training (SBI setting)
    torch.backends.cudnn.benchmark = False
    rates = {"drop_rate": 0.4, "drop_path_rate": 0.2}  # SBI's b4 (config.yaml)
    model = create_model({"name": model_name, "pretrained": None, **rates}).to(device)
    opt = SAM(model.parameters(), torch.optim.SGD, rho=0.05, lr=1e-3, momentum=0.9)
    x = face_batch(2 * batch_real, size, device)
    y = torch.cat([torch.zeros(batch_real), torch.ones(batch_real)]).long().to(device)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    for i in range(warmup + steps):
        if i == warmup:
            sync(device)
            t0 = time.perf_counter()
        loss_fn(model(x), y).backward()
        opt.first_step()
        loss_fn(model(x), y).backward()
        opt.second_step()
    sync(device)
    step = (time.perf_counter() - t0) / steps
    model.eval()
    xe = face_batch(64, size, device)
    with torch.inference_mode():
        for _ in range(2):
            model(xe)
        sync(device)
        t1 = time.perf_counter()
        for _ in range(steps):
            model(xe)
        sync(device)
    infer = (time.perf_counter() - t1) / steps
    hours = step * STEPS_PER_EPOCH * EPOCHS / 3600
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"
    print(
        f"{name} | {model_name} {size}px | train step {2 * batch_real} img: {step * 1e3:.1f} ms "
        f"({2 * batch_real / step:.0f} img/s) -> {hours:.2f} h for 100 epochs (model only) | "
        f"eval {64 / infer:.0f} faces/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", default=[])
    parser.add_argument("--size", type=int, action="append", default=[])
    parser.add_argument("--batch-real", type=int, default=16)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    models = args.model or ["tf_efficientnet_b4"]
    sizes = args.size or [380] * len(models)
    for model_name, size in zip(models, sizes, strict=True):
        bench(model_name, size, args.batch_real, args.steps, args.warmup)


if __name__ == "__main__":
    main()
