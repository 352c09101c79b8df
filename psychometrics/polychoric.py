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
psych's optimizer stops at a tolerance of about 1e-4; ours at 1e-10, so the two
agree to about 1e-4.

References: Olsson, U. (1979). Maximum likelihood estimation of the polychoric
correlation coefficient. Psychometrika, 44, 443-460.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize, special

_EPS = 1e-12


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


def polychoric_from_table(table: np.ndarray, tau_x: np.ndarray, tau_y: np.ndarray) -> float:
    """ML polychoric correlation of a contingency table (rows: categories of x, columns:
    of y) given the thresholds of x (rows - 1) and y (columns - 1)."""
    p = table / table.sum()
    cells = _cell_function(tau_x, tau_y)

    def negloglik(rho: float) -> float:
        prob = cells(rho)
        ok = (p > 0) & (prob > 0)
        return -float(np.sum(p[ok] * np.log(prob[ok])))

    res = optimize.minimize_scalar(negloglik, bounds=(-0.9999, 0.9999), method="bounded",
                                   options={"xatol": 1e-10})
    return float(res.x)


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
