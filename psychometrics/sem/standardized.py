"""Estimates, standard errors and lavaan's completely standardized solution (std.all).

Loadings and factor (co)variances are standardized by the model-implied SDs of items
and factors, residual variances by the item variances, residual covariances become
residual correlations, means are divided by the SDs. ``std_se`` by the delta method
with a numerical Jacobian of the standardization, as ``lavaan::standardizedSolution``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from psychometrics.sem.implied import Structure


def standardized(struct: Structure, theta: np.ndarray) -> np.ndarray:
    """lavaan's std.all of every row of the table."""
    L, P, T, _, _ = struct.matrices(theta)
    v = struct.values(theta)
    kind, i, j = struct.kind, struct.row, struct.col
    Sigma = L @ P @ L.T + T
    with np.errstate(invalid="ignore", divide="ignore"):
        sx = np.sqrt(np.diag(Sigma))
        sf = np.sqrt(np.diag(P)) if struct.m else np.zeros(1)
        tv = np.diag(T)
        ix, jx = np.minimum(i, struct.p - 1), np.minimum(j, struct.p - 1)
        im, jm = np.minimum(i, max(struct.m - 1, 0)), np.minimum(j, max(struct.m - 1, 0))
        resid_sd = np.sqrt(np.where((tv[ix] > 0) & (tv[jx] > 0), tv[ix] * tv[jx], np.nan))
        std = np.select(
            [kind == "L", kind == "P", (kind == "T") & (i == j), kind == "T", kind == "N",
             kind == "A"],
            [v * sf[jm] / sx[ix], v / (sf[im] * sf[jm]), v / sx[ix] ** 2, v / resid_sd,
             v / sx[ix], v / sf[im]],
            default=np.nan)
    return np.asarray(std, dtype=float)


def estimates_table(table: pd.DataFrame, struct: Structure, theta: np.ndarray,
                    cov_theta: np.ndarray | None) -> pd.DataFrame:
    """The parameter table with est, se, z, pvalue, std_all and std_se."""
    out = table.copy()
    out["est"] = struct.values(theta)
    q = struct.q
    se = np.sqrt(np.clip(np.diag(cov_theta), 0, None)) if cov_theta is not None else np.full(q, np.nan)
    free = out["free"].to_numpy() > 0
    out["se"] = np.where(free, se[np.clip(out["free"].to_numpy() - 1, 0, None)], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["z"] = np.where(free, out["est"] / out["se"], np.nan)
    out["pvalue"] = np.where(free, 2 * special.ndtr(-np.abs(out["z"])), np.nan)
    std = standardized(struct, theta)
    out["std_all"] = std
    std_se = np.full(len(std), np.nan)
    if cov_theta is not None:
        J = np.zeros((len(std), len(theta)))
        for k in range(len(theta)):
            h = 1e-6 * max(1.0, abs(theta[k]))
            up, down = theta.copy(), theta.copy()
            up[k] += h
            down[k] -= h
            J[:, k] = (standardized(struct, up) - standardized(struct, down)) / (2 * h)
        std_se = np.sqrt(np.clip(np.sum((J @ cov_theta) * J, axis=1), 0, None))
    out["std_se"] = std_se
    return out
