"""The analytic derivatives of the FIML objective against numerical ones.

On small models with missing answers: the longitudinal scalar model (equality
constraints by shared labels, free factor variance and mean at the second wave, so
every second-derivative pair of the model occurs: loading x loading, loading x factor
(co)variance, loading x factor mean) and a three-factor CFA with intercepts. The
derivatives are checked away from the optimum, where the second-order term of the
observed information (the saturated gradient times the second derivatives of Sigma
and mu) does not vanish.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from psychometrics.cfa import cfa_rows
from psychometrics.invariance import model_rows
from psychometrics.sem import PatternMoments, Row, build_table, fit_ml
from psychometrics.sem.estimation import fiml_gradient, fiml_observed_information
from psychometrics.sem.implied import Structure
from psychometrics.sem.objective import fiml_value

REF = Path(__file__).parent / "reference" / "fiml"
HS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


def _case(name):
    if name == "hs3":
        rows = cfa_rows(HS) + [Row(i, "~1") for its in HS.values() for i in its]
        return build_table(rows), pd.read_csv(REF / "hs_missing.csv")
    table = build_table(model_rows("F", ["x1", "x2", "x3", "x4"], ["T0", "T1"], name))
    return table, pd.read_csv(REF / "drift2_missing.csv")


def _central(fn, theta, h=1e-5):
    cols = []
    for k in range(len(theta)):
        step = h * max(1.0, abs(theta[k]))
        up, down = theta.copy(), theta.copy()
        up[k] += step
        down[k] -= step
        cols.append((np.asarray(fn(up)) - np.asarray(fn(down))) / (2 * step))
    return np.array(cols).T


@pytest.mark.parametrize("name", ["scalar", "metric", "hs3"])
def test_fiml_gradient_and_observed_information_equal_numerical_derivatives(name):
    table, data = _case(name)
    pm = PatternMoments.from_data(data)
    assert len(pm.patterns) > 3  # missing answers in several patterns
    struct = Structure(table, pm.names)
    fit = fit_ml(table, pm, standard_errors=False)
    assert fit.status == "ok"
    if name == "scalar":
        assert table["label"].duplicated().any()  # equality constraints are in the model
    rng = np.random.default_rng(1)
    theta = fit.theta + rng.normal(0, 0.05, struct.q)  # away from the optimum
    value = lambda th: fiml_value(pm.stacked, *struct.implied(th), pm.n)
    grad = fiml_gradient(struct, pm, theta)
    assert np.max(np.abs(grad)) > 1e-3  # the second-order term matters here
    # central differences have error ~h^2 * third derivative: agreement to ~1e-8
    assert_allclose(grad, _central(value, theta),
                    atol=1e-7 * max(1.0, np.max(np.abs(grad))))
    hess = fiml_observed_information(struct, pm, theta)
    numeric = _central(lambda th: fiml_gradient(struct, pm, th), theta)
    assert_allclose(hess, (numeric + numeric.T) / 2, atol=1e-6 * np.max(np.abs(hess)))
