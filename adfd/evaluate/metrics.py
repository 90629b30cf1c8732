"""Video-level AUC (%), as reported in every table (sklearn ``roc_auc_score``)."""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import roc_auc_score


def auc_percent(labels: np.ndarray, scores: np.ndarray) -> float:
    """AUC x 100; NaN when the set holds a single class (undefined), never an exception."""
    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        return math.nan
    return float(roc_auc_score(labels, np.asarray(scores, dtype=np.float64)) * 100.0)
