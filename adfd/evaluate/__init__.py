"""Evaluation: distortions (Table 10), the per-face prediction store, protocols, metrics.

``adfd.evaluate.infer.run`` scores one preprocessed test set with one trained run.
"""
