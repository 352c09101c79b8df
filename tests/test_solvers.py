"""psychometrics._solvers against the scipy routines they replace (issue 16: a run no
longer imports scipy.optimize), on several problems each, including solutions at a
bound, and their failures (no convergence, no bracket).

Measured agreement (tolerances beside each assertion):
- minimize_box vs L-BFGS-B run to ftol 1e-16, gtol 1e-12: quadratics and Rosenbrock
  with solutions inside and at bounds <= 6.9e-9 (on the quadratics with an interior
  solution that is L-BFGS-B's error: ours is within 4e-11 of H^-1 c); the minres and ML
  Heywood cases (psi_1 at 0.005) equal at the bound, the rest <= 2.3e-9;
- find_root vs brentq (both xtol 1e-12): equal on these problems;
- the polychoric score root vs minimize_scalar(method="bounded", xatol=1e-10) on the
  log-likelihood: <= 1.5e-8 (the function-value search locates rho to ~1e-8), also
  with rho near the bound (0.995, -0.99); at a flat likelihood (an empty cell: the
  supremum at rho -> 1) both stop where the likelihood is within rounding of it;
- least_squares_lm vs least_squares (tolerances 1e-14): <= 1e-11 (and 1e-9 on random
  factor correlation matrices, where ours has the smaller gradient).
"""

import importlib
import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import optimize

from psychometrics import _fa_backend as fa_backend
from psychometrics import polychoric as poly
from psychometrics._solvers import find_root, least_squares_lm, minimize_box
from psychometrics.exceptions import NonConvergenceWarning

omega_module = importlib.import_module("psychometrics.omega_hierarchical")


def _lbfgsb(fg, x0, lo, hi, args=()):
    res = optimize.minimize(fg, x0, method="L-BFGS-B", jac=True, args=args,
                            bounds=list(zip(np.broadcast_to(lo, x0.shape),
                                            np.broadcast_to(hi, x0.shape))),
                            options={"maxiter": 10000, "ftol": 1e-16, "gtol": 1e-12})
    return res.x


def _quadratic(seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(6, 6))
    h = a @ a.T + 0.5 * np.eye(6)
    c = rng.normal(0, 2, 6)

    def fg(x):
        return float(0.5 * x @ h @ x - c @ x), h @ x - c
    return fg


def _rosenbrock(x):
    f = float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))
    g = np.zeros_like(x)
    g[:-1] = -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200 * (x[1:] - x[:-1] ** 2)
    return f, g


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("box", [(-10.0, 10.0), (-0.3, 0.4), (0.0, 1.0)])
def test_minimize_box_equals_lbfgsb_on_quadratics(seed, box):
    fg = _quadratic(seed)
    x0 = np.full(6, 0.1)
    res = minimize_box(fg, x0, *box)
    assert res.converged and res.projected_gradient <= 1e-10
    ref = _lbfgsb(fg, x0, *box)
    assert_allclose(res.x, ref, rtol=0, atol=2e-8)  # measured <= 6.9e-9: scipy's error
    if box == (-10.0, 10.0):  # the solution is inside: H^-1 c
        rng = np.random.default_rng(seed)
        a = rng.normal(size=(6, 6))
        exact = np.linalg.solve(a @ a.T + 0.5 * np.eye(6), rng.normal(0, 2, 6))
        assert_allclose(res.x, exact, rtol=0, atol=1e-9)  # ours: <= 4e-11; L-BFGS-B 7e-9
    at_bound = np.isclose(ref, box[0], atol=1e-9) | np.isclose(ref, box[1], atol=1e-9)
    if box != (-10.0, 10.0):
        assert at_bound.any()  # the problems do test solutions at a bound
    assert np.all((res.x == box[0]) | (res.x == box[1]) | ~at_bound)  # exactly on it


@pytest.mark.parametrize("box", [(-2.0, 2.0), (-2.0, 0.5), (1.5, 3.0)])
def test_minimize_box_equals_lbfgsb_on_rosenbrock(box):
    x0 = np.clip(np.array([-1.2, 1.0, -0.5, 0.8]), *box)
    res = minimize_box(_rosenbrock, x0, *box)
    assert res.converged
    ref = _lbfgsb(_rosenbrock, x0, *box)
    assert_allclose(res.x, ref, rtol=0, atol=1e-8)
    if box == (-2.0, 2.0):
        assert_allclose(res.x, 1.0, rtol=0, atol=1e-9)


