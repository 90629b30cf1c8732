"""The training loop of Algorithm 1 with SAM (§4.1) and resumable per-epoch state.

Per step: 16 real faces and their 16 pseudo-fakes (Alg. 1 lines 4-8), cross-entropy
(Eq. 7-8; the NRS weights of Eq. 5-6/9 when enabled), a SAM step. After each epoch the
full state is written atomically to ``state_dir`` (outside the rule's outputs), so a
killed or requeued job resumes at the last finished epoch with identical results.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from adfd.provenance import environment
from adfd.registries import CHECKPOINTS, NRS_DISTANCES, NRS_FILTERS
from adfd.train.dataset import PairDataset, collate_pairs
from adfd.train.model import create_model, load_checkpoint, save_model
from adfd.train.sam import SAM, linear_decay

log = logging.getLogger(__name__)


@CHECKPOINTS.register("last")
def keep_last(model: torch.nn.Module, **_: Any) -> torch.nn.Module:
    """SBI README: use the latest checkpoint."""
    return model


def training_samples(shards: list[Path]) -> list[dict[str, Any]]:
    from adfd.data.shards import load_shards, training_faces

    _, faces = load_shards(shards)
    rows = training_faces(faces)
    return [
        {"frame_path": r.frame_file, "landmarks": r.landmarks, "box": r.box}
        for r in rows.itertuples(index=False)
    ]


def run(
    *,
    experiment: dict[str, Any],
    seed: int,
    train_shards: list[Path],
    val_shards: list[Path],
    out_dir: Path,
    state_dir: Path,
    provenance: dict[str, Any],
    threads: int = 1,
    allow_download: bool = False,
) -> dict[str, Any]:
    cfg_train, cfg_nrs = experiment["train"], experiment["nrs"]
    select_checkpoint = CHECKPOINTS.get(cfg_train["checkpoint"])
    if cfg_nrs["enabled"]:  # resolved now so a missing implementation fails before training
        NRS_FILTERS.get(cfg_nrs["filter"])
        NRS_DISTANCES.get(cfg_nrs["distance"])
    torch.set_num_threads(max(1, threads))
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = True  # as SBI
    torch.backends.cudnn.benchmark = False
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    dataset = PairDataset(training_samples(train_shards), experiment, seed)
    batch = cfg_train["batch_real"]
    steps = len(dataset) // batch
    if steps == 0:
        raise ValueError(f"{len(dataset)} training faces < one batch of {batch} (train.batch_real)")
    model = create_model(experiment["model"], allow_download=allow_download).to(device)
    opt = experiment["optim"]
    optimizer = SAM(
        model.parameters(),
        torch.optim.SGD,
        rho=opt["rho"],
        lr=opt["lr"],
        momentum=opt["momentum"],
        weight_decay=opt["weight_decay"],
    )
    epochs = cfg_train["epochs"]
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer.base_optimizer, linear_decay(epochs, experiment["schedule"]["start_decay"])
    )
    state_path = state_dir / "state.pt"
    start, history = 0, []
    if state_path.exists():
        state = load_checkpoint(state_path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        start, history = state["epoch"], json.loads(state["history"])
        log.info("resumed from %s at epoch %d", state_path, start)

    criterion = torch.nn.CrossEntropyLoss()
    for epoch in range(start, epochs):
        dataset.set_epoch(epoch)
        order = np.random.default_rng([seed, epoch, 1]).permutation(len(dataset)).tolist()
        loader = torch.utils.data.DataLoader(
            dataset,
            batch_size=batch,
            sampler=order,
            drop_last=True,
            num_workers=cfg_train["workers"],
            collate_fn=collate_pairs,
            pin_memory=device.type == "cuda",
        )
        model.train()
        t0, wait, losses, seen = time.perf_counter(), 0.0, [], 0
        t_fetch = time.perf_counter()
        for images, labels in loader:
            wait += time.perf_counter() - t_fetch
            images, labels = images.to(device), labels.to(device)
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.first_step()
            criterion(model(images), labels).backward()
            optimizer.second_step()
            losses.append(float(loss.detach()))
            seen += images.shape[0]
            t_fetch = time.perf_counter()
        scheduler.step()
        elapsed = time.perf_counter() - t0
        record = {
            "epoch": epoch + 1,
            "loss": float(np.mean(losses)),
            "lr": optimizer.param_groups[0]["lr"],
            "images_per_s": seen / elapsed,
            "loader_wait_share": wait / elapsed,
        }
        history.append(record)
        log.info("epoch %(epoch)d loss %(loss).4f lr %(lr).2e %(images_per_s).1f img/s "
                 "loader wait %(loader_wait_share).0f%%", {**record, "loader_wait_share":
                 100 * record["loader_wait_share"]})  # fmt: skip
        _save_state(state_path, model, optimizer, scheduler, epoch + 1, history)

    model = select_checkpoint(model)
    meta = {
        "model_name": experiment["model"]["name"],
        "image_size": experiment["data"]["image_size"],
        "test_margin": experiment["data"]["test_margin"],
        "checkpoint": cfg_train["checkpoint"],
        "seed": seed,
    }
    save_model(out_dir / "model.pt", model.cpu(), meta)
    (out_dir / "config.yaml").write_text(yaml.safe_dump(experiment, sort_keys=True))
    summary = {
        "run_id": out_dir.name,
        "seed": seed,
        "epochs": epochs,
        "train_faces": len(dataset),
        "steps_per_epoch": steps,
        "history": history,
        "checkpoint_policy": cfg_train["checkpoint"],
        "provenance": {**provenance, "environment": environment()},
    }
    (out_dir / "train_summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True))
    # The outputs are now the record; a forced rerun (-R) must retrain, not resume.
    state_path.unlink(missing_ok=True)
    return summary


def _save_state(path: Path, model, optimizer, scheduler, epoch: int, history: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "epoch": epoch,
            "history": json.dumps(history),
        },
        tmp,
    )
    os.replace(tmp, path)
