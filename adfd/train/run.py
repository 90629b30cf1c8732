"""One training run (``train_detector``'s job): set up, resume, train, write the outputs.

``run`` builds the pseudo-fake dataset from the training shards, the checkpoint policy
(with SBI's validation for ``best_val``) and the :class:`adfd.train.loop.Trainer`, resumes
from the state the loop saved (``adfd.train.state``), trains the remaining epochs and hands
the trainer to ``finish``, which writes model.pt, config.yaml and train_summary.json. The
final state outlives the outputs until the model's first consumer releases it (see ``run``).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import torch
import yaml

from adfd.preprocess.shards import training_samples
from adfd.provenance import environment
from adfd.registries import CHECKPOINTS
from adfd.train import fast
from adfd.train import state as st
from adfd.train.dataset import PairDataset
from adfd.train.learning import loss_figures
from adfd.train.loop import Trainer
from adfd.train.model import save_model
from adfd.train.nrs import NRS
from adfd.train.validate import sbi_validation

log = logging.getLogger(__name__)


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
    """Train one run into ``out_dir`` (model.pt, config.yaml, train_summary.json).

    The final state in ``state_dir`` outlives the outputs: a job killed after writing them
    but before the workflow registered them reruns into the same outputs without training.
    The first consumer of the model releases it (``adfd.train.state.release``); a final
    state written by different code (``code_fingerprint``) is discarded and the run retrains.
    """
    cfg_train = experiment["train"]
    policy_cls = CHECKPOINTS.get(cfg_train["checkpoint"])
    NRS(experiment["nrs"], seed=seed, reals_per_epoch=None)  # fail fast before any work
    torch.set_num_threads(max(1, threads))
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = True  # as SBI
    torch.backends.cudnn.benchmark = False
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    # the GPU this job was given (Slurm sets CUDA_VISIBLE_DEVICES for --gpus jobs)
    log.info("device %s, CUDA_VISIBLE_DEVICES=%s", device,
             os.environ.get("CUDA_VISIBLE_DEVICES", "unset"))  # fmt: skip

    data_cfg = experiment["data"]
    margin = max(float(data_cfg["train_margin"][1]), float(data_cfg["test_margin"]))
    dataset = PairDataset(training_samples(train_shards, margin), experiment, seed)
    if len(dataset) < cfg_train["batch_real"]:
        raise ValueError(
            f"{len(dataset)} training faces < one batch of {cfg_train['batch_real']} "
            "(train.batch_real)"
        )
    if policy_cls.needs_val:
        if not val_shards:
            raise ValueError("train.checkpoint best_val needs validation shards (FF++ val)")
        evaluate = sbi_validation(
            training_samples(val_shards, margin), experiment, seed, device=device,
            workers=cfg_train["workers"], batch_real=2 * cfg_train["batch_real"],
        )  # fmt: skip
        policy = policy_cls(evaluate=evaluate)
    else:
        policy = policy_cls()
    trainer = Trainer(experiment, seed, dataset, policy, device, allow_download)
    state_path = state_dir / "state.pt"
    state = st.load_state(state_path)
    if (
        state is not None
        and state["epoch"] >= trainer.epochs
        and state.get("code") != st.code_fingerprint()
    ):
        log.warning("final state %s was written by other code: retraining", state_path)
        state_path.unlink()
        state = None
    if state is not None:
        trainer.load_state_dict(state)
        if trainer.epoch >= trainer.epochs:
            log.info("training had finished (%s, epoch %d/%d): writing its outputs without "
                     "training", state_path, trainer.epoch, trainer.epochs)  # fmt: skip
        else:
            log.info("resumed from %s at epoch %d step %d", state_path, trainer.epoch + 1,
                     trainer.step)  # fmt: skip
    with st.StopFlag() as flag:
        while trainer.epoch < trainer.epochs:
            trainer.run_epoch(flag, state_path, cfg_train["workers"])
            st.save_state(state_path, trainer.state_dict())
            if flag.signum is not None and trainer.epoch < trainer.epochs:
                raise st.Preempted(flag.signum)
    return finish(trainer, experiment, seed, out_dir, state_path, provenance, len(dataset))


def finish(trainer, experiment, seed, out_dir, state_path, provenance, n_faces):
    cfg_train = experiment["train"]
    model = trainer.policy.select(trainer.model)
    selection = trainer.policy.record()
    execution = fast.execution_record(cfg_train, trainer.device)
    model_cfg = experiment["model"]
    meta = {
        "model_name": model_cfg["name"],
        "bn_momentum": model_cfg.get("bn_momentum"),
        "bn_eps": model_cfg.get("bn_eps"),
        "image_size": experiment["data"]["image_size"],
        "test_margin": experiment["data"]["test_margin"],
        "checkpoint": cfg_train["checkpoint"],
        "checkpoint_epoch": selection["epoch"],
        "seed": seed,
        **{f"train_{k}": v for k, v in execution.items() if k not in ("device", "torch")},
    }
    save_model(out_dir / "model.pt", model.to(memory_format=torch.contiguous_format).cpu(), meta)
    (out_dir / "config.yaml").write_text(yaml.safe_dump(experiment, sort_keys=True))
    summary = {
        "run_id": out_dir.name,
        "seed": seed,
        "epochs": trainer.epochs,
        "train_faces": n_faces,
        "steps_per_epoch": trainer.steps,
        "batch_real": trainer.batch,
        "history": trainer.history,
        **loss_figures(trainer.history),  # final_loss, min_loss, left_ln2
        "checkpoint_policy": cfg_train["checkpoint"],
        "checkpoint": selection,
        "precision": cfg_train["precision"],
        "channels_last": cfg_train["channels_last"],
        "execution": execution,
        "model": model_cfg["name"],
        "image_size": experiment["data"]["image_size"],
        "bn_momentum": model_cfg.get("bn_momentum"),
        "bn_eps": model_cfg.get("bn_eps"),
        "optimizer": experiment["optim"]["name"],
        "nrs": experiment["nrs"],
        "max_steps": cfg_train.get("max_steps"),
        "device": device_info(trainer.device),
        "step_seconds": _median([h.get("step_seconds") for h in trainer.history]),
        "redraws": sum(h.get("redraws", 0) for h in trainer.history),
        "max_redraw_fraction": cfg_train["max_redraw_fraction"],
        "steps_run": trainer.steps_run,  # by the process that wrote these outputs
        "provenance": {**provenance, "environment": environment()},
    }
    (out_dir / "train_summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True))
    # state_path stays until a consumer of model.pt releases it (see run())
    return summary


def device_info(device: torch.device) -> dict[str, str]:
    """Kind (cpu | cuda) and name of the training device, the key of cost calibration."""
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    return {"kind": device.type, "name": name}


def _median(values: list[float | None]) -> float | None:
    present = sorted(v for v in values if v is not None)
    return present[len(present) // 2] if present else None
