"""Sharpness-Aware Minimization (Foret et al. 2020, the paper's ref. [9]).

Two passes per step: ``first_step`` moves the weights to ``w + rho * g / ||g||`` (the
sharpest nearby point), ``second_step`` restores ``w`` and lets the base optimiser step with
the gradient taken at the perturbed point. Non-adaptive, as SBI uses it (docs/sbi-recipe.md §4).

Two formulations of the same update: the default walks the parameters one by one (the
faithful path); ``foreach=True`` (``train.fused_optimizer``) does the norm, the perturbation
and the restore with multi-tensor ``torch._foreach_*`` kernels, and ``compile_update()``
(``train.compile: step``) compiles those two functions (``fullgraph=True``: a graph break is
an error, never a silent eager run). tests/train/test_fast.py bounds the differences.
"""

from __future__ import annotations

import torch


def _perturb(params: list[torch.Tensor], grads: list[torch.Tensor], rho: float):
    """``w += rho * g / ||g||`` over all parameters at once; returns the offsets e_w."""
    norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads, 2)), 2)
    e_w = torch._foreach_mul(grads, rho / (norm + 1e-12))
    torch._foreach_add_(params, e_w)
    return e_w


def _restore(params: list[torch.Tensor], e_w: list[torch.Tensor]) -> None:
    torch._foreach_sub_(params, e_w)


class SAM(torch.optim.Optimizer):
    def __init__(self, params, base_optimizer_cls, rho: float = 0.05, *, foreach=False, **kwargs):
        if rho < 0:
            raise ValueError(f"rho must be >= 0, got {rho}")
        super().__init__(params, dict(rho=rho, **kwargs))
        self.base_optimizer = base_optimizer_cls(self.param_groups, **kwargs)
        self.param_groups = self.base_optimizer.param_groups
        self.foreach = bool(foreach)
        self._perturb, self._restore = _perturb, _restore
        self._e_w: list[tuple[list[torch.Tensor], list[torch.Tensor]]] = []

    def compile_update(self, backend: str = "inductor") -> None:
        """Compile the multi-tensor perturbation and restore (implies ``foreach``)."""
        self.foreach = True
        self._perturb = torch.compile(_perturb, fullgraph=True, backend=backend)
        self._restore = torch.compile(_restore, fullgraph=True, backend=backend)

    @torch.no_grad()
    def first_step(self) -> None:
        if self.foreach:
            self._first_step_foreach()
            return
        norm = self._grad_norm()
        for group in self.param_groups:
            scale = group["rho"] / (norm + 1e-12)
            for p in group["params"]:
                if p.grad is None:
                    continue
                e_w = p.grad * scale
                p.add_(e_w)
                self.state[p]["e_w"] = e_w
        self.zero_grad(set_to_none=True)

    @torch.no_grad()
    def second_step(self) -> None:
        if self.foreach:
            for params, e_w in self._e_w:
                self._restore(params, e_w)
            self._e_w = []
        else:
            for group in self.param_groups:
                for p in group["params"]:
                    if "e_w" in self.state[p]:
                        p.sub_(self.state[p].pop("e_w"))
        self.base_optimizer.step()
        self.zero_grad(set_to_none=True)

    def _first_step_foreach(self) -> None:
        if len({g["rho"] for g in self.param_groups}) > 1:
            raise ValueError("foreach SAM needs one rho for all parameter groups")
        params = [p for g in self.param_groups for p in g["params"] if p.grad is not None]
        e_w = self._perturb(params, [p.grad for p in params], self.param_groups[0]["rho"])
        self._e_w = [(params, e_w)]
        self.zero_grad(set_to_none=True)

    def step(self, closure=None):  # pragma: no cover - the loop calls the two steps
        raise RuntimeError("SAM needs first_step()/second_step(); see adfd.train.loop")

    def _grad_norm(self) -> torch.Tensor:
        grads = [
            p.grad.norm(p=2) for g in self.param_groups for p in g["params"] if p.grad is not None
        ]
        return torch.norm(torch.stack(grads), p=2)

    def state_dict(self):
        return self.base_optimizer.state_dict()

    def load_state_dict(self, state_dict):
        self.base_optimizer.load_state_dict(state_dict)
        self.param_groups = self.base_optimizer.param_groups


def linear_decay(epochs: int, start_decay: int):
    """lr factor per epoch (0-based): 1 until ``start_decay``, then linear towards 0.

    With 100 epochs and start 75 the last epoch runs at 0.04 x lr (1e-3 -> 4e-5), as
    SBI's LinearDecayLR.
    """

    def factor(epoch: int) -> float:
        if epoch < start_decay:
            return 1.0
        return 1.0 - (epoch - start_decay) / max(1, epochs - start_decay)

    return factor
