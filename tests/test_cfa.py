"""CFA on simulated data: a known structure is recovered, and problems are stated,
not hidden: each gives a status, a reason and no fit."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests_paths import REFERENCE

from psychometrics.cfa import fit_cfa


def _with_correlations(target: np.ndarray, n: int, seed: int) -> pd.DataFrame:
    """Data whose sample correlation matrix is exactly ``target``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, target.shape[0]))
    x -= x.mean(axis=0)
    x = x @ np.linalg.inv(np.linalg.cholesky(np.cov(x, rowvar=False)).T)
    x = x @ np.linalg.cholesky(target).T
    return pd.DataFrame(x, columns=[f"x{j + 1}" for j in range(target.shape[0])])


def test_heywood_case_is_flagged_and_reports_no_numbers():
    # lambda_1^2 = r12 r13 / r23 = .64 / .5 > 1: a negative residual variance.
    target = np.array([[1, 0.8, 0.8], [0.8, 1, 0.5], [0.8, 0.5, 1]])
    res = fit_cfa(_with_correlations(target, 300, 1), {"f": ["x1", "x2", "x3"]})
    assert res.status == "heywood"
    assert "negative residual variance" in res.reason
    t = res.table
    assert t.loc[(t["lhs"] == "x1") & (t["op"] == "~~"), "est"].item() < 0
    assert res.loadings_std["x1"] > 1  # kept on the object, for diagnosis
    d = res.to_dict()
    assert d["status"] == "heywood" and "negative residual variance" in d["reason"]
    # An inadmissible solution gets no fit numbers, no loadings and no SEs.
    assert d["chi2"] is None and d["cfi"] is None and d["rmsea"] is None and d["srmr"] is None
    assert set(d["loadings_std"].values()) == {None}
    assert set(d["loadings_std_se"].values()) == {None}
    assert res.summary().startswith("cfa: heywood")


def test_just_identified_model_reports_chi2_zero_and_no_fit_indices():
    target = np.array([[1, 0.5, 0.4], [0.5, 1, 0.45], [0.4, 0.45, 1]])
    res = fit_cfa(_with_correlations(target, 300, 1), {"f": ["x1", "x2", "x3"]})
    assert res.status == "ok" and res.df == 0
    d = res.to_dict()
    assert d["chi2"] == 0.0 and d["df"] == 0  # exactly, not -2e-13
    assert d["pvalue"] is None and d["cfi"] is None and d["tli"] is None and d["rmsea"] is None
    assert "just identified" in d["reason"]
    # lambda_1^2 = r12 r13 / r23 for three indicators
    # exact in theory; ours converge to a gradient of 1e-10 (agreement 2e-16)
    assert d["loadings_std"]["x1"] == pytest.approx(np.sqrt(0.5 * 0.4 / 0.45), abs=1e-8)


def test_non_positive_definite_covariance():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((100, 3))
    data = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "d": x[:, 0] + x[:, 1]})
    res = fit_cfa(data, {"f": ["a", "b", "c", "d"]})
    assert res.status == "not_positive_definite" and res.fit is None
    d = res.to_dict()
    assert d["chi2"] is None and d["cfi"] is None and d["loadings_std"]["a"] is None


def test_too_few_cases_and_the_cases_per_parameter_note():
    target = np.full((6, 6), 0.5) + 0.5 * np.eye(6)
    data = _with_correlations(target, 40, 3)
    res = fit_cfa(data.iloc[:5], {"f": list(data.columns)})
    assert res.status == "too_few_cases" and "5 persons answered all of the 6 items" in res.reason
    res = fit_cfa(data, {"f": list(data.columns)})
    assert res.status == "ok"
    assert any("cases per free parameter" in n for n in res.notes)  # 40 / 12 < 5


def test_non_convergence_shows_no_fit_indices():
    data = pd.read_csv(Path(__file__).parent / "reference" / "cfa" / "hs.csv")
    factors = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
               "speed": ["x7", "x8", "x9"]}
    res = fit_cfa(data, factors, max_iter=2)
    assert res.status == "not_converged" and "did not converge" in res.reason
    assert res.fit is None and res.to_dict()["rmsea"] is None


def test_not_identified_two_item_factor():
    target = np.array([[1, 0.5], [0.5, 1]])
    res = fit_cfa(_with_correlations(target, 100, 5), {"f": ["x1", "x2"]})
    assert res.status == "not_identified"


def test_a_known_three_factor_structure_is_recovered():
    """Simulated 3-factor data (tests/reference/cfa/sim3.csv: standardized loadings
    .8 .7 .6 .5 per factor, N = 400): the CFA fits and every standardized loading is
    within 3 SEs of its population value."""
    data = pd.read_csv(REFERENCE / "cfa" / "sim3.csv")
    factors = {f"F{k + 1}": [f"y{4 * k + j}" for j in range(1, 5)] for k in range(3)}
    res = fit_cfa(data, factors)
    assert res.status == "ok" and res.fit.pvalue > 0.05 and res.fit.cfi > 0.95
    t = res.table[res.table["op"] == "=~"]
    truth = np.tile([0.8, 0.7, 0.6, 0.5], 3)
    assert np.all(np.abs(t["std_all"].to_numpy() - truth) < 3 * t["std_se"].to_numpy())


def test_missing_answers_use_fiml_by_default_or_listwise_on_request():
    data = pd.read_csv(REFERENCE / "fiml" / "hs_missing.csv")
    factors = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
               "speed": ["x7", "x8", "x9"]}
    fiml = fit_cfa(data, factors)
    listwise = fit_cfa(data, factors, missing="listwise")
    assert fiml.missing_rule == "fiml" and fiml.n == 301
    assert listwise.missing_rule == "listwise" and listwise.n == int(data.notna().all(axis=1).sum())
    assert listwise.n < 200
    assert any("count through full-information ML" in n for n in fiml.notes)
    assert "missing = 'ml'" in fiml.syntax
    # lavaan's chi2 for this model with missing = "ml" (tests/reference/fiml): agreement
    # 6e-11 relative (it rests on both programs' EM moments)
    assert fiml.fit.chi2 == pytest.approx(78.664763749764376, rel=5e-10)


def test_refit_equals_fit():
    """No state is kept between fits (semopy reuses its previous state unless told)."""
    data = pd.read_csv(REFERENCE / "fiml" / "hs_missing.csv")
    factors = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]}
    a, b = fit_cfa(data, factors), fit_cfa(data, factors)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.fit == b.fit