@pytest.mark.parametrize("method", ["minres", "ml"])
def test_minimize_box_heywood_case_at_the_bound(method):
    """One factor where the first item's loading is 1: the optimum has psi_1 = 0, so the
    solution sits at the bound 0.005 (a Heywood case)."""
    lam = np.array([1.0, 0.7, 0.6, 0.5, 0.45, 0.4])
    r = np.outer(lam, lam) + np.diag(1 - lam ** 2)  # psi_1 = 0 at the optimum
    fg = fa_backend._ml_value_gradient if method == "ml" else fa_backend._uls_value_gradient
    start = np.full(6, 0.5)
    res = minimize_box(fg, start, *fa_backend._BOUNDS, args=(r.copy(), 1))
    ref = _lbfgsb(fg, start, *fa_backend._BOUNDS, args=(r.copy(), 1))
    assert res.converged
    assert res.x[0] == 0.005 and ref[0] == pytest.approx(0.005, abs=1e-12)
    assert_allclose(res.x, ref, rtol=0, atol=1e-8)  # measured <= 2.3e-9


def test_minimize_box_reports_non_convergence():
    res = minimize_box(_rosenbrock, np.array([-1.2, 1.0, -0.5, 0.8]), -2.0, 2.0, maxiter=5)
    assert not res.converged and res.n_iter == 5 and "5 iterations" in res.message
    with pytest.raises(ValueError, match="lower <= upper"):
        minimize_box(_rosenbrock, np.zeros(2), 1.0, 0.0)


def test_unrotated_loadings_warns_when_the_minimizer_fails(monkeypatch):
    monkeypatch.setattr(fa_backend, "GTOL", -1.0)  # a tolerance no point can meet
    monkeypatch.setattr(fa_backend, "MAX_ITER", 20)  # reached sooner than 1,000
    r = np.array([[1, .5, .4, .3], [.5, 1, .35, .3], [.4, .35, 1, .25], [.3, .3, .25, 1]])
    with pytest.warns(UserWarning, match="Failed to converge"):
        fa_backend.unrotated_loadings(r, 1, "minres")


ROOT_CASES = [
    (lambda x: x ** 3 - 2 * x - 5, 2.0, 3.0),
    (lambda x: math.cos(x) - x, 0.0, 1.0),
    (lambda x: math.exp(x) - 1e-3, -20.0, 5.0),
    (lambda x: math.tanh(x - 0.3), -1.0, 2.0),
    (lambda x: math.atan(50 * (x - 0.123)), -10.0, 10.0),
    (lambda x: x - 1e-9, -1.0, 1.0),
]


@pytest.mark.parametrize("case", range(len(ROOT_CASES)))
def test_find_root_equals_brentq(case):
    f, a, b = ROOT_CASES[case]
    ours = find_root(f, a, b, xtol=1e-12)
    ref = optimize.brentq(f, a, b, xtol=1e-12)
    assert abs(ours.root - ref) <= 2e-12
    assert ours.n_eval <= 100


def test_find_root_ends_errors_and_infinite_values():
    assert find_root(lambda x: x - 1.0, 1.0, 3.0).root == 1.0  # a root at an end
    with pytest.raises(ValueError, match="same sign"):
        find_root(lambda x: x * x + 1, -1.0, 1.0)
    with pytest.raises(ValueError, match="NaN"):
        find_root(lambda x: math.nan, -1.0, 1.0)
    with pytest.raises(RuntimeError, match="no convergence in 3 iterations"):
        find_root(lambda x: x ** 3 - 2 * x - 5, 2.0, 3.0, maxiter=3)

    def f(x):  # infinite at the ends, as the polychoric score near +-1
        return math.inf if x < -0.9 else -math.inf if x > 0.9 else 0.4 - x
    assert abs(find_root(f, -1.0, 1.0).root - 0.4) <= 1e-12


def _table(rho, n, c, seed):
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
    cuts = np.sort(rng.normal(0, 0.8, c - 1))
    x, y = np.searchsorted(cuts, z[:, 0]), np.searchsorted(cuts + 0.2, z[:, 1])
    table = np.zeros((c, c))
    np.add.at(table, (x, y), 1.0)
    tau = poly.thresholds(np.column_stack([x, y]).astype(float), c)
    return table, tau[:, 0], tau[:, 1]


