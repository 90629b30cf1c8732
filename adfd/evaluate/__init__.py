"""Evaluation: the per-face prediction store, protocols, metrics.

``adfd.evaluate.infer.run_many`` scores preprocessed test sets with one trained run (the test
sets' frames were distorted for Table 10 by ``adfd.preprocess.distortions`` before detection).
"""
