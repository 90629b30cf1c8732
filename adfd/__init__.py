"""adfd: a reproducible ablation pipeline for Anomaly DeepFake Detection.

Stages in pipeline order: the experiment matrix (``adfd.config``), the benchmarks in their
official layouts with their integrity gate (``adfd.datasets``), videos turned into stored
faces (``adfd.preprocess``), then the paper's Fig. 2/3: mask generation -> source-target
preprocessing -> blending (``adfd.synthesis``), training with the Noise Refinement Strategy
(``adfd.train``), evaluation (``adfd.evaluate``) and reporting (``adfd.report``).
"""

__version__ = "0.1.0"
