"""The congeneric (one-factor) model, fitted by maximum likelihood.

``Sigma = lambda lambda' + diag(theta)`` with the factor variance fixed at 1
(lavaan's ``std.lv = TRUE``; the fit is the same as with a fixed first loading).
Estimated on the sample covariance matrix with denominator N, minimizing lavaan's
ML discrepancy with its analytic gradient:
``dF/dSigma = G = Sigma^-1 - Sigma^-1 S Sigma^-1``, ``dF/dlambda = 2 G lambda``,
``dF/dtheta = diag(G)``. Residual variances are not bounded, so a Heywood case
shows as a negative variance (as in lavaan) and is reported, not hidden.

Used for omega total; the general CFA engine (issue 4) covers multi-factor models.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from psychometrics.fit_indices import FitIndices, fit_indices, ml_discrepancy


@dataclass(frozen=True, slots=True)
class CongenericFit:
    """A fitted one-factor model.

    ``status`` is ``"ok"``, ``"not_identified"`` (fewer than 3 indicators),
    ``"not_converged"`` or ``"heywood"`` (a residual variance below 0, or a
    standardized loading above 1); ``reason`` says what happened.
    """

    status: str
    reason: str
    n: int
    loadings: np.ndarray
    residual_variances: np.ndarray
    fit: FitIndices | None

    @property
    def std_loadings(self) -> np.ndarray:
        return self.loadings / np.sqrt(self.loadings ** 2 + self.residual_variances)


def fit_congeneric(sample_cov: np.ndarray, n: int) -> CongenericFit:
    """Fit the one-factor model to ``sample_cov`` (denominator N) from ``n`` cases."""
    s = np.asarray(sample_cov, dtype=float)
    p = s.shape[0]
    nan = np.full(p, np.nan)
    if p < 3:
        return CongenericFit("not_identified", f"a one-factor model needs at least 3 items; "
                             f"this scale has {p}", n, nan, nan, None)
    if np.any(np.diag(s) <= 0):
        return CongenericFit("not_identified", "an item has no variance", n, nan, nan, None)
    if np.linalg.eigvalsh(s).min() <= 1e-12 * np.trace(s):
        return CongenericFit("not_positive_definite", "the sample covariance matrix is not "
                             "positive definite (too few cases or linearly dependent items)",
                             n, nan, nan, None)
    # Start: loadings from the first principal axis, residuals from what is left.
    w, v = np.linalg.eigh(s)
    lam0 = v[:, -1] * math.sqrt(w[-1])
    lam0 *= np.sign(lam0.sum()) or 1.0
    x0 = np.concatenate([lam0, np.maximum(np.diag(s) - lam0 ** 2, 0.1 * np.diag(s))])

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        lam, theta = x[:p], x[p:]
        sigma = np.outer(lam, lam) + np.diag(theta)
        f = ml_discrepancy(s, sigma)
        if not math.isfinite(f):
            return 1e10, np.zeros_like(x)
        inv = np.linalg.inv(sigma)
        g = inv - inv @ s @ inv
        return f, np.concatenate([2.0 * g @ lam, np.diag(g)])

    res = optimize.minimize(objective, x0, jac=True, method="L-BFGS-B",
                            options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10})
    lam, theta = res.x[:p], res.x[p:]
    if lam.sum() < 0:  # the sign of a factor is arbitrary; make it point up
        lam = -lam
    grad_norm = float(np.max(np.abs(res.jac)))
    if not res.success and grad_norm > 1e-6:
        return CongenericFit("not_converged", f"the ML fit did not converge ({res.message}; "
                             f"largest gradient {grad_norm:.2g})", n, nan, nan, None)
    sigma = np.outer(lam, lam) + np.diag(theta)
    fit = fit_indices(s, sigma, n, p * (p + 1) // 2 - 2 * p)
    status, reason = "ok", ""
    std = lam / np.sqrt(np.abs(np.diag(sigma)))
    if np.any(theta < 0) or np.any(np.abs(std) > 1):
        status = "heywood"
        reason = "inadmissible solution: a residual variance is negative (Heywood case)"
    return CongenericFit(status, reason, n, lam, theta, fit)
