"""The extraction in psychometrics._fa_backend is factor_analyzer 0.5.1's, written out so
that a run does not import factor_analyzer (and with it scikit-learn and scipy.stats).
Cross-check against ``FactorAnalyzer(rotation=None, is_corr_matrix=True)`` on the
reference data sets and simulated matrices, minres and ML, 1-4 factors:

- with finite-difference gradients (``ANALYTIC_GRADIENT = False``) the operations are
  factor_analyzer's, so the loadings are equal to rounding (measured 0; tolerance 1e-12);
- with the closed-form gradients (the default) our projected BFGS
  (psychometrics._solvers.minimize_box) runs to a projected gradient of 1e-10, where
  factor_analyzer's L-BFGS-B stops at its default tolerance ~1e-5 from the optimum: the
  loadings agree to 3.7e-5 at worst (hs, 4 factors, ML), tolerance 1e-4; and ours lie
  within 4.4e-8 of the optimum (a scipy L-BFGS-B run to ftol 1e-16; 5.2e-9 with at most
  3 factors), tolerance 1e-7 (it was 5e-5 with L-BFGS-B's default stopping point).
The gradients themselves equal central differences of the objectives (1e-6 relative).
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from psychometrics import _fa_backend as fa_backend
from psychometrics._fa_backend import unrotated_loadings

REF = Path(__file__).parent / "reference" / "cfa"


def _factor_analyzer(r: np.ndarray, k: int, method: str) -> np.ndarray:
    fa_module = pytest.importorskip("factor_analyzer")
    fa = fa_module.FactorAnalyzer(n_factors=k, rotation=None, method=method,
                                  is_corr_matrix=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*force_all_finite.*", category=FutureWarning)
        fa.fit(np.array(r, dtype=float))
    return np.asarray(fa.loadings_, dtype=float)


def _simulated(p: int, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lam = rng.uniform(0.3, 0.8, size=(p, k)) * (rng.random((p, k)) < 0.6)
    x = rng.normal(size=(300, k)) @ lam.T + rng.normal(size=(300, p))
    return np.corrcoef(x, rowvar=False)


CASES = [("hs", pd.read_csv(REF / "hs.csv").corr().to_numpy()),
         ("sim3", pd.read_csv(REF / "sim3.csv").corr().to_numpy()),
         ("sim12", _simulated(12, 3, 1)), ("sim20", _simulated(20, 4, 2))]


def _optimum(r: np.ndarray, k: int, method: str) -> np.ndarray:
    """The loadings at the optimum: L-BFGS-B run to ftol 1e-16, gtol 1e-12."""
    from scipy.optimize import minimize

    r = np.array(r)
    start = np.diag(r) - (1 - 1 / np.diag(np.linalg.inv(r)))
    fg = fa_backend._ml_value_gradient if method == "ml" else fa_backend._uls_value_gradient
    res = minimize(fg, start, method="L-BFGS-B", jac=True, args=(r, k),
                   bounds=[fa_backend._BOUNDS] * len(r),
                   options={"maxiter": 5000, "ftol": 1e-16, "gtol": 1e-12})
    norm = fa_backend._normalize_ml if method == "ml" else fa_backend._normalize_uls
    L = norm(res.x, r, k)
    if k > 1:
        signs = np.sign(L.sum(0))
        signs[signs == 0] = 1
        L = L * signs
    return L[:, list(reversed(np.argsort((L ** 2).sum(0))))]


@pytest.mark.parametrize("method", ["minres", "ml"])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("name,r", CASES, ids=[c[0] for c in CASES])
def test_loadings_equal_factor_analyzer(name, r, k, method, monkeypatch):
    before = r.copy()
    ours = unrotated_loadings(r, k, method)
    assert np.array_equal(r, before), "the caller's matrix must not be written"
    theirs = _factor_analyzer(r, k, method)
    assert_allclose(ours, theirs, rtol=0, atol=1e-4)
    assert_allclose(ours, _optimum(r, k, method), rtol=0, atol=1e-7)  # measured 4.4e-8
    monkeypatch.setattr(fa_backend, "ANALYTIC_GRADIENT", False)
    assert_allclose(unrotated_loadings(r, k, method), theirs, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name,r", CASES, ids=[c[0] for c in CASES])
def test_gradients_equal_central_differences(name, r):
    rng = np.random.default_rng(0)
    for k in (1, 2, 3):
        psi = rng.uniform(0.2, 0.9, len(r))
        for fg, f in ((fa_backend._uls_value_gradient, fa_backend._uls_objective),
                      (fa_backend._ml_value_gradient, fa_backend._ml_objective)):
            value, grad = fg(psi, r.copy(), k)
            assert_allclose(value, f(psi, r.copy(), k), rtol=1e-12)
            num = np.zeros_like(psi)
            for j in range(len(psi)):
                up, down = psi.copy(), psi.copy()
                up[j] += 1e-6
                down[j] -= 1e-6
                num[j] = (f(up, r.copy(), k) - f(down, r.copy(), k)) / 2e-6
            # central differences at h = 1e-6: accurate to ~1e-8 relative here
            assert_allclose(grad, num, rtol=0, atol=1e-6 * max(1, np.abs(grad).max()))


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="'minres' or 'ml'"):
        unrotated_loadings(np.eye(3), 1, "paf")
