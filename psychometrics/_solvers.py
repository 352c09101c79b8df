"""Small numerical solvers, so that a run does not import ``scipy.optimize``.

``import scipy.optimize`` pulls in ``scipy.linalg``, ``scipy.sparse``, ``scipy.spatial``
and more: about 0.3 s of every ``validate`` and ``demo`` run (issue 16), for four calls.
Each of those calls is replaced here by a routine written from its textbook
description:

- :func:`minimize_box`, projected BFGS for bounds: the gradient-projection design of
  L-BFGS-B (generalized Cauchy point, subspace step, strong Wolfe line search; Byrd,
  Lu, Nocedal & Zhu 1995; Nocedal & Wright 2006, 16.7) with a dense BFGS matrix, for
  the minres and ML factor extraction (:mod:`psychometrics._fa_backend`). Replaces
  ``scipy.optimize.minimize(method="L-BFGS-B", jac=True, bounds=...)``: imported only
  for this, it cost 0.3 s of every run.
- :func:`find_root`, Brent's method on a bracket (Brent 1973, ch. 4), for the
  noncentral-t interval of d_z (:mod:`psychometrics.change`) and for the polychoric
  correlation as the root of its score (:mod:`psychometrics.polychoric`). Replaces
  ``scipy.optimize.brentq`` and ``scipy.optimize.minimize_scalar(method="bounded")``:
  imported only for these, they cost 0.3 s of every run.
- :func:`least_squares_lm`, Levenberg-Marquardt with an analytic Jacobian (Madsen,
  Nielsen & Tingleff 2004, algorithm 3.16), for the one-factor fit to the factor
  correlations in :mod:`psychometrics.omega_hierarchical`. Replaces
  ``scipy.optimize.least_squares``: imported only for this, it cost 0.3 s of every run.

The minimizers return a small result with a ``converged`` flag and a ``message`` (the
callers turn a failure into a warning or a status); the root finder raises when f does
not change sign over the bracket or it does not converge. ``tests/test_solvers.py``
checks each against the scipy routine it replaces.

References
----------
Brent, R. P. (1973). Algorithms for minimization without derivatives. Prentice-Hall,
chapter 4.

Byrd, R. H., Lu, P., Nocedal, J., & Zhu, C. (1995). A limited memory algorithm for
bound constrained optimization. SIAM Journal on Scientific Computing, 16, 1190-1208.

Kelley, C. T. (1999). Iterative methods for optimization. SIAM, sections 5.4-5.5.

Nocedal, J., & Wright, S. J. (2006). Numerical optimization (2nd ed.). Springer.

Madsen, K., Nielsen, H. B., & Tingleff, O. (2004). Methods for non-linear least
squares problems (2nd ed.). Technical University of Denmark, section 3.2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_EPS = float(np.finfo(float).eps)
#: A change of f smaller than this (relative) is taken as rounding in minimize_box.
_F_ROUNDING = 1e-12


@dataclass(frozen=True, slots=True)
class BoxResult:
    """The end point of :func:`minimize_box`.

    ``projected_gradient`` is ``max |x - P(x - grad)|`` with P the projection on the
    box: 0 exactly at a point that satisfies the first-order (KKT) conditions.
    """

    x: np.ndarray = field(repr=False)
    fun: float
    grad: np.ndarray = field(repr=False)
    projected_gradient: float
    n_iter: int
    n_eval: int
    converged: bool
    message: str


@dataclass(frozen=True, slots=True)
class RootResult:
    """The root of :func:`find_root`: ``root`` lies within ``xtol`` (plus a few ulps)
    of a sign change of f; ``n_eval`` counts the evaluations of f."""

    root: float
    n_iter: int
    n_eval: int


@dataclass(frozen=True, slots=True)
class LeastSquaresResult:
    """The end point of :func:`least_squares_lm`: ``cost`` is ``sum(residuals**2) / 2``
    and ``gradient`` ``J' r`` there."""

    x: np.ndarray = field(repr=False)
    cost: float
    gradient: np.ndarray = field(repr=False)
    n_iter: int
    converged: bool
    message: str