def _negloglik(table, tx, ty):
    p, cells = table / table.sum(), poly._cell_function(tx, ty)

    def f(rho):
        prob = cells(rho)
        ok = (p > 0) & (prob > 0)
        return -float(np.sum(p[ok] * np.log(prob[ok])))
    return f


def _scipy_polychoric(table, tx, ty):
    return optimize.minimize_scalar(_negloglik(table, tx, ty), bounds=poly.RHO_BOUNDS,
                                    method="bounded", options={"xatol": 1e-10}).x


@pytest.mark.parametrize("rho,n,c,seed", [(0.0, 200, 5, 1), (0.45, 300, 4, 2),
                                          (-0.6, 150, 3, 3), (0.8, 500, 7, 4),
                                          (-0.93, 400, 5, 5), (0.97, 2000, 3, 6),
                                          (0.995, 5000, 2, 7), (-0.99, 20000, 3, 8),
                                          (0.99, 3000, 4, 11)])
def test_polychoric_score_root_equals_bounded_minimizer(rho, n, c, seed):
    table, tx, ty = _table(rho, n, c, seed)
    ours = poly.polychoric_from_table(table, tx, ty)
    ref = _scipy_polychoric(table, tx, ty)
    lo, hi = poly.RHO_BOUNDS
    assert lo < ours < hi and abs(ours - rho) < 0.2  # an interior maximum, also near 1
    assert abs(ours - ref) <= 1e-7  # measured <= 1.5e-8: scipy's by function values


def test_polychoric_on_a_flat_likelihood_when_a_cell_is_empty():
    """A 2 x 2 table with an empty discordant cell: the likelihood rises towards rho = 1
    and is constant to rounding from about 0.994 on (the score underflows to 0 before the
    bound). Ours returns the point closest to 0 from which the likelihood is within
    rounding of the bound's, where the score is still positive (so the asymptotic
    variance is defined); scipy's bounded search stops on the flat part too, with no
    higher likelihood. (lavaan adds 0.5 to an empty cell of a 2 x 2 table instead.)"""
    table = np.array([[40.0, 0.0], [25.0, 35.0]])
    tx, ty = poly.thresholds(np.repeat([[0, 0], [1, 0], [1, 1]], [40, 25, 35], axis=0)
                             .astype(float), 2).T
    ours = poly.polychoric_from_table(table, tx, ty)
    f = _negloglik(table, tx, ty)
    bound = poly.RHO_BOUNDS[1]
    assert 0.98 < ours < bound
    assert f(ours) - f(bound) <= 4 * np.finfo(float).eps * abs(f(bound))
    assert f(ours) <= f(_scipy_polychoric(table, tx, ty)) + 1e-15
    p = table / table.sum()
    dprob = poly._cell_derivative(tx, ty)(ours)
    assert np.sum(p[p > 0] * dprob[p > 0] / poly._cell_function(tx, ty)(ours)[p > 0]) > 0
    flipped = poly.polychoric_from_table(table[:, ::-1], tx, -ty[::-1])
    assert flipped == pytest.approx(-ours, abs=1e-9)


