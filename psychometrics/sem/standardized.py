"""Estimates, standard errors and lavaan's completely standardized solution (std.all).

Loadings and factor (co)variances are standardized by the model-implied SDs of items
and factors, residual variances by the item variances, residual covariances become
residual correlations, means are divided by the SDs. ``std_se`` by the delta method
with the Jacobian of the standardization in closed form
(:mod:`psychometrics.sem.std_jacobian`), as ``lavaan::standardizedSolution``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from psychometrics.sem.implied import Structure
from psychometrics.sem.std_jacobian import std_jacobian


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


def estimate_columns(struct: Structure, theta: np.ndarray, cov_theta: np.ndarray | None,
                     with_std_se: bool = True) -> dict[str, np.ndarray]:
    """est, se, z, pvalue, std_all and std_se (NaN unless ``with_std_se``) of every row
    of ``struct``'s table."""
    est = struct.values(theta)
    q = struct.q
    se = np.sqrt(np.clip(np.diag(cov_theta), 0, None)) if cov_theta is not None else np.full(q, np.nan)
    free = struct.free > 0
    se_rows = np.where(free, se[np.clip(struct.free - 1, 0, None)], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(free, est / se_rows, np.nan)
    pvalue = np.where(free, 2 * special.ndtr(-np.abs(z)), np.nan)
    std = standardized(struct, theta)
    std_se = np.full(len(std), np.nan)
    if cov_theta is not None and with_std_se:
        J = std_jacobian(struct, theta)
        std_se = np.sqrt(np.clip(np.sum((J @ cov_theta) * J, axis=1), 0, None))
    return {"est": est, "se": se_rows, "z": z, "pvalue": pvalue, "std_all": std,
            "std_se": std_se}


def estimates_table(table: pd.DataFrame, struct: Structure, theta: np.ndarray,
                    cov_theta: np.ndarray | None) -> pd.DataFrame:
    """The parameter table with est, se, z, pvalue, std_all and std_se."""
    return with_columns(table, estimate_columns(struct, theta, cov_theta))


def with_columns(table: pd.DataFrame, cols: dict[str, np.ndarray]) -> pd.DataFrame:
    """``table`` with the columns ``cols`` (added at the end, or replaced)."""
    if any(c in table.columns for c in cols):  # a refit of a finished table: replace
        out = table.copy()
        for name, values in cols.items():
            out[name] = values
        return out
    # one concatenation instead of six column insertions (each copies the frame)
    return pd.concat([table, pd.DataFrame(cols, index=table.index)], axis=1)
