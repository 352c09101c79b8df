"""Score (Lagrange multiplier) tests and modification indices of a fitted ML model.

For a candidate row k (a fixed row, e.g. a cross-loading fixed at 0, or a row that
shares a label) with the gradient ``g_k`` of F and the expected information ``H``:
``LM = (N/2) g_k^2 / (H_kk - H_kf H_ff^-1 H_fk)`` (1 df) and the expected parameter
change ``EPC = -g_k / (H_kk - H_kf H_ff^-1 H_fk)``. The gradient of every candidate
comes from the saturated gradient ``(G, g)``; with missing data the expected
information is the FIML one, summed over the patterns in the saturated space.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from psychometrics.sem import information
from psychometrics.sem._blas import one_blas_thread
from psychometrics.sem.implied import Structure
from psychometrics.sem.moments import Moments, PatternMoments
from psychometrics.sem.objective import fiml_point, ml_gradient

_CHUNK = 500  # candidates per block: vectorized, bounded memory


def score_tests(fit, table: pd.DataFrame, moments: Moments | PatternMoments,
                rows: list[int]) -> pd.DataFrame:
    """Score tests of adding a free increment to each of ``rows`` of ``table``.

    ``table`` is the fitted table, optionally extended with extra fixed rows; for a
    fixed row this is the modification index, for a row that shares a label (an
    equality constraint) the test of releasing that row from the constraint.
    """
    with one_blas_thread():
        return _score_tests(fit, table, moments, rows)


def _score_tests(fit, table, moments, rows) -> pd.DataFrame:
    struct = Structure(table, moments.names)
    theta = fit.theta
    mats = struct.matrices(theta)
    Sigma, mu = struct.implied(theta)
    dS, dm = struct.jacobian(theta)
    fiml = isinstance(moments, PatternMoments)
    ms = struct.meanstructure
    if fiml:
        point = fiml_point(moments.stacked, Sigma, mu, moments.n)
        G, g_mu = point.G, point.g
        weights = moments.stacked.n / moments.n
        DM = information.pair_half(point.W, point.W, weights, dS)
        Wbar = np.tensordot(weights, point.W, axes=1)
        Hff = DM @ dS.T + 2.0 * dm @ Wbar @ dm.T
        Hff_inv = np.linalg.inv((Hff + Hff.T) / 2)
    else:
        G, g_mu, W = ml_gradient(moments.cov, moments.mean if ms else None, Sigma, mu)
        Hff_inv = np.linalg.inv(fit.information)
        p = struct.p
        WdSW = (W @ dS.reshape(len(dS), p, p) @ W).reshape(len(dS), -1)
        Wbar = W
    g_all, schur_all = [], []
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        A, B = struct.row_jacobian(mats, chunk)
        Af = A.reshape(len(A), -1)
        g = Af @ G.ravel() + (B @ g_mu if ms else 0.0)
        mean_kk = 2 * np.einsum("ci,ij,cj->c", B, Wbar, B) if ms else 0.0
        mean_kf = 2 * B @ Wbar @ dm.T if ms else 0.0
        if fiml:
            hkk = information.fiml_expected_rank_two(point, weights,
                                                     *struct.rank_two(mats, chunk)) + mean_kk
            hkf = Af @ DM.T + mean_kf
        else:
            hkk = np.sum((Wbar @ A @ Wbar) * A, axis=(1, 2)) + mean_kk
            hkf = Af @ WdSW.T + mean_kf
        g_all.append(g)
        schur_all.append(hkk - np.sum((hkf @ Hff_inv) * hkf, axis=1))
    return _score_frame(table, rows, np.concatenate(g_all), np.concatenate(schur_all), moments.n)


def _score_frame(table: pd.DataFrame, rows: list[int], g: np.ndarray, schur: np.ndarray,
                 n: int) -> pd.DataFrame:
    ok = schur > 1e-12
    safe = np.where(ok, schur, 1.0)
    mi = np.where(ok, n / 2 * g * g / safe, np.nan)
    out = table.iloc[rows][["lhs", "op", "rhs", "label"]].reset_index(drop=True)
    out["mi"] = mi
    out["epc"] = np.where(ok, -g / safe, np.nan)
    out["pvalue"] = np.where(ok, special.chdtrc(1, np.where(ok, mi, 0.0)), np.nan)
    return out
