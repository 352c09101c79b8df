"""Sample statistics of ordered items: thresholds, polychoric correlations and their
asymptotic covariance matrix (Muthen 1984; lavaan's ``muthen1984``).

Each item's observed categories (sorted) are coded 0..K-1, as lavaan does with an
ordered factor of the observed values, so an item has K - 1 thresholds.

Step 1, per item: ``tau_k = Phi^-1(P(x <= k))`` (the univariate probit ML estimate).
Step 2, per pair, thresholds fixed: the polychoric correlation ``rho`` (ML on the pair's
contingency table, :mod:`psychometrics.polychoric`; a 2 x 2 table with one empty cell
gets lavaan's 0.5 added first, :func:`~psychometrics.polychoric.add_to_empty_cell`; the
scores of step 3 still come from the answers as given, at that rho, as in lavaan).
Step 3, the asymptotic covariance of ``s = (tau, rho)``: with the casewise scores of
the univariate log-likelihoods in the thresholds ``u`` (n, nth) and of the bivariate
log-likelihoods in rho ``v`` (n, pstar), the estimating equations ``sum u = 0``,
``sum v = 0`` give the sandwich ``B^-1 INNER B^-T`` with ``INNER = [u v]'[u v]``,

    B = | A11   0  |   A11: per item, the block of u'u (block diagonal);
        | A21  A22 |   A21[r, k] = sum v_r w_rk, w = score of the pair's bivariate
                       log-likelihood in the item's thresholds; A22 = diag(v'v).

``nacov = N B^-1 INNER B^-T`` (lavaan's ``NACOV``, ``lavInspect(fit, "gamma")``).
The order of ``s`` is lavaan's: every item's thresholds, then the correlations below
the diagonal, column by column ((2,1), (3,1), ..., (p,1), (3,2), ...).

Scores depend on a case only through its categories, so they are computed per cell of
each table and looked up per case.

References: Muthen, B. (1984). A general structural equation model with dichotomous,
ordered categorical, and continuous latent variable indicators. Psychometrika, 49,
115-132. Olsson, U. (1979). Psychometrika, 44, 443-460.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from psychometrics.polychoric import add_to_empty_cell, bivariate_normal_cdf, polychoric_from_table

_SQRT_2PI = np.sqrt(2 * np.pi)


@dataclass(frozen=True, slots=True)
class OrdinalMoments:
    """Thresholds, polychoric correlations and ``nacov`` of ordered items.

    ``levels[i]`` are item i's observed categories (original values), ``thresholds[i]``
    its K - 1 thresholds; ``cor`` the polychoric matrix; ``n_total`` rows given,
    ``n`` rows used (``missing = "listwise"``: rows with every item answered;
    ``"pairwise"``: rows with at least one answer); ``pair_n[i, j]`` the persons who
    answered both items (``pair_n[i, i]``: item i).
    """

    names: tuple[str, ...]
    n: int
    n_total: int
    missing: str
    levels: tuple[tuple[float, ...], ...]
    thresholds: tuple[np.ndarray, ...] = field(repr=False)
    cor: np.ndarray = field(repr=False)
    nacov: np.ndarray = field(repr=False)
    pair_n: np.ndarray | None = field(repr=False, default=None)

    @property
    def th_vector(self) -> np.ndarray:
        return np.concatenate(self.thresholds) if self.thresholds else np.zeros(0)

    @property
    def cor_vector(self) -> np.ndarray:
        rows, cols = lower_pairs(len(self.names))
        return np.asarray(self.cor[rows, cols])

    @property
    def wls_obs(self) -> np.ndarray:
        """The sample statistics the model is fitted to: thresholds, then correlations."""
        return np.concatenate([self.th_vector, self.cor_vector])

    @property
    def wls_vd(self) -> np.ndarray:
        """The DWLS weights: ``1 / diag(nacov)``."""
        return 1.0 / np.diag(self.nacov)

    @property
    def n_thresholds(self) -> tuple[int, ...]:
        return tuple(len(t) for t in self.thresholds)


def lower_pairs(p: int) -> tuple[np.ndarray, np.ndarray]:
    """(i, j), i > j, column by column: lavaan's ``vech(S, diagonal = FALSE)`` order."""
    cols, rows = np.triu_indices(p, 1)
    return rows, cols


