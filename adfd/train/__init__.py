"""Training (paper §3.4-3.5, §4.1): timm encoder + 2-way head, SAM over SGD, NRS."""

from adfd.train.loop import run

__all__ = ["run"]
