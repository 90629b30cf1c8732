"""Statistics from the prediction store: video-level bootstrap CIs and paired tests.

Bootstrap: ``resamples`` stratified draws of the test *videos* (with replacement, within
each label, so every draw keeps the test set's real/fake counts). A protocol's units
(videos, or frames for ``frame``) enter each draw with the multiplicity of their video
(a cluster bootstrap), through a weighted AUC. Draws are seeded from
(``seed``, test set, distortion) so every row of a table, every seed and every protocol
sees *the same* draws: the CIs are comparable and the row-vs-baseline test is paired.

Paired test (``paired_bootstrap``): for rows A and B on the same draws,
``Z = (AUC_A - AUC_B) / sd_b(AUC_A,b - AUC_B,b)`` and a two-sided normal p-value — pROC's
``roc.test(method = "bootstrap")``; for one video-level AUC per row it agrees with DeLong's
test (``delong_test``, kept as the analytic cross-check). The same draws give the percentile
CI of the difference. Averages over test sets (Avg, Avg w/o FF++) are bootstrapped by
averaging the per-test-set draws (test sets are drawn independently).
"""

from __future__ import annotations

import math
import zlib

import numpy as np
from scipy.stats import norm


def draw_counts(labels: np.ndarray, resamples: int, seed: int, *keys: str) -> np.ndarray:
    """(resamples, n_videos) multiplicities of a stratified bootstrap over videos."""
    labels = np.asarray(labels)
    key = [int(seed)] + [zlib.crc32(k.encode()) for k in keys]
    rng = np.random.default_rng(key)
    counts = np.zeros((resamples, len(labels)), dtype=np.float64)
    for value in np.unique(labels):
        idx = np.flatnonzero(labels == value)
        counts[:, idx] = rng.multinomial(len(idx), np.full(len(idx), 1.0 / len(idx)), resamples)
    return counts


def weighted_auc(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """AUC (x 100) per row of ``weights`` (B, n); ties count 1/2; NaN without both classes."""
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    out = np.empty(len(weights))
    chunk = max(1, int(2e7 // max(len(s), 1)))
    for b0 in range(0, len(weights), chunk):
        w = weights[b0 : b0 + chunk][:, order]
        pos = np.add.reduceat(w * labels[order], starts, axis=1)
        neg = np.add.reduceat(w * ~labels[order], starts, axis=1)
        below = np.cumsum(neg, axis=1) - neg
        num = (pos * (below + 0.5 * neg)).sum(axis=1)
        den = pos.sum(axis=1) * neg.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[b0 : b0 + chunk] = np.where(den > 0, 100.0 * num / den, np.nan)
    return out


def percentile_ci(draws: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    draws = np.asarray(draws, dtype=np.float64)
    draws = draws[~np.isnan(draws)]
    if draws.size == 0:
        return math.nan, math.nan
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(draws, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def paired_bootstrap(
    est_a: float, est_b: float, draws_a: np.ndarray, draws_b: np.ndarray, level: float = 0.95
) -> dict[str, float]:
    """Paired bootstrap test of ``est_a - est_b`` (draws on the same resampled videos)."""
    diff = np.asarray(draws_a, dtype=np.float64) - np.asarray(draws_b, dtype=np.float64)
    diff = diff[~np.isnan(diff)]
    delta = float(est_a - est_b)
    if diff.size < 2 or math.isnan(delta):
        return {"delta": delta, "z": math.nan, "p": math.nan, "lo": math.nan, "hi": math.nan}
    sd = float(diff.std(ddof=1))
    if sd == 0.0:
        z = 0.0 if delta == 0.0 else math.copysign(math.inf, delta)
    else:
        z = delta / sd
    p = float(2.0 * norm.sf(abs(z)))
    lo, hi = percentile_ci(diff, level)
    return {"delta": delta, "z": float(z), "p": p, "lo": lo, "hi": hi}


def _placements(labels: np.ndarray, scores: np.ndarray):
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    pos, neg = scores[labels], scores[~labels]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    return psi.mean(axis=1), psi.mean(axis=0), psi.mean()


def delong_test(labels: np.ndarray, scores_a: np.ndarray, scores_b: np.ndarray) -> dict:
    """DeLong, DeLong & Clarke-Pearson (1988) test of two correlated AUCs (x 100)."""
    v10a, v01a, auc_a = _placements(labels, scores_a)
    v10b, v01b, auc_b = _placements(labels, scores_b)
    s10 = np.cov(np.vstack([v10a, v10b]))
    s01 = np.cov(np.vstack([v01a, v01b]))
    cov = s10 / len(v10a) + s01 / len(v01a)
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    delta = auc_a - auc_b
    z = delta / math.sqrt(var) if var > 0 else (0.0 if delta == 0 else math.inf)
    return {
        "auc_a": 100 * auc_a, "auc_b": 100 * auc_b, "var_a": 1e4 * cov[0, 0],
        "var_b": 1e4 * cov[1, 1], "z": float(z), "p": float(2.0 * norm.sf(abs(z))),
    }  # fmt: skip
