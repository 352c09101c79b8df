"""The extraction in psychometrics._fa_backend is factor_analyzer 0.5.1's, written out so
that a run does not import factor_analyzer (and with it scikit-learn and scipy.stats).
Cross-check: the same loadings as ``FactorAnalyzer(rotation=None, is_corr_matrix=True)``
on the reference data sets and on simulated matrices, minres and ML, 1-4 factors. The
operations are the same, so the agreement is to rounding (measured 0; tolerance 1e-12)."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

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


@pytest.mark.parametrize("method", ["minres", "ml"])
@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("name,r", CASES, ids=[c[0] for c in CASES])
def test_loadings_equal_factor_analyzer(name, r, k, method):
    before = r.copy()
    ours = unrotated_loadings(r, k, method)
    assert np.array_equal(r, before), "the caller's matrix must not be written"
    assert_allclose(ours, _factor_analyzer(r, k, method), rtol=0, atol=1e-12)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="'minres' or 'ml'"):
        unrotated_loadings(np.eye(3), 1, "paf")
