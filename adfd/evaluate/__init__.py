"""Evaluation: distortions (Table 10), the per-face prediction store, protocols, metrics."""

from adfd.evaluate.infer import run

__all__ = ["run"]
