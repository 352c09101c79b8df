"""Polychoric correlations of ordinal items (two-step ML, as ``psych::polychoric``).

Step 1, thresholds: for each item, ``tau_c = Phi^-1(P(x <= c))`` from the item's own
answers over the categories of the whole response range (``global = TRUE`` in
psych: every pair uses the same thresholds of an item).
Step 2, for each pair of items, on the persons who answered both: the correlation
``rho`` of the bivariate normal that maximizes ``sum_ij p_ij log P_ij(rho)``, where
``p_ij`` are the observed cell proportions and ``P_ij`` the bivariate-normal
probabilities of the rectangles cut by the thresholds.

The bivariate normal CDF comes from Owen's T function (exact, vectorized):
``Phi2(h, k; r) = [Phi(h) + Phi(k)]/2 - T(h, a_h) - T(k, a_k) - beta`` with
``a_h = (k - r h) / (h sqrt(1 - r^2))``, ``a_k = (h - r k) / (k sqrt(1 - r^2))`` and
``beta = 1/2`` when ``h k < 0`` (or one is 0 and ``h + k < 0``), else 0 (Owen 1956).
The ML estimate is the root of the score (the derivative of the log-likelihood)
``sum_ij p_ij P'_ij(rho) / P_ij(rho)``, where ``P'_ij`` comes from
``d Phi2(h, k; rho) / d rho = phi2(h, k; rho)``, the bivariate normal density (0 at an
infinite threshold) (Olsson 1979, eq. 11), found by Brent's method
(:func:`psychometrics._solvers.find_root`) on ``[-0.9999, 0.9999]`` to 1e-12; when the
likelihood is highest at a bound, the point closest to 0 from which it is within
rounding of its value there (with an empty cell of a 2 x 2 table the likelihood is flat
to rounding from about |rho| = 0.99 on). psych's optimizer stops at a tolerance of about
1e-4; ours at 1e-12, so the two agree to about 1e-4. (Until issue 16 this maximized the
likelihood with ``scipy.optimize.minimize_scalar``: imported only for this, it cost
0.3 s of every run; by function values it located rho to about 1e-8.)

Empty cells under WLSMV (:mod:`psychometrics.sem.ordinal`, which follows lavaan):
:func:`add_to_empty_cell` adds 0.5 to the one empty cell of a 2 x 2 table (two binary
items) and keeps the margins (the other cell on its diagonal gains 0.5, the two cells
off it lose 0.5), so the thresholds stay as they were: lavaan's defaults ``zero.add =
c(0.5, 0)`` and ``zero.keep.margins = TRUE`` in ``lav_bvord_cor_twostep_fit``, for every
estimator. Larger tables get nothing added (``zero.add[2] = 0``), and so does a 2 x 2
table with two empty cells (lavaan returns rho = +-1 exactly there; we keep the ML
estimate described above). :func:`polychoric` (psych's, with global thresholds, where
psych's ``correct = 0.5`` does not apply) adds nothing.

References: Olsson, U. (1979). Maximum likelihood estimation of the polychoric
correlation coefficient. Psychometrika, 44, 443-460.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import special

from psychometrics._solvers import find_root

_EPS = 1e-12
#: The range of a polychoric correlation (as psych's ``optimize`` interval).
RHO_BOUNDS = (-0.9999, 0.9999)
#: A cell probability at or below this is 0 (the rounding of the CDF differences is ~1e-16).
_P_ZERO = 1e-14


def bivariate_normal_cdf(h: np.ndarray, k: np.ndarray, r: float) -> np.ndarray:
    """``P(X <= h, Y <= k)`` for standard bivariate normal with correlation ``r``."""
    h, k = np.broadcast_arrays(np.asarray(h, dtype=float), np.asarray(k, dtype=float))
    out = np.zeros(h.shape)
    ph, pk = special.ndtr(h), special.ndtr(k)
    inf_h, inf_k = np.isinf(h), np.isinf(k)
    out = np.where(inf_h & (h > 0), pk, out)
    out = np.where(inf_k & (k > 0), ph, out)
    out = np.where((inf_h & (h < 0)) | (inf_k & (k < 0)), 0.0, out)
    finite = ~inf_h & ~inf_k
    if finite.any():
        hf = h[finite].copy()
        kf = k[finite].copy()
        hf[hf == 0] = _EPS  # Owen's formula divides by h and k
        kf[kf == 0] = _EPS
        s = np.sqrt(1.0 - r * r)
        a_h = (kf - r * hf) / (hf * s)
        a_k = (hf - r * kf) / (kf * s)
        beta = np.where(hf * kf < 0, 0.5, 0.0)
        val = 0.5 * (special.ndtr(hf) + special.ndtr(kf)) - special.owens_t(hf, a_h) \
            - special.owens_t(kf, a_k) - beta
        out[finite] = np.clip(val, 0.0, 1.0)
    return out


def thresholds(x: np.ndarray, n_categories: int) -> np.ndarray:
    """Thresholds (n_categories - 1) of each column of ``x`` (categories 0..C-1, NaN missing)."""
    k = x.shape[1]
    tau = np.empty((n_categories - 1, k))
    for j in range(k):
        col = x[~np.isnan(x[:, j]), j].astype(int)
        freq = np.bincount(col, minlength=n_categories)[:n_categories] / max(len(col), 1)
        tau[:, j] = special.ndtri(np.clip(np.cumsum(freq)[:-1], 0.0, 1.0))
    return tau


def _cell_probabilities(rho: float, tau_x: np.ndarray, tau_y: np.ndarray) -> np.ndarray:
    cx = np.concatenate([[-np.inf], tau_x, [np.inf]])
    cy = np.concatenate([[-np.inf], tau_y, [np.inf]])
    grid = bivariate_normal_cdf(cx[:, None], cy[None, :], rho)
    return np.asarray(grid[1:, 1:] - grid[:-1, 1:] - grid[1:, :-1] + grid[:-1, :-1])


def _cell_function(tau_x: np.ndarray, tau_y: np.ndarray) -> Callable[[float], np.ndarray]:
    """``rho -> _cell_probabilities(rho, tau_x, tau_y)`` with the same numbers, computing
    once per pair what does not depend on rho (the margins, Phi(h) + Phi(k), beta and
    the grid's infinite borders) when the thresholds are finite; the optimizer calls it
    some 15 times a pair."""
    if not (np.isfinite(tau_x).all() and np.isfinite(tau_y).all()):
        return lambda rho: _cell_probabilities(rho, tau_x, tau_y)
    nx, ny = len(tau_x), len(tau_y)
    hf = np.repeat(np.asarray(tau_x, dtype=float)[:, None], ny, axis=1)
    kf = np.repeat(np.asarray(tau_y, dtype=float)[None, :], nx, axis=0)
    hf[hf == 0] = _EPS  # as bivariate_normal_cdf: Owen's formula divides by h and k
    kf[kf == 0] = _EPS
    base = 0.5 * (special.ndtr(hf) + special.ndtr(kf))
    beta = np.where(hf * kf < 0, 0.5, 0.0)
    grid = np.zeros((nx + 2, ny + 2))  # rows -inf, tau_x, +inf; columns likewise
    grid[-1, 1:-1] = special.ndtr(np.asarray(tau_y, dtype=float))
    grid[1:-1, -1] = special.ndtr(np.asarray(tau_x, dtype=float))
    grid[-1, -1] = special.ndtr(np.inf)

    def cells(rho: float) -> np.ndarray:
        s = np.sqrt(1.0 - rho * rho)
        a_h = (kf - rho * hf) / (hf * s)
        a_k = (hf - rho * kf) / (kf * s)
        val = base - special.owens_t(hf, a_h) - special.owens_t(kf, a_k) - beta
        grid[1:-1, 1:-1] = np.clip(val, 0.0, 1.0)
        return grid[1:, 1:] - grid[:-1, 1:] - grid[1:, :-1] + grid[:-1, :-1]

    return cells


def _cell_derivative(tau_x: np.ndarray, tau_y: np.ndarray) -> Callable[[float], np.ndarray]:
    """``rho -> d P_ij / d rho`` of the cells: with ``d Phi2(h, k; rho) / d rho =
    phi2(h, k; rho)`` (the bivariate normal density, 0 where h or k is infinite), the
    cells' rectangle differences of phi2 at the grid of thresholds."""
    cx = np.concatenate([[-np.inf], np.asarray(tau_x, dtype=float), [np.inf]])
    cy = np.concatenate([[-np.inf], np.asarray(tau_y, dtype=float), [np.inf]])
    ok = np.isfinite(cx)[:, None] & np.isfinite(cy)[None, :]
    h = np.where(ok, cx[:, None], 0.0)
    k = np.where(ok, cy[None, :], 0.0)
    hh_kk, hk = h * h + k * k, h * k

    def derivative(rho: float) -> np.ndarray:
        s2 = 1.0 - rho * rho
        dens = np.where(ok, np.exp(-(hh_kk - 2 * rho * hk) / (2 * s2))
                        / (2 * np.pi * np.sqrt(s2)), 0.0)
        return np.asarray(dens[1:, 1:] - dens[:-1, 1:] - dens[1:, :-1] + dens[:-1, :-1])

    return derivative


#: What lavaan adds to the one empty cell of a 2 x 2 table (``zero.add[1]``).
ZERO_ADD_2X2 = 0.5


def add_to_empty_cell(table: np.ndarray) -> np.ndarray:
    """The table the polychoric of a 2 x 2 table with one empty cell is estimated from
    in lavaan (``lav_bvord_cor_twostep_fit`` with ``zero.add = c(0.5, 0)`` and
    ``zero.keep.margins = TRUE``): the empty cell and the other cell on its diagonal
    gain 0.5, the two cells off that diagonal lose 0.5, so the margins (and the
    thresholds) stay. Any other table is returned as it is.

    >>> add_to_empty_cell(np.array([[40.0, 0.0], [25.0, 35.0]])).tolist()
    [[39.5, 0.5], [25.5, 34.5]]
    """
    table = np.asarray(table, dtype=float)
    if table.shape != (2, 2) or np.count_nonzero(table == 0) != 1:
        return table
    diagonal = table[0, 0] == 0 or table[1, 1] == 0
    step = ZERO_ADD_2X2 if diagonal else -ZERO_ADD_2X2
    return table + step * np.array([[1.0, -1.0], [-1.0, 1.0]])


def polychoric_from_table(table: np.ndarray, tau_x: np.ndarray, tau_y: np.ndarray) -> float:
    """ML polychoric correlation of a contingency table (rows: categories of x, columns:
    of y) given the thresholds of x (rows - 1) and y (columns - 1).

    The root of the score ``sum_ij p_ij P'_ij / P_ij`` in ``RHO_BOUNDS`` (Brent's
    method, to 1e-12; where a cell with answers has probability 0 (at most 1e-14: rho
    near +-1) the likelihood is 0 and the score is taken as infinite towards 0). When
    the score does not change from positive to negative between the bounds, the
    candidates are the roots between sign changes on a grid of 40 steps and the bounds
    where the score points outwards; the one with the highest likelihood is returned,
    and if that is a bound, the point closest to 0 from which the likelihood is within
    rounding of the bound's (so that the score there, and the asymptotic variance of
    :mod:`psychometrics.sem.ordinal`, is defined where a flat likelihood makes it 0 at
    the bound)."""
    p = table / table.sum()
    cells = _cell_function(tau_x, tau_y)
    derivative = _cell_derivative(tau_x, tau_y)
    seen = p > 0

    def score(rho: float) -> float:
        prob = cells(rho)
        if np.any(prob[seen] <= _P_ZERO):  # answers in a cell of probability 0 (rho
            return math.copysign(math.inf, -rho)  # near +-1): the likelihood rises inwards
        return float(np.sum(p[seen] * derivative(rho)[seen] / prob[seen]))

    def negloglik(rho: float) -> float:
        prob = cells(rho)
        if np.any(prob[seen] <= _P_ZERO):
            return math.inf
        return -float(np.sum(p[seen] * np.log(prob[seen])))

    lo, hi = RHO_BOUNDS
    s_lo, s_hi = score(lo), score(hi)
    if s_lo > 0 > s_hi:  # the likelihood rises from lo and falls towards hi
        return find_root(score, lo, hi, xtol=1e-12).root
    # No bracket from the ends (a maximum at a bound, or a score that underflows to 0
    # near +-1): every change of the score from + to - on a grid of 40 steps, and
    # the bounds where the score points outwards, compared by their likelihood.
    grid = np.linspace(lo, hi, 41)
    scores = np.array([s_lo, *(score(r) for r in grid[1:-1]), s_hi])
    candidates = [b for b, outwards in ((lo, s_lo <= 0), (hi, s_hi >= 0)) if outwards]
    for i in np.flatnonzero((scores[:-1] > 0) & (scores[1:] < 0)):
        candidates.append(find_root(score, grid[i], grid[i + 1], xtol=1e-12).root)
    if not candidates:  # a score that is NaN: no estimate
        return np.nan
    best = float(min(candidates, key=negloglik))
    if best not in (lo, hi):
        return best
    # The supremum at a bound. With an empty cell (a 2 x 2 table with a zero) the
    # likelihood is constant to rounding long before the bound and the score there is
    # 0, which leaves the polychoric's asymptotic variance undefined. Return the point
    # closest to 0 from which the likelihood is within rounding of the bound's: where
    # score(rho) |bound - rho| (which bounds the gain to the bound while the score falls
    # towards it) meets 4 eps |log L|. For a likelihood still rising steeply at the
    # bound that point is the bound to ~1e-13.
    sign = 1.0 if best == hi else -1.0
    rounding = 4 * np.finfo(float).eps * max(1.0, abs(negloglik(best)))

    def gain(rho: float) -> float:
        return sign * score(rho) * abs(best - rho) - rounding

    inward = grid[::-1] if best == hi else grid
    gains = [gain(r) for r in inward[1:]]
    outside = next((i for i, v in enumerate(gains) if v > 0), None)
    if outside is None:
        return best
    # gain > 0 at inward[outside + 1], <= 0 at inward[outside] (the bound itself if 0)
    return find_root(gain, float(inward[outside + 1]), float(inward[outside]),
                     xtol=1e-12).root


def polychoric_pair(x: np.ndarray, y: np.ndarray, tau_x: np.ndarray, tau_y: np.ndarray,
                    n_categories: int) -> float:
    """ML polychoric correlation of two items (categories 0..C-1) given thresholds."""
    both = ~np.isnan(x) & ~np.isnan(y)
    if both.sum() < 2:
        return np.nan
    table = np.zeros((n_categories, n_categories))
    np.add.at(table, (x[both].astype(int), y[both].astype(int)), 1.0)
    return polychoric_from_table(table, tau_x, tau_y)


def polychoric(items: np.ndarray, low: int, high: int) -> np.ndarray:
    """Polychoric correlation matrix of integer items on ``low..high`` (NaN = missing).

    Pairs use the persons who answered both items; an item without variance gives
    NaN correlations.
    """
    x = np.asarray(items, dtype=float) - low
    c = high - low + 1
    tau = thresholds(x, c)
    k = x.shape[1]
    r = np.eye(k)
    for i in range(k):
        for j in range(i):
            r[i, j] = r[j, i] = polychoric_pair(x[:, i], x[:, j], tau[:, i], tau[:, j], c)
    const = np.array([np.nanstd(x[:, j]) == 0 if np.any(~np.isnan(x[:, j])) else True
                      for j in range(k)])
    r[const, :] = np.nan
    r[:, const] = np.nan
    return r
