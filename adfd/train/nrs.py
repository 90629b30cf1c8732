"""Noise Refinement Strategy (paper §3.4-3.5, Eq. 5-9, Algorithm 1 lines 11-21).

Epochs are 1-based as in Algorithm 1 (``t = 1 .. T_max``). In epochs ``t >= T_k - 1`` the
real features ``F_r`` and real probabilities ``P_r`` of that epoch's forward passes fill a
bounded memory (filter ``predicts``: the ``k_s`` highest ``P_r``; ``random``: ``k_s``
positions drawn up front from a seeded generator); after the epoch, k-means gives the
``k`` centres ``C`` used by the weighted loss of the following epochs (``t >= T_k``).

Scale: features and centres are L2-normalised, so both distances live in [0, 2] and
``lambda`` means the same kind of thing for both: ``cosine`` = 1 - cos(F, c), ``l2`` =
||F/|F| - c/|c|||_2. Memory, centres and generator state are plain tensors
(``state_dict``), so a resumed run continues bit for bit. The memory lives on the device
of the features: observing a step never waits for the device (the real rows are given as a
host index, the random filter decides on host positions); k-means reads it once per epoch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from adfd.registries import NRS_DISTANCES, NRS_FILTERS

KMEANS_N_INIT = 10  # fixed (sklearn's "auto" depends on the version)


@NRS_DISTANCES.register("cosine")
def cosine_distance(features: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """1 - cos(F_pf, c) for every pair: (n, D), (k, D) -> (n, k) in [0, 2]."""
    return 1.0 - F.normalize(features, dim=1) @ F.normalize(centres, dim=1).T


@NRS_DISTANCES.register("l2")
def l2_distance(features: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """||F/|F| - c/|c|||_2 for every pair: (n, D), (k, D) -> (n, k) in [0, 2]."""
    return torch.cdist(F.normalize(features, dim=1), F.normalize(centres, dim=1))


def noise_distance(features: torch.Tensor, centres: torch.Tensor, distance: str) -> torch.Tensor:
    """Dist(F_pf, C) of Eq. 5: distance to the nearest centre, (n, D) -> (n,)."""
    return NRS_DISTANCES.get(distance)(features.float(), centres.float()).min(dim=1).values


def loss_weights(
    dist: torch.Tensor, labels: torch.Tensor, *, lam: float, beta: float, epoch: int
) -> torch.Tensor:
    """w(F, C) of Eq. 5-6 for one batch.

    w = Dist * (t/beta) + (1 - t/beta) where Dist < lambda and the image is a pseudo-fake
    (label 1), else 1. dist: (2n,) Dist(F, C) of every image; labels: (2n,) 0 real / 1
    fake; epoch: the 1-based epoch t, with t/beta clamped to 1 (beyond beta epochs the
    weight is the distance itself).
    """
    ratio = min(1.0, epoch / beta)
    alpha = dist * ratio + (1.0 - ratio)
    noise = (dist < lam) & (labels == 1)
    return torch.where(noise, alpha, torch.ones_like(dist))


def weighted_loss(
    logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None
) -> torch.Tensor:
    """Eq. 9: mean over all 2N images of w * L_ce; without weights plain cross-entropy."""
    if weights is None:
        return F.cross_entropy(logits, labels)
    return (weights * F.cross_entropy(logits, labels, reduction="none")).mean()


@NRS_FILTERS.register("predicts")
class TopPredicts:
    """Keep the ``k_s`` real features with the highest real probability P_r (Alg. 1 l. 19).

    Ties are broken by position in the epoch (earlier first), so the memory is unique.
    """

    def __init__(self, k_s: int, total: int, generator_seed: list[int]):
        self.k_s = k_s
        self.prob = torch.empty(0)
        self.pos = torch.empty(0, dtype=torch.long)
        self.feat = torch.empty(0, 0)

    def add(self, features: torch.Tensor, prob_real: torch.Tensor, positions: torch.Tensor):
        dev = features.device
        prob = torch.cat([self.prob.to(dev), prob_real.float()])
        pos = torch.cat([self.pos.to(dev), positions.to(dev, non_blocking=True)])
        feat = features.float()
        feat = feat if self.feat.numel() == 0 else torch.cat([self.feat.to(dev), feat])
        # Sort by position, then stably by descending probability: ties keep the earlier.
        by_pos = torch.argsort(pos, stable=True)
        order = by_pos[torch.argsort(-prob[by_pos], stable=True)][: self.k_s]
        self.prob, self.pos, self.feat = prob[order], pos[order], feat[order]

    def features(self) -> torch.Tensor:
        return self.feat

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"prob": self.prob, "pos": self.pos, "feat": self.feat}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.prob, self.pos, self.feat = state["prob"], state["pos"], state["feat"]


@NRS_FILTERS.register("random")
class RandomReals:
    """Keep ``k_s`` real features at positions drawn once per epoch from a seeded generator."""

    def __init__(self, k_s: int, total: int, generator_seed: list[int]):
        rng = np.random.default_rng(generator_seed)
        chosen = rng.choice(total, size=min(k_s, total), replace=False)
        self.chosen = torch.from_numpy(np.sort(chosen))
        self.pos = torch.empty(0, dtype=torch.long)
        self.feat = torch.empty(0, 0)

    def add(self, features: torch.Tensor, prob_real: torch.Tensor, positions: torch.Tensor):
        positions = positions.cpu()  # host positions: the choice needs no device sync
        keep = torch.isin(positions, self.chosen).nonzero().squeeze(1)
        if len(keep) == 0:
            return
        dev = features.device
        feat = features.float()[keep.to(dev, non_blocking=True)]
        self.feat = feat if self.feat.numel() == 0 else torch.cat([self.feat.to(dev), feat])
        self.pos = torch.cat([self.pos, positions[keep]])

    def features(self) -> torch.Tensor:
        return self.feat[torch.argsort(self.pos).to(self.feat.device)]

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"pos": self.pos, "feat": self.feat}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.pos, self.feat = state["pos"], state["feat"]


def kmeans_centres(features: torch.Tensor, k: int, seed: int) -> torch.Tensor:
    """k centres C (k, D) of the L2-normalised memory (Alg. 1 line 20), unit length."""
    from sklearn.cluster import KMeans  # imported here: 1.6 s that runs without NRS skip

    x = F.normalize(features.double().cpu(), dim=1).numpy()
    if len(x) < k:
        raise ValueError(f"nrs.k = {k} centres from a memory of {len(x)} real features")
    km = KMeans(n_clusters=k, n_init=KMEANS_N_INIT, random_state=seed).fit(x)
    return F.normalize(torch.from_numpy(km.cluster_centers_).float(), dim=1)


class NRS:
    """The NRS state across epochs: this epoch's memory and the previous epoch's centres."""

    def __init__(self, cfg: dict[str, Any], *, seed: int, reals_per_epoch: int | None):
        self.cfg = cfg
        self.enabled = bool(cfg["enabled"])
        self.seed = seed
        self.total = reals_per_epoch
        self.centres: torch.Tensor | None = None
        self.memory = None
        self.epoch = 0
        if self.enabled:  # resolve now: a missing implementation fails before training
            NRS_FILTERS.get(cfg["filter"])
            NRS_DISTANCES.get(cfg["distance"])
            memory = min(cfg["k_s"], reals_per_epoch or cfg["k_s"])
            if cfg["k"] > memory:  # k-means cannot give k centres from fewer points
                raise ValueError(
                    f"nrs.k = {cfg['k']} centres > the memory of {memory} real features "
                    f"(nrs.k_s = {cfg['k_s']}, {reals_per_epoch} reals per epoch)"
                )

    def collects(self, epoch: int) -> bool:
        """Alg. 1 line 18: memory from epochs t >= T_k - 1 (t 1-based)."""
        return self.enabled and epoch >= self.cfg["t_k"] - 1

    def weighs(self, epoch: int) -> bool:
        """Alg. 1 line 11: weighted loss from epoch T_k on (once centres exist)."""
        return self.enabled and epoch >= self.cfg["t_k"] and self.centres is not None

    def start_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        if self.collects(epoch):
            cls = NRS_FILTERS.get(self.cfg["filter"])
            self.memory = cls(self.cfg["k_s"], self.total, [self.seed, epoch, 2])
        else:
            self.memory = None

    def weights(self, features: torch.Tensor, labels: torch.Tensor):
        """Per-image loss weights of Eq. 5-6 (detached) and the noise count (a device
        tensor); None and 0 before T_k."""
        if not self.weighs(self.epoch):
            return None, 0
        with torch.no_grad():
            if self.centres.device != features.device:  # once per epoch, not per step
                self.centres = self.centres.to(features.device)
            dist = noise_distance(features.detach(), self.centres, self.cfg["distance"])
            cfg = self.cfg
            w = loss_weights(dist, labels, lam=cfg["lambda"], beta=cfg["beta"], epoch=self.epoch)
            return w, ((dist < cfg["lambda"]) & (labels == 1)).sum()

    def observe(self, features, logits, reals: torch.Tensor, positions: torch.Tensor) -> None:
        """Add this step's real features and P_r (softmax real column) to the memory.

        ``reals``: host index of the real rows (label 0), ``positions`` their epoch positions.
        """
        if self.memory is None:
            return
        with torch.no_grad():
            real = reals.to(features.device, non_blocking=True)
            prob_real = torch.softmax(logits.detach()[real].float(), dim=1)[:, 0]
            self.memory.add(features.detach()[real], prob_real, positions)

    def end_epoch(self) -> None:
        """Alg. 1 line 20: k-means of the memory into the centres of the next epochs."""
        if self.memory is None:
            return
        feats = self.memory.features()
        if len(feats) < self.cfg["k"]:  # never kept stale (or no) centres silently
            raise RuntimeError(
                f"NRS epoch {self.epoch}: the memory holds {len(feats)} real features, fewer "
                f"than nrs.k = {self.cfg['k']} centres (did the epoch run any step?)"
            )
        seed = int(np.random.default_rng([self.seed, self.epoch, 3]).integers(2**31))
        self.centres = kmeans_centres(feats, self.cfg["k"], seed)
        self.memory = None

    def state_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "centres": self.centres,
            "memory": None if self.memory is None else self.memory.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.start_epoch(state["epoch"])
        self.centres = state["centres"]
        if self.memory is not None and state["memory"] is not None:
            self.memory.load_state_dict(state["memory"])
