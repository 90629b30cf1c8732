"""Bootstrap CIs and the paired test: against hand-computed and analytic (DeLong) cases."""

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from adfd.evaluate.stats import (
    delong_test,
    draw_counts,
    paired_bootstrap,
    percentile_ci,
    weighted_auc,
)


def test_weighted_auc_equals_sklearn_and_repeats_units():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    s = np.round(rng.random(200), 1)  # many ties
    assert weighted_auc(y, s, np.ones((1, 200)))[0] == pytest.approx(100 * roc_auc_score(y, s))
    w = rng.integers(0, 4, 200).astype(float)
    rep = np.repeat(np.arange(200), w.astype(int))
    assert weighted_auc(y, s, w[None])[0] == pytest.approx(100 * roc_auc_score(y[rep], s[rep]))
    assert math.isnan(weighted_auc([1, 1], [0.2, 0.3], np.ones((1, 2)))[0])


def test_draws_are_stratified_seeded_and_keyed():
    labels = np.array([0] * 7 + [1] * 3)
    c = draw_counts(labels, 500, 0, "cdf", "raw")
    assert (c[:, :7].sum(axis=1) == 7).all() and (c[:, 7:].sum(axis=1) == 3).all()
    assert np.array_equal(c, draw_counts(labels, 500, 0, "cdf", "raw"))
    assert not np.array_equal(c, draw_counts(labels, 500, 0, "dfdc", "raw"))


def test_delong_known_case_by_hand():
    # neg 0.1, 0.4; pos 0.35, 0.8: AUC 0.75; placements pos (0.5, 1), neg (1, 0.5);
    # var = S10/m + S01/n = 0.125/2 + 0.125/2 = 0.125 (x 1e4 in percent^2).
    y = np.array([0, 0, 1, 1])
    res = delong_test(y, np.array([0.1, 0.4, 0.35, 0.8]), np.array([0.1, 0.4, 0.35, 0.8]))
    assert res["auc_a"] == pytest.approx(75.0)
    assert res["var_a"] == pytest.approx(0.125 * 1e4)
    assert res["z"] == 0.0 and res["p"] == 1.0


def test_paired_bootstrap_agrees_with_delong_on_correlated_scores():
    rng = np.random.default_rng(1)
    n = 300
    y = np.r_[np.zeros(n), np.ones(n)].astype(int)
    shared = rng.normal(size=2 * n)
    a = shared + 1.0 * y + 0.5 * rng.normal(size=2 * n)
    b = shared + 0.8 * y + 0.5 * rng.normal(size=2 * n)
    ref = delong_test(y, a, b)
    counts = draw_counts(y, 2000, 0, "x")
    est_a = weighted_auc(y, a, np.ones((1, 2 * n)))[0]
    est_b = weighted_auc(y, b, np.ones((1, 2 * n)))[0]
    res = paired_bootstrap(est_a, est_b, weighted_auc(y, a, counts), weighted_auc(y, b, counts))
    assert est_a == pytest.approx(ref["auc_a"]) and est_b == pytest.approx(ref["auc_b"])
    assert res["z"] == pytest.approx(ref["z"], rel=0.1)  # bootstrap SE ~ DeLong SE
    assert (res["p"] < 0.05) == (ref["p"] < 0.05)
    lo, hi = percentile_ci(weighted_auc(y, a, counts))
    se = math.sqrt(ref["var_a"])
    assert lo == pytest.approx(est_a - 1.96 * se, abs=0.5 * se)
    assert hi == pytest.approx(est_a + 1.96 * se, abs=0.5 * se)


def test_identical_rows_are_within_noise_and_a_clear_gain_is_not():
    rng = np.random.default_rng(2)
    y = np.r_[np.zeros(100), np.ones(100)].astype(int)
    s = rng.random(200)
    counts = draw_counts(y, 1000, 0, "x")
    draws = weighted_auc(y, s, counts)
    same = paired_bootstrap(50.0, 50.0, draws, draws)
    assert same["p"] == 1.0 and same["lo"] == same["hi"] == 0.0
    good = y + 0.3 * rng.random(200)
    est = weighted_auc(y, good, np.ones((1, 200)))[0]
    res = paired_bootstrap(est, 50.0, weighted_auc(y, good, counts), draws)
    assert res["p"] < 1e-6 and res["lo"] > 0
