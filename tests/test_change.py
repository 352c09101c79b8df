"""Change statistics on simulated data with known truth."""

import numpy as np
import pytest

from psychometrics.change import icc1, observed_change


def _scores(n, reliability, true_change, seed):
    rng = np.random.default_rng(seed)
    true = rng.standard_normal(n)
    err_sd = np.sqrt((1 - reliability) / reliability)  # var(true) = 1
    x1 = true + rng.standard_normal(n) * err_sd
    x2 = true + true_change + rng.standard_normal(n) * err_sd
    return x1, x2


def test_rci_false_positive_rate_is_five_percent_when_nothing_changes():
    x1, x2 = _scores(40_000, 0.8, 0.0, seed=1)
    sd1 = x1.std(ddof=1)
    res = observed_change(x1, x2, np.arange(len(x1)), scale="s", wave_from="T0", wave_to="T1",
                          reliability=1 - (np.sqrt((1 - 0.8) / 0.8) / sd1) ** 2)
    false_positive = res.rci_improved + res.rci_deteriorated
    # Binomial SE at n = 40,000 is .0011; 0.005 is over 4 SEs.
    assert false_positive == pytest.approx(0.05, abs=0.005)
    assert res.rci_improved == pytest.approx(0.025, abs=0.004)


def test_rci_detects_large_true_change_and_respects_direction():
    x1, x2 = _scores(5000, 0.9, 1.5, seed=2)
    up = observed_change(x1, x2, np.arange(5000), scale="s", wave_from="T0", wave_to="T1",
                         reliability=0.9)
    down = observed_change(x1, x2, np.arange(5000), scale="s", wave_from="T0", wave_to="T1",
                           reliability=0.9, higher_is_better=False)
    assert up.rci_improved > 0.5
    assert down.rci_deteriorated == up.rci_improved  # an increase is worse on this scale


def test_effect_sizes_recover_the_population_values():
    x1, x2 = _scores(50_000, 0.8, 0.5, seed=3)
    res = observed_change(x1, x2, np.arange(50_000), scale="s", wave_from="T0", wave_to="T1",
                          reliability=0.8)
    # sd(D) = sqrt(2 * error variance) = sqrt(2 * .25) = .7071; sd(x) = sqrt(1.25).
    # Sampling SE of d_z at n = 50,000 is sqrt((1 + d_z^2 / 2) / n) = .005 (seed 3: .003
    # and .005 off); 0.02 is 4 SEs.
    assert res.d_z == pytest.approx(0.5 / np.sqrt(0.5), abs=0.02)
    assert res.d_av == pytest.approx(0.5 / np.sqrt(1.25), abs=0.02)
    assert res.d_z_ci.low < res.d_z < res.d_z_ci.high


def test_too_few_cases_and_missing_reliability():
    res = observed_change(np.array([1.0, np.nan]), np.array([2.0, 3.0]), np.array([1, 2]),
                          scale="s", wave_from="a", wave_to="b", reliability=0.8)
    assert res.status == "too_few_cases" and np.isnan(res.mean_diff)
    x1, x2 = _scores(50, 0.8, 0.2, seed=4)
    res = observed_change(x1, x2, np.arange(50), scale="s", wave_from="a", wave_to="b",
                          reliability=float("nan"))
    assert res.status == "ok" and np.isnan(res.rci_improved) and "reliable change" in res.reason
    assert res.to_dict()["rci_improved"] is None


def test_icc_recovers_a_known_cluster_share():
    rng = np.random.default_rng(5)
    clusters = np.repeat(np.arange(200), 25)
    values = rng.standard_normal(200)[clusters] * np.sqrt(0.2) + rng.standard_normal(5000) * np.sqrt(0.8)
    s = icc1(values, clusters)
    # SE of ICC(1) with 200 clusters of 25 is about .019 (Swiger et al. 1964; seed 5 is
    # .008 off): 0.04 is 2 SEs, as far as 200 clusters allow.
    assert s.icc1 == pytest.approx(0.2, abs=0.04)
    assert s.design_effect == pytest.approx(1 + 24 * s.icc1, rel=1e-12)  # the formula