def minimize_box(fun: Callable[..., tuple[float, np.ndarray]], x0: np.ndarray,
                 lower: np.ndarray | float, upper: np.ndarray | float, *,
                 args: tuple[Any, ...] = (), gtol: float = 1e-10,
                 maxiter: int = 1000) -> BoxResult:
    """Minimize a smooth ``f`` over the box ``lower <= x <= upper`` given its gradient.

    A quasi-Newton gradient-projection method, the design of L-BFGS-B (Byrd, Lu,
    Nocedal & Zhu 1995; Nocedal & Wright 2006, 16.7) with a dense BFGS matrix ``B``
    (the problems here have at most a few hundred variables). Each iteration:

    1. the generalized Cauchy point ``x_c``: the first local minimizer of the
       quadratic model ``f + g'p + p'Bp / 2`` along the projected steepest-descent path
       ``P(x - t g)`` (P the projection on the box), found segment by segment between
       the breakpoints where coordinates reach a bound;
    2. subspace minimization: the model's minimizer over the coordinates free at
       ``x_c`` (the others held at their bounds), truncated to stay in the box: ``x_b``;
    3. a line search on ``x + a (x_b - x)`` for the strong Wolfe conditions (sufficient
       decrease 1e-4, curvature 0.9; bracketing and zoom with safeguarded cubic
       interpolation, Nocedal & Wright 2006, algorithms 3.5 and 3.6), ``a <= 1`` (in the
       first iteration up to the box, starting at a step of length 1 as L-BFGS-B);
    4. the BFGS update of ``B`` (the identity scaled by ``y'y / y's`` before the first),
       skipped when ``y's`` is not positive.

    Near the optimum ``f`` changes by less than its rounding error and no longer tells
    better from worse; a trial point whose ``f`` is within ``1e-12 |f|`` of ``f(x)``
    is then accepted when it reduces the projected gradient (the idea of Hager & Zhang's
    approximate Wolfe conditions), so the iteration goes on to ``gtol``. When the line
    search finds no acceptable point, ``B`` is reset once to the identity before giving
    up. Converged when ``||x - P(x - g)||_inf <= gtol`` (Kelley 1999, 5.4: 0 exactly at
    a point that satisfies the first-order conditions). Replaces
    ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` (imported only for this,
    it cost 0.3 s of every run); L-BFGS-B's default tolerances stop at a projected
    gradient of about 1e-5, this at ``gtol`` (1e-10 by default).

    Why not the simpler projected BFGS with an epsilon-active set and Armijo
    backtracking along the projection arc (Kelley 1999, 5.5.3): it converges as tightly,
    but on an over-factored ML extraction with two local minima (``sim3`` with 4 factors
    in ``tests/test_fa_backend.py``) it ended in the worse one (F = 0.05897), where
    L-BFGS-B, and with it factor_analyzer and ``psych::fa``, ends in the better one
    (F = 0.05647; psych 2.2.9 too); the Cauchy point and the Wolfe search follow its path
    closely enough to end where it does on every case of that test.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> (value, gradient)``.
    x0 : ndarray
        Start (projected on the box first).
    lower, upper : ndarray or float
        The bounds (finite).
    args : tuple
        Extra arguments of ``fun``.
    gtol : float
        Stop when the projected gradient's largest entry is at most this.
    maxiter : int
        At most this many iterations.

    Returns
    -------
    BoxResult
        ``converged`` False with a ``message`` after ``maxiter`` iterations or when no
        step decreases f (``x`` is then the last point accepted).

    References
    ----------
    Byrd, R. H., Lu, P., Nocedal, J., & Zhu, C. (1995). A limited memory algorithm for
    bound constrained optimization. SIAM Journal on Scientific Computing, 16,
    1190-1208.

    Nocedal, J., & Wright, S. J. (2006). Numerical optimization (2nd ed.). Springer,
    sections 3.5, 6.1 and 16.7.

    Hager, W. W., & Zhang, H. (2005). A new conjugate gradient method with guaranteed
    descent and an efficient line search. SIAM Journal on Optimization, 16, 170-192.

    Kelley, C. T. (1999). Iterative methods for optimization. SIAM, sections 5.4-5.5.

    Examples
    --------
    >>> import numpy as np
    >>> res = minimize_box(lambda x: (float(np.sum((x - [2.0, -1.0]) ** 2)), 2 * (x - [2.0, -1.0])),
    ...                    np.zeros(2), 0.0, 1.0)
    >>> res.x.tolist(), res.converged
    ([1.0, 0.0], True)
    """
    x0 = np.asarray(x0, dtype=float)
    lo = np.broadcast_to(np.asarray(lower, dtype=float), x0.shape)
    hi = np.broadcast_to(np.asarray(upper, dtype=float), x0.shape)
    if np.any(lo > hi) or not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        raise ValueError("minimize_box needs finite bounds with lower <= upper")
    x = np.clip(x0, lo, hi)
    f, g = fun(x, *args)
    f, g = float(f), np.asarray(g, dtype=float)
    n = len(x)
    B = np.eye(n)
    scaled = False
    n_eval = 1
    pg = 0.0
    for it in range(maxiter + 1):
        pg = _projected_gradient(x, g, lo, hi)
        if pg <= gtol or pg == 0:
            return BoxResult(x, f, g, pg, it, n_eval, True, "projected gradient <= gtol")
        if it == maxiter:
            break
        d = _quasi_newton_point(x, g, B, lo, hi) - x
        if not float(g @ d) < 0:  # B lost its use (rounding): a projected gradient step
            d = np.clip(x - g, lo, hi) - x
        a_max, a_first = 1.0, 1.0
        if it == 0:  # as L-BFGS-B: up to the box, first trial of length 1
            a_max = _step_to_box(x, d, lo, hi)
            a_first = min(a_max, 1.0 / float(np.linalg.norm(d)))
        search = _WolfeSearch(fun, args, x, f, g, d, lo, hi, pg)
        found = search.run(a_first, a_max)
        n_eval += search.n_eval
        if found is None:  # no acceptable step along this direction
            if scaled or not np.array_equal(B, np.eye(n)):
                B, scaled = np.eye(n), False
                continue
            return BoxResult(x, f, g, pg, it, n_eval, False,
                             f"no step decreases f (projected gradient {pg:.2e})")
        x_new, f_new, g_new = found
        s, y = x_new - x, g_new - g
        ys = float(y @ s)
        if ys > math.sqrt(_EPS) * float(np.linalg.norm(s) * np.linalg.norm(y)):
            if not scaled:  # the identity scaled to the curvature seen (Shanno-Phua)
                B, scaled = np.eye(n) * (float(y @ y) / ys), True
            Bs = B @ s
            B = B - np.outer(Bs, Bs) / float(s @ Bs) + np.outer(y, y) / ys
        x, f, g = x_new, f_new, g_new
    return BoxResult(x, f, g, pg, maxiter, n_eval, False,
                     f"{maxiter} iterations reached (projected gradient {pg:.2e})")


