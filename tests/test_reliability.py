"""Reliability on simulated data with known population values, and the edge cases
that must give a clear status instead of a crash or a made-up number."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from budget import budget
from hypothesis import given, settings
from hypothesis import strategies as st

from psychometrics.reliability import (
    bootstrap_interval,
    cronbach_alpha,
    feldt_interval,
    omega_total,
    scale_reliability,
)


def congeneric(n, loadings, theta, seed):
    rng = np.random.default_rng(seed)
    eta = rng.standard_normal(n)
    lam = np.asarray(loadings)
    return pd.DataFrame(eta[:, None] * lam + rng.standard_normal((n, len(lam))) * np.sqrt(theta))


def test_omega_recovers_the_population_value_and_alpha_is_below_it():
    lam, theta = np.array([0.9, 0.8, 0.7, 0.5, 0.4, 0.3]), np.full(6, 0.6)
    population_omega = lam.sum() ** 2 / (lam.sum() ** 2 + theta.sum())
    sigma = np.outer(lam, lam) + np.diag(theta)
    k = len(lam)
    population_alpha = k / (k - 1) * (1 - np.trace(sigma) / sigma.sum())
    assert population_alpha < population_omega  # unequal loadings: alpha is a lower bound
    data = congeneric(20_000, lam, theta, seed=11)
    omega = omega_total(data)
    alpha = cronbach_alpha(data)
    # SE of omega (and alpha) at N = 20,000 is about .002; 0.01 is 5 SEs (seed 11 is
    # 3e-5 and 5e-4 off).
    assert omega.omega_total == pytest.approx(population_omega, abs=0.01)
    assert alpha.alpha == pytest.approx(population_alpha, abs=0.01)
    assert alpha.alpha < omega.omega_total


def test_tau_equivalent_items_give_alpha_equal_to_omega():
    data = congeneric(20_000, [0.7] * 5, np.full(5, 0.5), seed=5)
    # Equal in the population; over 40 seeds the sample difference has SD 1e-5 and is at
    # most 4e-5 (seed 5: 3e-5), so 2e-4 is far outside sampling error and still catches
    # a wrong alpha or omega.
    assert cronbach_alpha(data).alpha == pytest.approx(omega_total(data).omega_total, abs=2e-4)


@pytest.mark.slow
def test_feldt_interval_covers_the_population_alpha_at_its_nominal_rate():
    # Parallel items (equal loadings and residuals): Feldt's interval is exact here.
    lam, theta = np.full(6, 0.7), np.full(6, 0.5)
    sigma = np.outer(lam, lam) + np.diag(theta)
    true_alpha = 6 / 5 * (1 - np.trace(sigma) / sigma.sum())
    rng = np.random.default_rng(1)
    chol = np.linalg.cholesky(sigma)
    reps = budget(1000, 20_000)  # samples of 93 persons, drawn 1,000 at a time
    covered = []
    for _ in range(reps // 1000):
        x = rng.standard_normal((1000, 93, 6)) @ chol.T
        c = x - x.mean(axis=1, keepdims=True)
        cov = np.einsum("bni,bnj->bij", c, c) / 92
        alphas = 6 / 5 * (1 - np.trace(cov, axis1=1, axis2=2) / cov.sum(axis=(1, 2)))
        covered += [(ci := feldt_interval(a, 93, 6)).low <= true_alpha <= ci.high for a in alphas]
    # 95% nominal; the binomial MC SE is .0069 at 1,000 samples (.0015 at 20,000): the
    # rate must be within 3 SEs of .95 (.93-.97 in the default run).
    se = math.sqrt(0.95 * 0.05 / reps)
    assert len(covered) == reps and abs(np.mean(covered) - 0.95) <= 3 * se


def test_bootstrap_interval_is_seeded_and_near_feldt():
    data = congeneric(93, [0.8, 0.7, 0.7, 0.6, 0.6, 0.5], np.full(6, 0.5), seed=3)
    a = cronbach_alpha(data, ci="bootstrap", n_boot=2000, seed=42)
    b = cronbach_alpha(data, ci="bootstrap", n_boot=2000, seed=42)
    assert a.ci == b.ci
    feldt = cronbach_alpha(data).ci
    assert a.ci.low < a.alpha < a.ci.high
    # At N = 93 the percentile bootstrap sits 0.018 below Feldt at the lower end and 3e-4
    # at the upper (means over 20 bootstrap seeds; MC SD of an endpoint at 2,000 draws
    # .003 and .001): 0.03 is the gap plus 4 MC SDs.
    assert abs(a.ci.low - feldt.low) < 0.03 and abs(a.ci.high - feldt.high) < 0.03
    calls = []
    bootstrap_interval(data.to_numpy(), n_boot=1000, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (1000, 1000)


def test_reversed_item_left_unreversed_is_flagged():
    data = congeneric(500, [0.8, 0.7, 0.7, 0.6], np.full(4, 0.5), seed=2)
    data[3] = -data[3]  # a keying error
    items = scale_reliability(data, low=-10, high=10).items
    assert items["negative_item_rest"].tolist() == [False, False, False, True]
    assert items.loc[3, "item_rest_r"] < 0


def test_constant_item():
    data = congeneric(200, [0.8, 0.7, 0.6], np.full(3, 0.5), seed=4)
    data[3] = 3.0
    rel = scale_reliability(data, low=-10, high=10)
    assert rel.alpha.status == "ok" and math.isfinite(rel.alpha.alpha)
    assert "without variance" in rel.alpha.reason
    assert math.isnan(rel.alpha.alpha_std)
    assert math.isnan(rel.items.loc[3, "item_rest_r"])
    assert rel.omega.status == "not_identified" and "no variance" in rel.omega.reason
    assert math.isnan(rel.omega.omega_total)
    d = rel.to_dict()
    assert d["omega_total"] is None and d["items"][3]["item_rest_r"] is None


def test_two_item_scale_has_alpha_but_no_omega():
    data = congeneric(200, [0.8, 0.7], np.full(2, 0.5), seed=6)
    rel = scale_reliability(data, low=-10, high=10)
    assert rel.alpha.status == "ok" and 0 < rel.alpha.alpha < 1
    assert rel.omega.status == "not_identified"
    assert "not identified with 2 items" in rel.omega.reason
    assert rel.to_dict()["omega_total"] is None
    assert rel.items["alpha_if_deleted"].isna().all()  # one item left: no alpha


def test_all_answers_missing_at_a_wave():
    data = pd.DataFrame(np.full((10, 4), np.nan))
    rel = scale_reliability(data, low=1, high=5)
    assert rel.alpha.status == "no_data" and rel.alpha.n == 0 and rel.alpha.n_total == 10
    assert rel.omega.status == "too_few_cases"
    d = rel.to_dict()
    assert d["alpha"] is None and d["alpha_ci"] == [None, None] and d["omega_total"] is None
    assert (rel.items["pct_missing"] == 100).all()


def test_fewer_cases_than_items():
    data = congeneric(4, [0.8, 0.7, 0.6, 0.6, 0.5, 0.5], np.full(6, 0.5), seed=8)
    rel = scale_reliability(data, low=-10, high=10)
    assert rel.alpha.status == "too_few_cases"
    assert "smaller than the number of items (6)" in rel.alpha.reason
    assert math.isnan(rel.alpha.alpha)
    assert rel.omega.status == "too_few_cases"


def test_listwise_and_pairwise_report_their_n():
    data = congeneric(100, [0.8, 0.7, 0.6, 0.6], np.full(4, 0.5), seed=9)
    data.iloc[:10, 0] = np.nan
    lw = cronbach_alpha(data, missing="listwise")
    pw = cronbach_alpha(data, missing="pairwise")
    assert (lw.n, lw.n_total, lw.missing_rule) == (90, 100, "listwise")
    assert (pw.n, pw.missing_rule) == (100, "pairwise")


def test_poor_one_factor_fit_is_noted():
    rng = np.random.default_rng(12)
    f = rng.standard_normal((2000, 2))
    data = pd.DataFrame(np.column_stack([f[:, 0] * 0.8, f[:, 0] * 0.8, f[:, 0] * 0.8,
                                         f[:, 1] * 0.8, f[:, 1] * 0.8, f[:, 1] * 0.8])
                        + rng.standard_normal((2000, 6)) * 0.5)
    omega = omega_total(data)
    assert omega.status == "ok" and "fits poorly" in omega.note


def test_no_warnings_on_edge_cases():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scale_reliability(pd.DataFrame(np.full((3, 3), 2.0)), low=1, high=5)
        scale_reliability(pd.DataFrame(np.ones((1, 3))), low=1, high=5)


@pytest.mark.slow
@settings(max_examples=budget(40, 500), deadline=None)
@given(st.permutations(range(5)), st.integers(0, 10_000))
def test_alpha_ignores_item_order(order, seed):
    data = congeneric(50, [0.8, 0.7, 0.6, 0.5, 0.4], np.full(5, 0.5), seed=seed)
    # the same sums in another order: round-off only (agreement 3e-16)
    assert cronbach_alpha(data).alpha == pytest.approx(cronbach_alpha(data[list(order)]).alpha,
                                                        abs=1e-12)
