"""Training samples: one real face per item, paired with its pseudo-fake (Alg. 1 lines 4-6).

Every item draws from its own generator ``default_rng([seed, epoch, index])``, so the
pseudo-fakes do not depend on the number of loader workers, on their scheduling, or on
where a resumed run restarts.

A sample whose synthesis raises (e.g. a landmark/detector pair whose box lies outside the
landmark crop) is replaced by another one drawn from ``default_rng([seed, epoch, index,
attempt])``: the same replacement on every rerun, and the failure travels with the item
(``Item.redraws``) to the loop, which counts it per epoch and fails the run above
``train.max_redraw_fraction`` (SBI redraws with its global RNG, silently and without limit).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch

from adfd.preprocess.images import read_rgb
from adfd.synthesis import make_training_pair
from adfd.train.model import to_tensor

MAX_ATTEMPTS = 20  # redraws of one item before the batch fails (every sample broken)


class Redraw(NamedTuple):
    """A sample whose synthesis raised, and the error (type: message)."""

    sample: str
    error: str


class Item(NamedTuple):
    real: torch.Tensor
    fake: torch.Tensor
    redraws: tuple[Redraw, ...] = ()


def sample_name(sample: dict[str, Any]) -> str:
    """The stored face a sample reads (shard frame file)."""
    return str(sample["frame_path"])


class PairDataset(torch.utils.data.Dataset):
    """Items are (real, fake) tensors built from preprocessed frames with landmarks."""

    def __init__(
        self,
        samples: list[dict[str, Any]],
        experiment: dict[str, Any],
        seed: int,
        *,
        train: bool = True,
    ):
        if not samples:
            raise ValueError("no training faces: every preprocessed frame lacked a face")
        self.samples = samples
        self.synthesis = experiment["synthesis"]
        self.data = experiment["data"]
        self.seed = seed
        self.train = train
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Item:
        redraws: list[Redraw] = []
        current, rng = index, np.random.default_rng([self.seed, self.epoch, index])
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                real, fake = self.pair(current, rng)
                return Item(real, fake, tuple(redraws))
            except Exception as err:  # any synthesis failure: redraw, counted by the loop
                redraws.append(Redraw(sample_name(self.samples[current]), _describe(err)))
            rng = np.random.default_rng([self.seed, self.epoch, index, attempt])
            current = int(rng.integers(len(self.samples)))
        raise RuntimeError(
            f"training item {index}: {MAX_ATTEMPTS} samples in a row failed synthesis: "
            + "; ".join(f"{r.sample}: {r.error}" for r in redraws[:5])
        )

    def pair(self, index: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Real and pseudo-fake tensors of sample ``index`` (may raise)."""
        sample = self.samples[index]
        pair = make_training_pair(
            read_rgb(sample["frame_path"]),
            sample["landmarks"],
            sample["box"],
            self.synthesis,
            self.data,
            rng,
            train=self.train,
        )
        return to_tensor(pair.real), to_tensor(pair.fake)


def _describe(err: Exception) -> str:
    return f"{type(err).__name__}: {err}"


class Batch(NamedTuple):
    """``images`` (2n, 3, S, S): reals then fakes; ``labels`` [0]*n + [1]*n; the batch's
    replaced samples."""

    images: torch.Tensor
    labels: torch.Tensor
    redraws: tuple[Redraw, ...] = ()


def collate_pairs(batch: list[Item]) -> Batch:
    """[Item] -> Batch (reals first, then their pseudo-fakes)."""
    reals = torch.stack([b.real for b in batch])
    fakes = torch.stack([b.fake for b in batch])
    n = len(batch)
    labels = torch.cat([torch.zeros(n, dtype=torch.long), torch.ones(n, dtype=torch.long)])
    return Batch(torch.cat([reals, fakes]), labels, tuple(r for b in batch for r in b.redraws))
