"""Execution options of the training step (``train.*``): the same step, run faster on a GPU.

- ``precision: bf16``: forward passes under ``torch.autocast`` (bfloat16); changes numerics.
- ``channels_last``: NHWC memory layout of the model and the batches.
- ``compile: model``: ``torch.compile`` (inductor) of the one forward that gives features
  and logits; ``step``: also SAM's two multi-tensor weight updates. Compiled with
  ``fullgraph=True`` and dynamo's recompile limit made an error, so a graph break or a
  recompile storm stops the run instead of silently running eager code. The module itself
  stays uncompiled: state dicts carry no ``_orig_mod.`` prefix and a resumed run loads into
  the same module the compiled function calls. Inductor draws dropout/drop-path masks from
  its own generator unless ``fallback_random``; we keep torch's generator
  (``fallback_random = True``) so a resumed compiled run restores its random stream.
- ``fused_optimizer``: SGD's fused kernel (``fused=True``, CUDA and CPU) and SAM's
  multi-tensor (``foreach``) perturbation instead of per-parameter loops.
- ``prefetch``: the next batch is copied host -> device (pinned memory, ``non_blocking``) on a
  side CUDA stream while the current step runs; on a CPU device it is the plain iteration.

Which options enter the run id: adfd.config.canonical (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch

from adfd.config.step_cost import execution_options
from adfd.train.model import features_and_logits
from adfd.train.sam import SAM

COMPILE_MODES = (False, "model", "step")
# sam: SAM over SGD (the paper's §4.1); sgd: plain SGD; adamw: AdamW (lr, weight_decay;
# momentum and rho unused), for small randomly initialised models such as the CPU demo's.
OPTIMIZERS = ("sam", "sgd", "adamw")
# torch.compile backend. bench/gpu_suite.py --cpu-smoke sets "eager" (dynamo tracing with
# fullgraph checks, no code generation) to keep its CPU run short; training uses inductor.
COMPILE_BACKEND = "inductor"


def check_options(train_cfg: dict[str, Any], optim_cfg: dict[str, Any] | None = None) -> None:
    """Reject unknown values before a model is built (the schema does the same for configs)."""
    if train_cfg.get("compile", False) not in COMPILE_MODES:
        raise ValueError(
            f"train.compile must be false, model or step, got {train_cfg['compile']!r}"
        )
    if train_cfg.get("precision", "fp32") not in ("fp32", "bf16"):
        raise ValueError(f"train.precision must be fp32 or bf16, got {train_cfg['precision']!r}")
    name = (optim_cfg or {}).get("name", "sam")
    if name not in OPTIMIZERS:
        raise ValueError(f"optim.name must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
    if name != "sam" and train_cfg.get("compile", False) == "step":
        raise ValueError(
            f"train.compile: step compiles SAM's perturbation; with optim.name: {name} there "
            "is none: use train.compile: model"
        )


def make_optimizer(params, optim_cfg: dict[str, Any], train_cfg: dict[str, Any]):
    """SAM over SGD (§4.1), plain SGD (``optim.name: sgd``) or AdamW (``adamw``), with the
    configured update kernels (``train.fused_optimizer``: fused SGD/AdamW, multi-tensor SAM
    perturbation).

    The options are checked once, by :func:`check_options` before the model is built
    (``adfd.train.loop.Trainer``)."""
    fused = bool(train_cfg.get("fused_optimizer", False))
    sgd = {
        "lr": optim_cfg["lr"],
        "momentum": optim_cfg["momentum"],
        "weight_decay": optim_cfg["weight_decay"],
        **({"fused": True} if fused else {}),
    }
    if optim_cfg["name"] == "sgd":
        return torch.optim.SGD(params, **sgd)
    if optim_cfg["name"] == "adamw":
        return torch.optim.AdamW(params, lr=optim_cfg["lr"], weight_decay=optim_cfg["weight_decay"],
                                 **({"fused": True} if fused else {}))  # fmt: skip
    sam = SAM(params, torch.optim.SGD, rho=optim_cfg["rho"], foreach=fused, **sgd)
    if train_cfg.get("compile", False) == "step":
        _strict_dynamo()
        sam.compile_update(COMPILE_BACKEND)
    return sam


def forward_fn(model: torch.nn.Module, train_cfg: dict[str, Any]) -> Callable:
    """``images -> (features, logits)`` of ``model``, compiled when ``train.compile`` asks."""

    def both(images: torch.Tensor):
        return features_and_logits(model, images)

    if train_cfg.get("compile", False) in ("model", "step"):
        _strict_dynamo()
        return torch.compile(both, fullgraph=True, backend=COMPILE_BACKEND)
    return both


def _strict_dynamo() -> None:
    import torch._dynamo.config as dynamo
    import torch._inductor.config as inductor

    dynamo.fail_on_recompile_limit_hit = True  # never fall back to eager silently
    inductor.fallback_random = True  # dropout masks from torch's (saved) generator


class Prefetcher:
    """Iterate ``(images, labels, ...)`` batches already on ``device`` (and in
    ``memory_format``); what follows the labels (the batch's redraws) passes through.

    CUDA: batch ``i + 1`` is copied on a side stream while step ``i`` runs; the compute
    stream waits for that copy only when it uses the batch. Other devices: each batch is
    moved when it is taken, exactly as the plain loop does.
    """

    def __init__(self, loader: Iterable, device: torch.device, memory_format=None):
        self.loader, self.device, self.memory_format = loader, device, memory_format
        self.stream = torch.cuda.Stream(device) if device.type == "cuda" else None

    def _move(self, batch):
        images, labels, *rest = batch
        images = images.to(self.device, non_blocking=True)
        labels = labels.to(self.device, non_blocking=True)
        if self.memory_format is not None:
            images = images.contiguous(memory_format=self.memory_format)
        return images, labels, *rest

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator:
        if self.stream is None:
            for batch in self.loader:
                yield self._move(batch)
            return
        it = iter(self.loader)
        nxt = self._start(it)
        while nxt is not None:
            images, labels, *rest = nxt
            torch.cuda.current_stream(self.device).wait_stream(self.stream)
            images.record_stream(torch.cuda.current_stream(self.device))
            labels.record_stream(torch.cuda.current_stream(self.device))
            nxt = self._start(it)
            yield images, labels, *rest

    def _start(self, it):
        try:
            batch = next(it)
        except StopIteration:
            return None
        with torch.cuda.stream(self.stream):
            return self._move(batch)


def execution_record(train_cfg: dict[str, Any], device: torch.device) -> dict[str, Any]:
    """The execution options a run used, for train_summary.json and the model's meta
    (``adfd.config.step_cost.execution_options``, with the device kind and torch version)."""
    return {"device": device.type, **execution_options(train_cfg), "torch": torch.__version__}
