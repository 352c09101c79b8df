"""An independent cross-check of our ML engine against semopy's `Model` (covariance
structure, which semopy fits correctly; see docs/engines.md), with the
tight SLSQP tolerance the notes recommend. Compared: chi2 (semopy's is N * F_ML,
as ours) and the standardized solution, which does not depend on identification
(semopy fixes the first loading, we fix the factor variance)."""

import warnings

import pandas as pd
import pytest
from numpy.testing import assert_allclose
from tests_paths import REFERENCE

from psychometrics.cfa import fit_cfa


@pytest.fixture(scope="module")
def semopy():
    """semopy, imported by the test that uses it (not at collection: with sympy and
    scikit-learn it is ~1 s of every test worker's start)."""
    return pytest.importorskip("semopy")

FACTORS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


def _semopy_fit(semopy, data: pd.DataFrame):
    desc = "\n".join(f"{f} =~ {' + '.join(items)}" for f, items in FACTORS.items())
    model = semopy.Model(desc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # semopy's own deprecation noise, not ours
        model.fit(data, solver="SLSQP", options={"ftol": 1e-10}, clean_slate=True)
        est = model.inspect(std_est=True)
        stats = semopy.calc_stats(model)
    return est, stats


def test_cfa_equals_semopy_model(semopy):
    data = pd.read_csv(REFERENCE / "cfa" / "hs.csv")
    est, stats = _semopy_fit(semopy, data)
    ours = fit_cfa(data, FACTORS)
    # semopy's SLSQP stops at ftol 1e-10 on F, i.e. estimates ~1e-5 off the optimum at
    # worst; agreement reached: chi2 7.5e-11 relative (second order), standardized
    # loadings and correlations 1.4e-6.
    assert_allclose(ours.fit.chi2, stats.loc["Value", "chi2"], rtol=1e-9)
    loadings = est[est["op"] == "~"].set_index("lval")["Est. Std"]
    assert_allclose(ours.loadings_std.loc[loadings.index], loadings.astype(float), rtol=0, atol=1e-5)
    corr = est[(est["op"] == "~~") & (est["lval"] != est["rval"]) &
               est["lval"].isin(list(FACTORS))]
    ours_corr = {frozenset((r.lhs, r.rhs)): r.std_all for r in ours.factor_correlations.itertuples()}
    assert len(corr) == 3
    for _, r in corr.iterrows():
        assert_allclose(ours_corr[frozenset((r["lval"], r["rval"]))], float(r["Est. Std"]), rtol=0, atol=1e-5)
