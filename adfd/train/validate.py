"""Checkpoint policies (docs/sbi-recipe.md §4 "Validation", "Checkpoints").

``last``: the final epoch (SBI README). ``best_val``: the epoch with the best frame-level
AUC on a held-out *SBI validation set*: the FF++ validation real videos with their
pseudo-fakes built with ``train=False`` (no flip, no pair augmentation, fixed 12.5 %
margin), identical in every epoch (SBI seeds numpy with 5 before validating; here every
item draws from ``default_rng([seed, VAL_EPOCH, index])``). Ties favour the later epoch.
Never test data.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch

from adfd.registries import CHECKPOINTS
from adfd.train.dataset import PairDataset, collate_pairs
from adfd.train.state import ignore_stop_signals

VAL_EPOCH = 2**31 - 1  # fixed generator key of the validation pairs, apart from training


@CHECKPOINTS.register("last")
class KeepLast:
    """SBI README: use the latest checkpoint."""

    needs_val = False

    def __init__(self, **_: Any):
        self.epoch: int | None = None

    def update(self, epoch: int, model: torch.nn.Module) -> None:
        self.epoch = epoch

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch = state["epoch"]

    def select(self, model: torch.nn.Module) -> torch.nn.Module:
        return model

    def record(self) -> dict[str, Any]:
        return {"policy": "last", "epoch": self.epoch}


@CHECKPOINTS.register("best_val")
class BestVal:
    """Keep the weights of the epoch with the highest SBI-validation frame AUC (>= wins)."""

    needs_val = True

    def __init__(self, *, evaluate):
        self.evaluate = evaluate
        self.epoch: int | None = None
        self.auc = -np.inf
        self.weights: dict[str, torch.Tensor] | None = None
        self.last_auc: float | None = None

    def update(self, epoch: int, model: torch.nn.Module) -> None:
        auc = self.evaluate(model)
        self.last_auc = auc
        if auc >= self.auc:  # ties favour later epochs, as SBI's top-5 replacement
            self.epoch, self.auc = epoch, auc
            self.weights = {
                k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()
            }

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "auc": float(self.auc), "weights": self.weights}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch, self.auc, self.weights = state["epoch"], state["auc"], state["weights"]

    def select(self, model: torch.nn.Module) -> torch.nn.Module:
        if self.weights is not None:
            model.load_state_dict(self.weights)
        return model

    def record(self) -> dict[str, Any]:
        return {"policy": "best_val", "epoch": self.epoch, "val_auc": float(self.auc)}


log = logging.getLogger(__name__)


def sbi_validation(
    samples: list[dict[str, Any]],
    experiment: dict[str, Any],
    seed: int,
    *,
    device: torch.device,
    workers: int = 0,
    batch_real: int = 32,
):
    """A function model -> frame-level AUC on the fixed SBI validation pairs."""
    dataset = PairDataset(samples, experiment, seed, train=False)
    dataset.set_epoch(VAL_EPOCH)

    @torch.no_grad()
    def evaluate(model: torch.nn.Module) -> float:
        loader = torch.utils.data.DataLoader(
            dataset,
            batch_size=batch_real,
            shuffle=False,
            num_workers=workers,
            collate_fn=collate_pairs,
            worker_init_fn=ignore_stop_signals,
            generator=torch.Generator().manual_seed(seed),
        )
        was_training = model.training
        model.eval()
        scores, labels, redrawn = [], [], 0
        for images, y, redraws in loader:
            logits = model(images.to(device)).float()
            scores.append(torch.softmax(logits, dim=1)[:, 1].cpu().numpy())
            labels.append(y.numpy())
            redrawn += len(redraws)
        model.train(was_training)
        if redrawn:
            log.warning("validation: %d samples failed synthesis and were redrawn", redrawn)
        from sklearn.metrics import roc_auc_score  # here: ~1 s of import for runs without val

        return float(roc_auc_score(np.concatenate(labels), np.concatenate(scores)))

    return evaluate
