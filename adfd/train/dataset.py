"""Training samples: one real face per item, paired with its pseudo-fake (Alg. 1 lines 4-6).

Every item draws from its own generator ``default_rng([seed, epoch, index])``, so the
pseudo-fakes do not depend on the number of loader workers, on their scheduling, or on
where a resumed run restarts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from adfd.data.images import read_rgb
from adfd.synthesis import make_training_pair


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 RGB -> (3, H, W) float32 in [0, 1] (no mean/std, as SBI)."""
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255.0)


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

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        sample = self.samples[index]
        rng = np.random.default_rng([self.seed, self.epoch, index])
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


def collate_pairs(batch):
    """[(real, fake)] -> images (2n, 3, S, S) as reals then fakes, labels [0]*n + [1]*n."""
    reals = torch.stack([b[0] for b in batch])
    fakes = torch.stack([b[1] for b in batch])
    n = len(batch)
    labels = torch.cat([torch.zeros(n, dtype=torch.long), torch.ones(n, dtype=torch.long)])
    return torch.cat([reals, fakes]), labels
