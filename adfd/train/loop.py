"""The training loop of Algorithm 1 with SAM (§4.1), NRS (Eq. 5-9) and preemption safety.

Per step: 16 real faces and their 16 pseudo-fakes (Alg. 1 lines 4-8), one forward giving
the pre-classifier features and the logits, the loss (plain cross-entropy before T_k, the
NRS-weighted Eq. 9 after), a SAM step (``optim.name: sgd`` / ``adamw``: one plain SGD /
AdamW step instead).
NRS features, probabilities and weights come from SAM's first pass; the weights are
detached and reused in the second pass. The full state is saved atomically after every
epoch and at the next step boundary after SIGTERM/SIGUSR1 (``adfd.train.state``); a rerun
resumes at that step with bit-identical results (:mod:`adfd.train.run` sets a run up,
resumes it and writes its outputs).

The step never waits for the device: loss and NRS statistics accumulate in device tensors
that are read once per epoch, for its log line (``train.*`` execution options:
``adfd.train.fast``).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from adfd.train import fast
from adfd.train import state as st
from adfd.train.dataset import collate_pairs
from adfd.train.model import autocast, create_model, plain_state_dict
from adfd.train.nrs import NRS, weighted_loss
from adfd.train.sam import linear_decay

log = logging.getLogger(__name__)


class Trainer:
    """Model, optimiser, schedule, NRS and checkpoint policy of one run, with its state."""

    def __init__(self, experiment, seed, dataset, policy, device, allow_download):
        self.experiment, self.seed, self.dataset, self.policy = experiment, seed, dataset, policy
        self.device = device
        cfg = experiment["train"]
        self.batch, self.epochs = cfg["batch_real"], cfg["epochs"]
        self.steps = steps_per_epoch(len(dataset), self.batch, cfg.get("max_steps"))
        fast.check_options(cfg, experiment["optim"])
        self.precision, self.channels_last = cfg["precision"], cfg["channels_last"]
        self.prefetch = bool(cfg.get("prefetch", False))
        model = create_model(experiment["model"], allow_download=allow_download, seed=seed)
        self.model = model.to(device)
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        # The module stays eager (plain state dict keys); the step calls this function.
        self.forward = fast.forward_fn(self.model, cfg)
        self.sam = experiment["optim"]["name"] == "sam"
        self.optimizer = fast.make_optimizer(self.model.parameters(), experiment["optim"], cfg)
        base = self.optimizer.base_optimizer if self.sam else self.optimizer
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            base,
            linear_decay(self.epochs, experiment["schedule"]["start_decay"]),
        )
        self.nrs = NRS(experiment["nrs"], seed=seed, reals_per_epoch=self.steps * self.batch)
        # replaced samples allowed per epoch before the run fails (train.max_redraw_fraction)
        self.max_redraws = int(cfg["max_redraw_fraction"] * self.steps * self.batch)
        self.redrawn: list[list[str]] = []  # this epoch's [sample, error] pairs
        self.epoch, self.step, self.history = 0, 0, []  # epoch: finished epochs (0-based next)
        self.stats = new_stats()
        self.steps_run = 0  # optimisation steps run by this process (not saved)
        self.acc = self._device_acc()

    def _device_acc(self) -> torch.Tensor:
        """Device accumulators (float64): loss sum, noisy fakes, fake weight sum, fakes."""
        keys = ("loss_sum", "noise", "fake_weight_sum", "fakes")
        return torch.tensor([self.stats[k] for k in keys], dtype=torch.float64, device=self.device)

    def _flush_acc(self) -> None:
        """Move the device accumulators into ``stats`` (one host synchronisation)."""
        for key, value in zip(("loss_sum", "noise", "fake_weight_sum", "fakes"),
                              self.acc.tolist(), strict=True):  # fmt: skip
            self.stats[key] = value

    # -- state -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        self._flush_acc()
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "epoch": self.epoch,
            "step": self.step,
            "rng": st.rng_state(),
            "nrs": self.nrs.state_dict(),
            "policy": self.policy.state_dict(),
            "stats": self.stats,
            "history": json.dumps(self.history),
            "redrawn": json.dumps(self.redrawn),
            "code": st.code_fingerprint(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(plain_state_dict(state["model"]))
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.epoch, self.step = state["epoch"], state["step"]
        st.set_rng_state(state["rng"])
        self.nrs.load_state_dict(state["nrs"])
        self.policy.load_state_dict(state["policy"])
        self.stats = {**new_stats(), **state["stats"]}
        self.acc = self._device_acc()
        self.history = json.loads(state["history"])
        self.redrawn = json.loads(state.get("redrawn", "[]"))  # states saved before redraws

    # -- one epoch -----------------------------------------------------------------------
    def loader(self, epoch: int, start_step: int, workers: int):
        self.dataset.set_epoch(epoch)
        order = np.random.default_rng([self.seed, epoch, 1]).permutation(len(self.dataset))
        positions = order[: self.steps * self.batch][start_step * self.batch :].tolist()
        return torch.utils.data.DataLoader(
            self.dataset,
            batch_size=self.batch,
            sampler=positions,
            drop_last=True,
            num_workers=workers,
            collate_fn=collate_pairs,
            pin_memory=self.device.type == "cuda",
            worker_init_fn=st.ignore_stop_signals,
            # Own generator: creating an iterator never consumes the global torch RNG.
            generator=torch.Generator().manual_seed(self.seed),
            persistent_workers=False,
        )

    def train_step(self, images, labels, positions, reals=None) -> None:
        """One SAM step; ``reals``: indices of the real images (host tensor; default: the
        first ``len(positions)`` rows, as collate_pairs orders them). Never synchronises."""
        if reals is None:
            reals = torch.arange(len(positions))
        with autocast(self.device, self.precision):
            features, logits = self.forward(images)
        weights, n_noise = self.nrs.weights(features.float(), labels)
        loss = weighted_loss(logits.float(), labels, weights)
        loss.backward()
        self.nrs.observe(features.float(), logits, reals, positions)
        if self.sam:
            self.optimizer.first_step()
            with autocast(self.device, self.precision):
                _, logits2 = self.forward(images)
            weighted_loss(logits2.float(), labels, weights).backward()
            self.optimizer.second_step()
        else:  # optim.name: sgd | adamw, one forward/backward per step
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
        self.stats["steps"] += 1
        self.stats["images"] += images.shape[0]
        self.acc[0] += loss.detach().double()
        if weights is not None:
            fake = labels == 1
            self.acc[1:] += torch.stack(
                [n_noise.double(), (weights * fake).sum().double(), fake.sum().double()]
            )

    def run_epoch(self, flag: st.StopFlag, state_path: Path, workers: int) -> None:
        epoch = self.epoch
        if self.step == 0:
            self.nrs.start_epoch(epoch + 1)
        self.model.train()
        loader = self.loader(epoch, self.step, workers)
        layout = torch.channels_last if self.channels_last else None
        if self.prefetch:
            loader = fast.Prefetcher(loader, self.device, layout)
        bar = _progress(loader, epoch, self.epochs, self.step)
        t_fetch, first = time.perf_counter(), True
        for images, labels, redraws in bar:
            self.stats["wait"] += time.perf_counter() - t_fetch
            self.count_redraws(redraws, epoch)
            t_step = time.perf_counter()
            reals = torch.arange(self.batch)  # collate_pairs: reals first
            if not self.prefetch:
                images, labels = images.to(self.device), labels.to(self.device)
                if layout is not None:
                    images = images.contiguous(memory_format=layout)
            positions = torch.arange(self.batch) + self.step * self.batch
            self.train_step(images, labels, positions, reals)
            self.step += 1
            now = time.perf_counter()
            self.stats["busy"] += now - t_step
            self.steps_run += 1
            if not first:  # the first step of a loader pays worker start-up and warm-up
                self.stats["timed_steps"] += 1
                self.stats["timed_s"] += now - t_fetch
            first = False
            if flag.signum is not None:
                st.save_state(state_path, self.state_dict())
                log.warning("state saved at epoch %d step %d", epoch + 1, self.step)
                raise st.Preempted(flag.signum)
            t_fetch = time.perf_counter()
        t_sync = time.perf_counter()
        self._flush_acc()  # the epoch's one wait for the device
        self.stats["busy"] += time.perf_counter() - t_sync
        self.stats["lr"] = self.optimizer.param_groups[0]["lr"]
        self.scheduler.step()
        self.nrs.end_epoch()
        with autocast(self.device, self.precision):
            self.policy.update(epoch + 1, self.model)
        self.history.append(self.epoch_record(epoch))
        self.epoch, self.step, self.stats, self.redrawn = epoch + 1, 0, new_stats(), []
        self.acc = self._device_acc()

    def count_redraws(self, redraws, epoch: int) -> None:
        """Keep the batch's replaced samples; fail above the epoch's allowance."""
        if not redraws:
            return
        self.redrawn.extend([r.sample, r.error] for r in redraws)
        for sample, error in redraws:
            log.warning("epoch %d: sample %s failed synthesis (%s): redrawn", epoch + 1,
                        sample, error)  # fmt: skip
        if len(self.redrawn) > self.max_redraws:
            listed = "; ".join(f"{s} ({e})" for s, e in self.redrawn[:10])
            raise RuntimeError(
                f"epoch {epoch + 1}: {len(self.redrawn)} samples failed synthesis, more than "
                f"train.max_redraw_fraction allows ({self.max_redraws} of "
                f"{self.steps * self.batch} per epoch): {listed}"
            )

    def epoch_record(self, epoch: int) -> dict[str, Any]:
        s = self.stats
        elapsed = max(1e-9, s["wait"] + s["busy"])
        record = {
            "epoch": epoch + 1,
            "loss": s["loss_sum"] / max(1, s["steps"]),
            "lr": s["lr"],
            "images_per_s": s["images"] / elapsed,
            "loader_wait_share": s["wait"] / elapsed,
            "nrs_noise": int(s["noise"]) if s["fakes"] else None,
            "nrs_mean_weight": s["fake_weight_sum"] / s["fakes"] if s["fakes"] else None,
            # loop wall time per step (loader wait + step), first step of the epoch excluded
            "step_seconds": s["timed_s"] / s["timed_steps"] if s["timed_steps"] else None,
            # samples whose synthesis raised, replaced by a seeded redraw
            "redraws": len(self.redrawn),
            "redrawn_samples": sorted({sample for sample, _ in self.redrawn}),
        }
        if getattr(self.policy, "last_auc", None) is not None:
            record["val_auc"] = self.policy.last_auc
        log.info(
            "epoch %d/%d loss %.4f lr %.2e %.1f img/s loader wait %.0f%% nrs noise %s "
            "mean weight %s redrawn %d%s", record["epoch"], self.epochs, record["loss"],
            record["lr"], record["images_per_s"], 100 * record["loader_wait_share"],
            "-" if record["nrs_noise"] is None else record["nrs_noise"],
            "-" if record["nrs_mean_weight"] is None else f"{record['nrs_mean_weight']:.4f}",
            record["redraws"], f" val AUC {record['val_auc']:.4f}" if "val_auc" in record else "",
        )  # fmt: skip
        return record


def new_stats() -> dict[str, float]:
    keys = (
        "lr",
        "loss_sum",
        "steps",
        "images",
        "wait",
        "busy",
        "noise",
        "fake_weight_sum",
        "fakes",
        "timed_steps",
        "timed_s",
    )
    return dict.fromkeys(keys, 0.0)


def steps_per_epoch(faces: int, batch: int, max_steps: int | None) -> int:
    """Optimisation steps per epoch: full batches of the training faces (drop_last), capped
    at ``train.max_steps`` when set (a smoke-test knob; null in the paper's recipe)."""
    steps = faces // batch
    return steps if max_steps is None else min(steps, int(max_steps))


def _progress(loader, epoch: int, epochs: int, start: int):
    if not sys.stderr.isatty():
        return loader
    from tqdm import tqdm

    return tqdm(
        loader, desc=f"epoch {epoch + 1}/{epochs}", initial=start,
        total=start + len(loader), leave=False, dynamic_ncols=True,
    )  # fmt: skip