def test_ordinal_moments_with_an_empty_cell_keep_a_finite_nacov():
    """Inside ordinal_moments (WLSMV) a 2 x 2 pair with one empty cell gets lavaan's 0.5
    (psychometrics.polychoric.add_to_empty_cell; tests/test_zero_add_reference.py), so its
    likelihood is not flat. A 2 x 3 pair with the same empty region (a = 0 answered only
    b = 0; lavaan adds nothing to tables larger than 2 x 2) keeps the flat-likelihood
    estimate above: its NACOV stays finite (huge: the pair carries almost no information)
    and no numpy warning is raised (at exactly the bound the score is 0 and the variance
    would divide by it)."""
    from psychometrics.sem.ordinal import ordinal_moments

    rng = np.random.default_rng(0)
    z = rng.normal(size=(300, 1)) * 0.8 + rng.normal(size=(300, 4)) * 0.6
    x = (z > np.array([-0.3, 0.2, 0.0, 0.5])).astype(float)
    x[:, 1] = np.where(x[:, 0] == 0, 0, x[:, 1])  # no (0, 1) answers for items a, b
    om = ordinal_moments(x, ["a", "b", "c", "d"])
    table = np.histogram2d(x[:, 0], x[:, 1], bins=2)[0]
    assert table[0, 1] == 0 and (table[[0, 1, 1], [0, 0, 1]] > 0).all()
    tx, ty = om.thresholds[0], om.thresholds[1]
    assert om.cor[0, 1] == pytest.approx(  # equal to rounding (the root at 1e-12)
        poly.polychoric_from_table(poly.add_to_empty_cell(table), tx, ty), abs=1e-12)
    assert 0.9 < om.cor[0, 1] < 0.95  # the flat likelihood's estimate is above 0.99
    assert poly.polychoric_from_table(table, tx, ty) > 0.99
    x[:, 1] += (x[:, 1] == 1) & (z[:, 1] > 1.0)  # b: three categories
    om = ordinal_moments(x, ["a", "b", "c", "d"])
    assert 0.98 < om.cor[0, 1] < poly.RHO_BOUNDS[1]
    assert np.isfinite(om.nacov).all()


def _one_factor(phi):
    k = len(phi)
    rows, cols = np.triu_indices(k, 1)
    pairs = np.arange(len(rows))

    def resid(g):
        return phi[rows, cols] - g[rows] * g[cols]

    def jac(g):
        J = np.zeros((len(rows), k))
        J[pairs, rows], J[pairs, cols] = -g[cols], -g[rows]
        return J
    return resid, jac


T = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0])
LS_CASES = {
    "exponential": (lambda x: x[0] * np.exp(x[1] * T) - np.array([1.1, 1.6, 2.7, 4.4, 7.5, 20.0]),
                    lambda x: np.column_stack([np.exp(x[1] * T), x[0] * T * np.exp(x[1] * T)]),
                    np.array([1.0, 0.0])),
    "rosenbrock": (lambda x: np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]]),
                   lambda x: np.array([[-20 * x[0], 10.0], [-1.0, 0.0]]),
                   np.array([-1.2, 1.0])),
    "phi_k3_exact": (*_one_factor(np.array([[1, .42, .35], [.42, 1, .30], [.35, .30, 1]])),
                     np.full(3, 0.5)),
    "phi_k5_noisy": (*_one_factor(np.array([[1, .5, .42, .3, .45], [.5, 1, .38, .33, .5],
                                            [.42, .38, 1, .2, .41], [.3, .33, .2, 1, .29],
                                            [.45, .5, .41, .29, 1]])), np.full(5, 0.5)),
}


@pytest.mark.parametrize("name", list(LS_CASES))
def test_least_squares_lm_equals_scipy(name):
    resid, jac, x0 = LS_CASES[name]
    ours = least_squares_lm(resid, jac, x0, xtol=1e-14, ftol=1e-14, gtol=1e-14)
    ref = optimize.least_squares(resid, x0, jac=jac, xtol=1e-14, ftol=1e-14, gtol=1e-14)
    assert ours.converged
    assert_allclose(ours.x, ref.x, rtol=0, atol=1e-9)  # measured <= 1e-11
    assert ours.cost <= ref.cost + 1e-15


def test_least_squares_lm_reports_non_convergence():
    resid, jac, x0 = LS_CASES["rosenbrock"]
    res = least_squares_lm(resid, jac, x0, maxiter=2)
    assert not res.converged and res.n_iter == 2 and "2 iterations" in res.message


def test_omega_hierarchical_not_converged_status(monkeypatch):
    import pandas as pd

    def failing(*args, **kwargs):
        return least_squares_lm(*args, **{**kwargs, "maxiter": 0})
    monkeypatch.setattr(omega_module, "least_squares_lm", failing)
    rng = np.random.default_rng(3)
    g = rng.normal(size=(400, 1))
    groups = rng.normal(size=(400, 3))
    x = np.hstack([0.5 * g + 0.6 * groups[:, [j]] + 0.6 * rng.normal(size=(400, 3))
                   for j in range(3)])
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        oh = omega_module.omega_hierarchical(pd.DataFrame(x), 3)
    assert oh.status == "not_converged" and math.isnan(oh.omega_h)
    assert any(w.category is NonConvergenceWarning for w in seen)