def _codes(column: np.ndarray) -> tuple[np.ndarray, tuple[float, ...]]:
    levels = np.unique(column[~np.isnan(column)])
    codes = np.full(column.shape, -1, dtype=int)
    ok = ~np.isnan(column)
    codes[ok] = np.searchsorted(levels, column[ok])
    return codes, tuple(float(v) for v in levels)


def _phi(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.exp(-0.5 * x * x) / _SQRT_2PI
    return np.where(np.isfinite(x), out, 0.0)


def _phi2(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    """Bivariate normal density (0 where h or k is infinite)."""
    s2 = 1.0 - rho * rho
    ok = np.isfinite(h) & np.isfinite(k)
    hh, kk = np.where(ok, h, 0.0), np.where(ok, k, 0.0)
    dens = np.exp(-(hh * hh - 2 * rho * hh * kk + kk * kk) / (2 * s2)) / (2 * np.pi * np.sqrt(s2))
    return np.where(ok, dens, 0.0)


def _univariate_scores(codes: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """d log P(x = c) / d tau_k per case (n, K - 1)."""
    cuts = np.concatenate([[-np.inf], tau, [np.inf]])
    prob = np.diff(special.ndtr(cuts))
    dens = _phi(tau)
    K = len(tau) + 1
    # d P_c / d tau_k = phi(tau_k) [c == k] - phi(tau_k) [c == k + 1]
    dP = (np.eye(K)[:, :K - 1] - np.eye(K, k=-1)[:, :K - 1]) * dens[None, :]
    per_cell = dP / prob[:, None]
    return np.asarray(per_cell[codes])


def _pair_cells(tau_x: np.ndarray, tau_y: np.ndarray,
                rho: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per cell (a, b) of the table: P_ab, dP/drho, dP/dtau_x (Kx, Ky, Kx-1),
    dP/dtau_y (Kx, Ky, Ky-1)."""
    cx = np.concatenate([[-np.inf], tau_x, [np.inf]])
    cy = np.concatenate([[-np.inf], tau_y, [np.inf]])
    grid = bivariate_normal_cdf(cx[:, None], cy[None, :], rho)
    prob = grid[1:, 1:] - grid[:-1, 1:] - grid[1:, :-1] + grid[:-1, :-1]
    dens = _phi2(cx[:, None], cy[None, :], rho)
    dprob = dens[1:, 1:] - dens[:-1, 1:] - dens[1:, :-1] + dens[:-1, :-1]
    s = np.sqrt(1.0 - rho * rho)
    kx, ky = len(tau_x) + 1, len(tau_y) + 1
    # G[k, b] = d F(tau_x_k, cy_b) / d tau_x_k = phi(tau_x_k) Phi((cy_b - rho tau_x_k) / s)
    with np.errstate(invalid="ignore"):
        gx = _phi(tau_x)[:, None] * special.ndtr((cy[None, :] - rho * tau_x[:, None]) / s)
        gy = _phi(tau_y)[:, None] * special.ndtr((cx[None, :] - rho * tau_y[:, None]) / s)
    gx = np.nan_to_num(gx)
    gy = np.nan_to_num(gy)
    hx = gx[:, 1:] - gx[:, :-1]          # (Kx-1, Ky): d P_{a b}/d tau_x_a for a = k
    hy = gy[:, 1:] - gy[:, :-1]          # (Ky-1, Kx)
    dtx = np.zeros((kx, ky, kx - 1))
    dty = np.zeros((kx, ky, ky - 1))
    k = np.arange(kx - 1)
    dtx[k, :, k] += hx                    # cell a = k
    dtx[k + 1, :, k] -= hx                # cell a = k + 1
    k = np.arange(ky - 1)
    dty[:, k, k] += hy.T
    dty[:, k + 1, k] -= hy.T
    return prob, dprob, dtx, dty


MISSING = ("listwise", "pairwise")


def ordinal_moments(data: np.ndarray, names: Iterable[str], *,
                    missing: str = "listwise") -> OrdinalMoments:
    """Thresholds, polychoric correlations and their NACOV of the columns of ``data``
    (numbers, NaN = missing), as lavaan's ``ordered = TRUE`` with ``missing`` =
    ``"listwise"`` or ``"pairwise"``.

    Pairwise: each item's thresholds from the persons who answered it, each polychoric
    from those who answered both; in the NACOV a person's scores for what they did not
    answer are 0 (lavaan's ``missing = "pairwise"``); N counts every person with at
    least one answer. Raises ``ValueError`` when an item has fewer than two observed
    categories.
    """
    if missing not in MISSING:
        raise ValueError(f"The 'missing' parameter of ordinal_moments must be one of "
                         f"{MISSING}. Got {missing!r} instead.")
    x = np.asarray(data, dtype=float)
    names = tuple(names)
    n_total, p = x.shape
    x = x[~np.isnan(x).any(axis=1)] if missing == "listwise" else x[~np.isnan(x).all(axis=1)]
    n = len(x)
    seen = ~np.isnan(x)
    pair_n = seen.T.astype(int) @ seen.astype(int)
    codes, levels, taus = [], [], []
    for j in range(p):
        c, lev = _codes(x[:, j])
        if len(lev) < 2:
            raise ValueError(f"item {names[j]} has {len(lev)} observed categor"
                             f"{'y' if len(lev) == 1 else 'ies'} among {pair_n[j, j]} answers: "
                             "an ordered item needs at least two")
        freq = np.bincount(c[c >= 0], minlength=len(lev)) / pair_n[j, j]
        codes.append(c)
        levels.append(lev)
        taus.append(special.ndtri(np.cumsum(freq)[:-1]))
    nth = [len(t) for t in taus]
    start = np.concatenate([[0], np.cumsum(nth)])
    rows, cols = lower_pairs(p)
    pstar = len(rows)
    R = np.eye(p)
    u = np.hstack([_univariate_scores(np.maximum(codes[j], 0), taus[j]) * seen[:, [j]]
                   for j in range(p)])
    v = np.zeros((n, pstar))
    a21 = np.zeros((pstar, start[-1]))
    for r, (i, j) in enumerate(zip(rows, cols)):
        both = seen[:, i] & seen[:, j]
        ci, cj = np.where(both, codes[i], 0), np.where(both, codes[j], 0)
        table = np.zeros((len(levels[i]), len(levels[j])))
        np.add.at(table, (ci[both], cj[both]), 1.0)
        rho = polychoric_from_table(add_to_empty_cell(table), taus[i], taus[j])
        R[i, j] = R[j, i] = rho
        prob, dprob, dti, dtj = _pair_cells(taus[i], taus[j], rho)
        with np.errstate(divide="ignore", invalid="ignore"):
            safe = np.where(prob > 0, prob, np.inf)
        v[:, r] = (dprob / safe)[ci, cj] * both
        wi = (dti / safe[:, :, None])[ci, cj] * both[:, None]
        wj = (dtj / safe[:, :, None])[ci, cj] * both[:, None]
        a21[r, start[i]:start[i + 1]] = v[:, r] @ wi
        a21[r, start[j]:start[j + 1]] = v[:, r] @ wj
    sc = np.hstack([u, v])
    inner = sc.T @ sc
    a11 = np.zeros((start[-1], start[-1]))
    for j in range(p):
        s = slice(start[j], start[j + 1])
        a11[s, s] = inner[s, s]
    a11_inv = np.linalg.inv(a11)
    a22_inv = np.diag(1.0 / np.einsum("ij,ij->j", v, v))
    b_inv = np.block([[a11_inv, np.zeros((start[-1], pstar))],
                      [-a22_inv @ a21 @ a11_inv, a22_inv]])
    nacov = n * (b_inv @ inner @ b_inv.T)
    return OrdinalMoments(names=names, n=n, n_total=n_total, missing=missing,
                          levels=tuple(levels), thresholds=tuple(taus), cor=R,
                          nacov=(nacov + nacov.T) / 2, pair_n=pair_n)