def _projected_gradient(x: np.ndarray, g: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """``||x - P(x - g)||_inf``: 0 at a first-order point of the box problem."""
    return float(np.max(np.abs(x - np.clip(x - g, lo, hi)), initial=0.0))


def _step_to_box(x: np.ndarray, d: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """The largest ``a`` with ``x + a d`` in the box."""
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(d > 0, (hi - x) / d, np.inf)
        down = np.where(d < 0, (lo - x) / d, np.inf)
    return float(min(np.min(up, initial=np.inf), np.min(down, initial=np.inf)))


def _quasi_newton_point(x: np.ndarray, g: np.ndarray, B: np.ndarray, lo: np.ndarray,
                        hi: np.ndarray) -> np.ndarray:
    """Steps 1 and 2 of :func:`minimize_box`: the generalized Cauchy point of the model
    ``m(p) = g'p + p'Bp / 2`` along ``P(x - t g)``, then the model's minimizer over the
    coordinates free there, truncated to the box (Nocedal & Wright 2006, 16.7)."""
    with np.errstate(divide="ignore", invalid="ignore"):  # breakpoints t_i of P(x - t g)
        t_break = np.where(g < 0, (x - hi) / g, np.where(g > 0, (x - lo) / g, np.inf))
    d = np.where(t_break > 0, -g, 0.0)
    p = np.zeros_like(x)
    t_prev = 0.0
    for t_next in [*np.unique(t_break[(t_break > 0) & np.isfinite(t_break)]), np.inf]:
        slope = float(g @ d + d @ (B @ p))  # m'(t) and m''(t) on this segment
        curv = float(d @ (B @ d))
        if slope >= 0:
            break
        dt = -slope / curv if curv > 0 else np.inf
        if dt < t_next - t_prev:
            p = p + dt * d
            break
        p = p + (t_next - t_prev) * d
        d[t_break == t_next] = 0.0  # those coordinates are at their bound now
        t_prev = t_next
        if not d.any():
            break
    xc = np.asarray(np.clip(x + p, lo, hi), dtype=float)
    free = (xc > lo) & (xc < hi)
    if not free.any():
        return xc
    reduced = g + B @ (xc - x)  # the model's gradient at x_c
    step = np.zeros_like(x)
    step[free] = np.linalg.solve(B[np.ix_(free, free)], -reduced[free])
    return np.asarray(xc + min(1.0, _step_to_box(xc, step, lo, hi)) * step)


class _WolfeSearch:
    """Step 3 of :func:`minimize_box`: a step ``a`` along ``d`` with the strong Wolfe
    conditions (Nocedal & Wright 2006, algorithms 3.5 and 3.6), or a step that f cannot
    tell from ``x`` and that reduces the projected gradient (see minimize_box)."""

    C1, C2 = 1e-4, 0.9

    def __init__(self, fun: Callable[..., tuple[float, np.ndarray]], args: tuple[Any, ...],
                 x: np.ndarray, f: float, g: np.ndarray, d: np.ndarray, lo: np.ndarray,
                 hi: np.ndarray, pg: float) -> None:
        self.fun, self.args, self.x, self.f0, self.d = fun, args, x, f, d
        self.slope0 = float(g @ d)
        self.lo, self.hi, self.pg0 = lo, hi, pg
        self.n_eval = 0
        self.done: tuple[np.ndarray, float, np.ndarray] | None = None
        self.trials: dict[float, tuple[np.ndarray, float, np.ndarray]] = {}

    def _phi(self, a: float) -> tuple[float, float]:
        x = np.clip(self.x + a * self.d, self.lo, self.hi)
        f, g = self.fun(x, *self.args)
        f, g = float(f), np.asarray(g, dtype=float)
        self.n_eval += 1
        self.trials[a] = (x, f, g)
        slope = float(g @ self.d)
        if math.isfinite(f) and not np.array_equal(x, self.x):
            if (f <= self.f0 + self.C1 * a * self.slope0 and abs(slope) <= -self.C2 * self.slope0) \
                    or (abs(f - self.f0) <= _F_ROUNDING * max(1.0, abs(self.f0))
                        and _projected_gradient(x, g, self.lo, self.hi) < self.pg0):
                self.done = (x, f, g)
        return (f if math.isfinite(f) else math.inf), slope

    def run(self, a: float, a_max: float) -> tuple[np.ndarray, float, np.ndarray] | None:
        a_prev, f_prev, s_prev = 0.0, self.f0, self.slope0
        for i in range(30):  # bracketing
            f, s = self._phi(a)
            if self.done:
                return self.done
            if f > self.f0 + self.C1 * a * self.slope0 or (i > 0 and f >= f_prev):
                return self._zoom(a_prev, f_prev, s_prev, a, f, s)
            if s >= 0:
                return self._zoom(a, f, s, a_prev, f_prev, s_prev)
            if a >= a_max:  # at the end of the segment with f still falling: take it
                return self._accept_if_lower(a, f)
            a_prev, f_prev, s_prev = a, f, s
            a = min(2 * a, a_max)
        return None

    def _zoom(self, a_lo: float, f_lo: float, s_lo: float, a_hi: float, f_hi: float,
              s_hi: float) -> tuple[np.ndarray, float, np.ndarray] | None:
        for _ in range(40):
            if abs(a_hi - a_lo) <= _EPS * max(a_lo, a_hi):
                break
            a = _cubic_step(a_lo, f_lo, s_lo, a_hi, f_hi, s_hi)
            f, s = self._phi(a)
            if self.done:
                return self.done
            if f > self.f0 + self.C1 * a * self.slope0 or f >= f_lo:
                a_hi, f_hi, s_hi = a, f, s
            else:
                if s * (a_hi - a_lo) >= 0:
                    a_hi, f_hi, s_hi = a_lo, f_lo, s_lo
                a_lo, f_lo, s_lo = a, f, s
        return self._accept_if_lower(a_lo, f_lo) if a_lo > 0 else None

    def _accept_if_lower(self, a: float, f: float) -> tuple[np.ndarray, float, np.ndarray] | None:
        """The point at ``a`` if it satisfies sufficient decrease (curvature not met)."""
        if not f <= self.f0 + self.C1 * a * self.slope0:
            return None
        return self.trials[a]


def _cubic_step(a: float, fa: float, sa: float, b: float, fb: float, sb: float) -> float:
    """The minimizer of the cubic through (a, fa, sa) and (b, fb, sb) (Nocedal & Wright
    2006, eq. 3.59), kept in the middle 80% of the interval (else its midpoint)."""
    d1 = sa + sb - 3 * (fa - fb) / (a - b)
    disc = d1 * d1 - sa * sb
    lo, hi = min(a, b), max(a, b)
    if not math.isfinite(disc) or disc < 0:
        return (a + b) / 2
    d2 = math.copysign(math.sqrt(disc), b - a)
    denom = sb - sa + 2 * d2
    t = b - (b - a) * (sb + d2 - d1) / denom if denom != 0 else (a + b) / 2
    margin = 0.1 * (hi - lo)
    return t if lo + margin <= t <= hi - margin else (a + b) / 2


def find_root(f: Callable[[float], float], a: float, b: float, *, xtol: float = 1e-12,
              maxiter: int = 500) -> RootResult:
    """A root of ``f`` in ``[a, b]``, where f changes sign, by Brent's method.

    Brent (1973, ch. 4): keep a bracket ``[b, c]`` with ``f(b) f(c) <= 0`` and ``b`` the
    better end; step by inverse quadratic interpolation through the last three points
    (the secant when two coincide) when it falls well inside the bracket and shrinks
    fast enough, else by bisection; never step less than the tolerance
    ``2 eps |b| + xtol / 2``. Stops when the bracket's half-width is within that
    tolerance or ``f(b) == 0``, so the root is within about ``xtol`` of a sign change.
    Replaces ``scipy.optimize.brentq`` (imported only for this, it cost 0.3 s of every
    run).

    Parameters
    ----------
    f : callable
        A continuous function of one float; it may be infinite at points (the steps
        next to such a point bisect).
    a, b : float
        The bracket: ``f(a)`` and ``f(b)`` of opposite signs (or one of them 0).
    xtol : float
        Absolute tolerance on the root.
    maxiter : int
        At most this many evaluations after the two ends.

    Returns
    -------
    RootResult

    Raises
    ------
    ValueError
        When ``f(a)`` and ``f(b)`` have the same sign (no bracket) or one is NaN.
    RuntimeError
        When ``maxiter`` is reached (bisection alone needs ``log2((b - a) / xtol)``).

    References
    ----------
    Brent, R. P. (1973). Algorithms for minimization without derivatives, chapter 4.

    Examples
    --------
    >>> round(find_root(lambda x: x * x - 2, 0.0, 2.0).root, 12)
    1.414213562373
    """
    fa, fb = float(f(a)), float(f(b))  # may be infinite (then bisection steps)
    if math.isnan(fa) or math.isnan(fb):
        raise ValueError(f"find_root: f is NaN at an end of the bracket [{a}, {b}]")
    if fa == 0:
        return RootResult(float(a), 0, 2)
    if fb == 0:
        return RootResult(float(b), 0, 2)
    if (fa > 0) == (fb > 0):
        raise ValueError(f"find_root: f({a}) = {fa:.6g} and f({b}) = {fb:.6g} have the same "
                         "sign: no root is bracketed")
    c, fc = a, fa
    d = e = b - a
    for it in range(maxiter + 1):
        if (fb > 0) == (fc > 0):  # keep the sign change between b and c
            c, fc = a, fa
            d = e = b - a
        if abs(fc) < abs(fb):  # b the better end
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol = 2 * _EPS * abs(b) + xtol / 2
        m = (c - b) / 2
        if abs(m) <= tol or fb == 0:
            return RootResult(float(b), it, it + 2)
        if it == maxiter:
            break
        if abs(e) >= tol and abs(fa) > abs(fb) and math.isfinite(fa):
            s = fb / fa
            if a == c or not math.isfinite(fc):  # secant through a and b
                p, q = (a - b) * s, 1 - s
            else:  # inverse quadratic through a, b, c
                q, r = fa / fc, fb / fc
                p = s * (2 * m * q * (q - r) - (b - a) * (r - 1))
                q = (q - 1) * (r - 1) * (s - 1)
            if p > 0:
                q = -q
            else:
                p = -p
            # accept the interpolation only if it stays well inside the bracket and the
            # step is less than half the step before last
            if 2 * p < 3 * m * q - abs(tol * q) and p < abs(e * q / 2):
                e, d = d, p / q
            else:
                d = e = m
        else:
            d = e = m
        a, fa = b, fb
        b += d if abs(d) > tol else math.copysign(tol, m)
        fb = float(f(b))
        if math.isnan(fb):
            raise ValueError(f"find_root: f is NaN at {b}")
    raise RuntimeError(f"find_root: no convergence in {maxiter} iterations "
                       f"(bracket [{min(b, c)}, {max(b, c)}])")


def least_squares_lm(residuals: Callable[[np.ndarray], np.ndarray],
                     jacobian: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, *,
                     xtol: float = 1e-14, ftol: float = 1e-14, gtol: float = 1e-14,
                     maxiter: int = 1000) -> LeastSquaresResult:
    """Minimize ``sum(r(x)**2) / 2`` by Levenberg-Marquardt with an analytic Jacobian.

    Madsen, Nielsen & Tingleff (2004), algorithm 3.16: solve
    ``(J'J + mu I) h = -J'r``; accept the step when the gain ratio (actual over
    predicted decrease) is positive and then shrink ``mu`` by
    ``max(1/3, 1 - (2 rho - 1)^3)``, else grow it by ``nu`` (doubling ``nu`` each
    time); ``mu`` starts at ``1e-3 max diag(J'J)``. Converged when one of scipy's
    criteria holds: ``||J'r||_inf <= gtol``; an accepted step with
    ``||h|| <= xtol (xtol + ||x||)``; or an accepted step whose actual and predicted
    decreases are both at most ``ftol`` times the cost (or the cost is 0). Replaces
    ``scipy.optimize.least_squares`` (imported only for this, it cost 0.3 s of every
    run).

    Parameters
    ----------
    residuals : callable
        ``x -> r`` (m,).
    jacobian : callable
        ``x -> J`` (m, n), ``J[i, j] = d r_i / d x_j``.
    x0 : ndarray
        Start.
    xtol, ftol, gtol : float
        Tolerances (above).
    maxiter : int
        At most this many iterations.

    Returns
    -------
    LeastSquaresResult
        ``converged`` False with a ``message`` after ``maxiter`` iterations.

    References
    ----------
    Madsen, K., Nielsen, H. B., & Tingleff, O. (2004). Methods for non-linear least
    squares problems (2nd ed.), section 3.2.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([0.0, 1.0, 2.0])
    >>> res = least_squares_lm(lambda x: x[0] * np.exp(x[1] * t) - [1.0, 2.0, 4.0],
    ...                        lambda x: np.column_stack([np.exp(x[1] * t),
    ...                                                   x[0] * t * np.exp(x[1] * t)]),
    ...                        np.array([1.0, 0.0]))
    >>> np.round(res.x, 10).tolist(), res.converged   # 2 ** t: log(2) = 0.6931471806
    ([1.0, 0.6931471806], True)
    """
    x = np.asarray(x0, dtype=float).copy()
    r = np.asarray(residuals(x), dtype=float)
    J = np.asarray(jacobian(x), dtype=float)
    cost = 0.5 * float(r @ r)
    A, grad = J.T @ J, J.T @ r
    mu, nu = 1e-3 * float(np.max(np.diag(A), initial=0.0)), 2.0
    mu = mu if mu > 0 else 1e-3
    n = len(x)
    for it in range(maxiter + 1):
        if float(np.max(np.abs(grad), initial=0.0)) <= gtol:
            return LeastSquaresResult(x, cost, grad, it, True, "gradient <= gtol")
        if it == maxiter:
            break
        h = np.linalg.solve(A + mu * np.eye(n), -grad)
        x_new = x + h
        r_new = np.asarray(residuals(x_new), dtype=float)
        cost_new = 0.5 * float(r_new @ r_new)
        predicted = 0.5 * float(h @ (mu * h - grad))  # L(0) - L(h) of the linear model
        actual = cost - cost_new
        if predicted > 0 and actual > 0:
            rho = actual / predicted
            small_step = float(np.linalg.norm(h)) <= xtol * (xtol + float(np.linalg.norm(x)))
            small_change = actual <= ftol * cost and predicted <= ftol * cost
            x, r, cost = x_new, r_new, cost_new
            J = np.asarray(jacobian(x), dtype=float)
            A, grad = J.T @ J, J.T @ r
            mu *= max(1 / 3, 1 - (2 * rho - 1) ** 3)
            nu = 2.0
            if small_step or small_change or cost == 0:
                return LeastSquaresResult(x, cost, grad, it + 1, True,
                                          "step <= xtol" if small_step else "decrease <= ftol")
        else:
            if float(np.linalg.norm(h)) <= _EPS * (_EPS + float(np.linalg.norm(x))):
                return LeastSquaresResult(x, cost, grad, it, True,
                                          "step at rounding level: no further decrease")
            mu *= nu
            nu *= 2
    return LeastSquaresResult(x, cost, grad, maxiter, False,
                              f"{maxiter} iterations reached (gradient "
                              f"{float(np.max(np.abs(grad), initial=0.0)):.2e})")
