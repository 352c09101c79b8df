"""Full-information ML against lavaan's missing = "ml" (tests/reference/fiml/):
the four invariance models on data with attrition and missing answers, and a
three-factor CFA with missing answers. Tolerances are the agreement reached (measured
worst case) with a margin of about 5-10x, the reason beside each. Estimates agree to
2e-6, where lavaan's optimizer stops (ours: gradient 1e-10); chi2 and the SRMR also rest
on the saturated model's EM moments (ours iterate to a change of 1e-10)."""

from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose
from reference_values import read_reference

from psychometrics.cfa import cfa_rows, shown
from psychometrics.invariance import model_rows
from psychometrics.sem import Moments, PatternMoments, Row, build_table, fit_ml

REF = Path(__file__).parent / "reference" / "fiml"
HS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return read_reference(REF / "reference.csv")


def _model(name):
    if name == "hs3":
        rows = cfa_rows(HS) + [Row(i, "~1") for its in HS.values() for i in its]
        return build_table(rows), pd.read_csv(REF / "hs_missing.csv")
    step = name.split("_")[1]
    table = build_table(model_rows("F", ["x1", "x2", "x3", "x4"], ["T0", "T1"], step))
    return table, pd.read_csv(REF / "drift2_missing.csv")


@pytest.mark.parametrize("name", ["drift2_configural", "drift2_metric", "drift2_scalar",
                                  "drift2_strict", "hs3"])
def test_fiml_equals_lavaan(name, reference):
    table, data = _model(name)
    fit = fit_ml(table, PatternMoments.from_data(data))
    ref = reference[reference.model == name]
    value = ref[ref.op == ""].set_index("statistic")["value"]
    assert fit.status == "ok"
    assert fit.n == value["ntotal"] and fit.npar == value["npar"] and fit.df == value["df"]
    f = fit.fit
    assert_allclose(f.chi2, value["chisq"], rtol=1e-8)  # agreement 2e-9 (EM moments)
    assert_allclose(f.baseline_chi2, value["baseline.chisq"], rtol=5e-10)  # agreement 6e-11
    # cfi/tli/rmsea agree to 1.2e-10; the RMSEA interval (R's uniroot) to 1.6e-8; the SRMR,
    # from the EM moments and lavaan's estimates, to 3.5e-7.
    tolerance = {"rmsea.ci.lower": 1e-7, "rmsea.ci.upper": 1e-7, "srmr": 2e-6}
    for ours, theirs in [(f.cfi, "cfi"), (f.tli, "tli"), (f.rmsea, "rmsea"), (f.srmr, "srmr"),
                         (f.rmsea_ci.low, "rmsea.ci.lower"), (f.rmsea_ci.high, "rmsea.ci.upper")]:
        assert_allclose(ours, value[theirs], rtol=0, atol=tolerance.get(theirs, 1e-9), err_msg=theirs)
    assert_allclose([fit.loglik, fit.aic, fit.bic], [value["logl"], value["aic"], value["bic"]],
                    rtol=1e-12)  # agreement 1.3e-13
    # factors are '.visual', '.F_T0' in our models (psychometrics.cfa.latent); R's are plain
    ours = fit.table.assign(lhs=fit.table["lhs"].map(shown), rhs=fit.table["rhs"].map(shown))
    ours = ours.set_index(["lhs", "op", "rhs"])
    # agreement: est 1.6e-6 (lavaan's optimizer stops there), se 3e-7 (both analytic
    # observed information, evaluated at slightly different estimates)
    for stat, column, tol in [("est", "est", 1e-5), ("se", "se", 1e-6)]:
        for r in ref[ref.statistic == stat].itertuples(index=False):
            if (r.lhs, r.op, r.rhs) not in ours.index:
                # lavaan adds the latent means (fixed at 0) that our CFA leaves implicit
                assert r.op == "~1" and r.lhs in HS and r.value == 0
                continue
            assert_allclose(ours.loc[(r.lhs, r.op, r.rhs), column], r.value, rtol=0, atol=tol,
                            err_msg=f"{name} {stat} {r.lhs}{r.op}{r.rhs}")


def test_fiml_on_complete_data_is_ml():
    data = pd.read_csv(Path(__file__).parent / "reference" / "invariance" / "drift2.csv")
    table = build_table(model_rows("F", ["x1", "x2", "x3", "x4"], ["T0", "T1"], "metric"))
    a, b = fit_ml(table, Moments.from_data(data)), fit_ml(table, PatternMoments.from_data(data))
    # Two of our code paths, each converged to a gradient of 1e-10: agreement 2e-14
    # (chi2, relative), 4e-11 (estimates), 0 (log-likelihood).
    assert_allclose(b.fit.chi2, a.fit.chi2, rtol=1e-12)
    assert_allclose(b.table["est"], a.table["est"], rtol=0, atol=1e-9)
    assert_allclose(b.loglik, a.loglik, rtol=1e-12)
