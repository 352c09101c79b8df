"""Score (Lagrange multiplier) tests and modification indices of a fitted ML model.

For a candidate row k (a fixed row, e.g. a cross-loading fixed at 0, or a row that
shares a label) with the gradient ``g_k`` of F and the expected information ``H``:
``LM = (N/2) g_k^2 / (H_kk - H_kf H_ff^-1 H_fk)`` (1 df) and the expected parameter
change ``EPC = -g_k / (H_kk - H_kf H_ff^-1 H_fk)``. The gradient of every candidate
comes from the saturated gradient ``(G, g)``; with missing data the expected
information is the FIML one, summed over the patterns in the saturated space.

Several groups (:class:`~psychometrics.sem.moments.GroupMoments`): F and its
information are the n_g/N-weighted sums of the groups' (a candidate row belongs to one
group), so each group's pieces are computed as above and weighted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from psychometrics.sem import information
from psychometrics.sem._blas import one_blas_thread
from psychometrics.sem.estimation import MLFit, _defined
from psychometrics.sem.implied import Structure
from psychometrics.sem.moments import GroupMoments, Moments, PatternMoments
from psychometrics.sem.objective import fiml_point, ml_gradient, weighted_sum

_CHUNK = 500  # candidates per block: vectorized, bounded memory


def score_tests(fit: MLFit, table: pd.DataFrame, moments: Moments | PatternMoments | GroupMoments,
                rows: Sequence[int]) -> pd.DataFrame:
    """Score tests of adding a free increment to each of ``rows`` of ``table``.

    ``table`` is the fitted table, optionally extended with extra fixed rows; for a
    fixed row this is the modification index, for a row that shares a label (an
    equality constraint) the test of releasing that row from the constraint.
    """
    with one_blas_thread():
        if isinstance(moments, GroupMoments):
            return _score_tests_groups(fit, table, moments, rows)
        return _score_tests(fit, table, moments, rows)


def _score_tests_groups(fit: MLFit, table: pd.DataFrame, gm: GroupMoments,
                        rows: Sequence[int]) -> pd.DataFrame:
    q = int(table["free"].max())
    index = np.asarray(rows, dtype=int)
    group_of = table["group"].to_numpy()[index]
    H = np.zeros((q, q))
    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for g, moments in enumerate(gm.groups, start=1):
        sub_index = np.flatnonzero(table["group"].to_numpy() == g)
        sub = table.iloc[sub_index]
        local = {k: i for i, k in enumerate(sub_index)}
        w = moments.n / gm.n
        mine = np.flatnonzero(group_of == g)
        Hg, g_k, hkk, hkf = _pieces(fit.theta, Structure(sub, moments.names, q=q), moments,
                                    [local[k] for k in index[mine]])
        H += w * Hg
        pieces.append((mine, w * g_k, w * hkk, w * hkf))
    H_inv = np.linalg.inv((H + H.T) / 2)
    g_all, schur_all = np.zeros(len(rows)), np.zeros(len(rows))
    for mine, g_k, hkk, hkf in pieces:
        g_all[mine] = g_k
        schur_all[mine] = hkk - np.sum((hkf @ H_inv) * hkf, axis=1) if len(mine) else 0.0
    return _score_frame(table, list(index), g_all, schur_all, gm.n)


def _score_tests(fit: MLFit, table: pd.DataFrame, moments: Moments | PatternMoments,
                 rows: Sequence[int]) -> pd.DataFrame:
    struct = Structure(table, moments.names)
    Hff, g, hkk, hkf = _pieces(fit.theta, struct, moments, rows,
                               None if isinstance(moments, PatternMoments) else fit.information)
    Hff_inv = np.linalg.inv(Hff)
    return _score_frame(table, rows, g, hkk - np.sum((hkf @ Hff_inv) * hkf, axis=1), moments.n)


def _pieces(theta: np.ndarray, struct: Structure, moments: Moments | PatternMoments,
            rows: Sequence[int], information_ff: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The expected information of the free parameters ``H_ff``, and for each of
    ``rows`` the gradient ``g_k``, ``H_kk`` and ``H_kf`` (one group)."""
    mats = struct.matrices(theta)
    Sigma, mu = struct.implied(theta)
    dS, dm = struct.jacobian(theta)
    ms = struct.meanstructure
    point = None
    if isinstance(moments, PatternMoments):
        point = _defined(fiml_point(moments.stacked, Sigma, mu, moments.n))
        G, g_mu = point.G, point.g
        weights = moments.stacked.n / moments.n
        DM = information.pair_half(point.W, point.W, weights, dS)
        Wbar = weighted_sum(weights, point.W)
        Hff = DM @ dS.T + 2.0 * dm @ Wbar @ dm.T
        Hff = (Hff + Hff.T) / 2
    else:
        G, g_mu, W = ml_gradient(moments.cov, moments.mean if ms else None, Sigma, mu)
        Hff = (information_ff if information_ff is not None
               else information.expected_complete(W, dS, dm if ms else None))
        p = struct.p
        WdSW = (W @ dS.reshape(len(dS), p, p) @ W).reshape(len(dS), -1)
        Wbar = W
    g_all, hkk_all, hkf_all = [np.zeros(0)], [np.zeros(0)], [np.zeros((0, struct.q))]
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        A, B = struct.row_jacobian(mats, chunk)
        Af = A.reshape(len(A), -1)
        g = Af @ G.ravel() + (B @ g_mu if ms else 0.0)
        mean_kk = 2 * np.einsum("ci,ij,cj->c", B, Wbar, B) if ms else 0.0
        mean_kf = 2 * B @ Wbar @ dm.T if ms else 0.0
        if point is not None:
            hkk = information.fiml_expected_rank_two(point, weights,
                                                     *struct.rank_two(mats, chunk)) + mean_kk
            hkf = Af @ DM.T + mean_kf
        else:
            hkk = np.sum((Wbar @ A @ Wbar) * A, axis=(1, 2)) + mean_kk
            hkf = Af @ WdSW.T + mean_kf
        g_all.append(g)
        hkk_all.append(hkk)
        hkf_all.append(hkf)
    return Hff, np.concatenate(g_all), np.concatenate(hkk_all), np.concatenate(hkf_all)


def _score_frame(table: pd.DataFrame, rows: Sequence[int], g: np.ndarray, schur: np.ndarray,
                 n: int) -> pd.DataFrame:
    ok = schur > 1e-12
    safe = np.where(ok, schur, 1.0)
    mi = np.where(ok, n / 2 * g * g / safe, np.nan)
    at = np.asarray(rows, dtype=int)
    names = {c: table[c].to_numpy()[at] for c in ("lhs", "op", "rhs", "label")}
    return pd.DataFrame({**names, "mi": mi, "epc": np.where(ok, -g / safe, np.nan),
                         "pvalue": np.where(ok, special.chdtrc(1, np.where(ok, mi, 0.0)),
                                            np.nan)})
