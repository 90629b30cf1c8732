"""adfd: a reproducible ablation pipeline for Anomaly DeepFake Detection.

Stages follow the paper's Fig. 2/3: mask generation -> source-target preprocessing ->
blending (``adfd.synthesis``), training with the Noise Refinement Strategy (``adfd.train``),
evaluation (``adfd.evaluate``) and reporting (``adfd.report``). ``adfd.data`` holds the
dataset registries and face preprocessing; ``adfd.config`` the experiment matrix.
"""

__version__ = "0.1.0"
