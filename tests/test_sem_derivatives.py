"""The analytic derivatives of the FIML objective against numerical ones.

On small models with missing answers: the longitudinal scalar model (equality
constraints by shared labels, free factor variance and mean at the second wave, so
every second-derivative pair of the model occurs: loading x loading, loading x factor
(co)variance, loading x factor mean) and a three-factor CFA with intercepts. The
derivatives are checked away from the optimum, where the second-order term of the
observed information (the saturated gradient times the second derivatives of Sigma
and mu) does not vanish. Also: the per-pattern inverses obtained by downdating the
inverse of Sigma equal direct inverses.
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
    # central differences (h = 1e-5) err by ~h^2 * third derivative + eps * f / h; agreement
    # reached 7e-10 (gradient) and 1.2e-9 of the largest entry (information)
    assert_allclose(grad, _central(value, theta),
                    rtol=0, atol=1e-8 * max(1.0, np.max(np.abs(grad))))
    hess = fiml_observed_information(struct, pm, theta)
    numeric = _central(lambda th: fiml_gradient(struct, pm, th), theta)
    assert_allclose(hess, (numeric + numeric.T) / 2, rtol=0, atol=1e-8 * np.max(np.abs(hess)))


def test_pattern_inverses_by_downdating_equal_direct_inverses():
    from psychometrics.sem.objective import _padded_inverse_direct, padded_inverse

    pm = PatternMoments.from_data(pd.read_csv(REF / "drift2_missing.csv"))
    assert len({int(k) for k in (~pm.stacked.mask).sum(axis=1)}) > 2  # 0, 1, ... missing
    for sigma in (pm.cov, np.diag(np.diag(pm.cov)) + 0.5 * pm.cov):
        (logdet, inv), (logdet_d, inv_d) = padded_inverse(pm.stacked, sigma), \
            _padded_inverse_direct(pm.stacked, sigma)
        # downdating accumulates round-off: agreement 1e-15 (logdet), 4e-16 of the largest
        # entry (inverse); 1e-12 leaves room for another BLAS
        assert_allclose(logdet, logdet_d, rtol=1e-12)
        assert_allclose(inv, inv_d, rtol=0, atol=1e-12 * np.abs(inv_d).max())
    # a Sigma that is not positive definite while every answered block is (items 1 and 3
    # never answered together): the blocks are inverted directly
    from psychometrics.sem.moments import Stacked

    mask = np.array([[True, True, False], [False, True, True]])
    st = Stacked(mask, np.array([2.0, 3.0]), np.zeros((2, 3)), np.zeros((2, 3, 3)))
    bad = np.array([[1.0, 0.5, -0.9], [0.5, 1.0, 0.5], [-0.9, 0.5, 1.0]])
    assert np.linalg.eigvalsh(bad).min() < 0
    logdet, inv = padded_inverse(st, bad)
    assert_allclose(inv[0][:2, :2], np.linalg.inv(bad[:2, :2]), rtol=1e-12)  # agreement exact
    assert_allclose(logdet[1], np.log(np.linalg.det(bad[1:, 1:])), rtol=1e-12)  # 6e-16


def test_every_row_direction_has_the_rank_two_form_used_by_score_tests():
    # loadings, factor (co)variances, residual (co)variances, intercepts and means
    table, _ = _case("scalar")
    extra = build_table([Row(r.lhs, r.op, r.rhs, r.label, None if r.free else r.value)
                         for r in table.itertuples(index=False)]
                        + [Row("F_T0", "=~", "x1_T1", value=0.0),
                           Row("x1_T0", "~~", "x2_T1", value=0.0)])
    struct = Structure(extra, tuple(f"{i}_{w}" for w in ("T0", "T1")
                                    for i in ("x1", "x2", "x3", "x4")))
    theta = np.random.default_rng(2).normal(0.5, 0.2, struct.q)
    mats = struct.matrices(theta)
    rows = np.arange(len(extra))
    dS, _ = struct.row_jacobian(mats, rows)
    basis, ia, ib, s = struct.rank_two(mats, rows)
    a, b = basis[:, ia].T, basis[:, ib].T
    outer = a[:, :, None] * b[:, None, :]
    # entries of order 1, products of two numbers: agreement exact, round-off allowed
    assert_allclose(s[:, None, None] * (outer + outer.transpose(0, 2, 1)), dS, rtol=0, atol=1e-14)
    assert set(struct.kind) == {"L", "P", "T", "N", "A"}
