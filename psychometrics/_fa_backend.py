"""Unrotated minres and ML loadings of a correlation matrix: factor_analyzer 0.5.1's
extraction, without importing it.

factor_analyzer (MIT licence) matches ``psych::fa`` to ~3e-6 (docs/engines.md), but
importing it pulls in scikit-learn and ``scipy.stats`` (1-2 s of every run that does an
EFA, issue 16), and of it we use only the extraction with ``rotation=None`` on a
correlation matrix: we rotate ourselves (:mod:`psychometrics.rotation`; its ``phi_``
and oblique communalities are wrong) and never let it impute. So the extraction is
written out here as ``FactorAnalyzer(n_factors, rotation=None, method=method,
is_corr_matrix=True).fit(corr).loadings_`` computes it (``_fit_factor_analysis``,
``_fit_uls_objective``, ``_fit_ml_objective``, ``_normalize_uls``, ``_normalize_ml``,
then the column signs and the order by variance): the same starting values (1 - SMC),
bounds (0.005, 1), at most 1000 iterations and the same objectives, with two
differences: the objectives' gradients are given in closed form (as ``psych::fa`` and
``factanal`` do) instead of L-BFGS-B's finite differences, p + 1 eigendecompositions
per step fewer; and the minimizer is our projected BFGS
(:func:`psychometrics._solvers.minimize_box`, the design of L-BFGS-B with a dense BFGS
matrix), run to a projected gradient of 1e-10 instead of L-BFGS-B's default stopping
point ~1e-5 from the optimum, so that a run imports neither ``scipy.optimize`` nor
``scipy.linalg`` (0.3 s of every run). The loadings lie within 5e-8 of the optimum
(measured against a scipy L-BFGS-B run to ftol 1e-16) and agree with factor_analyzer's
to 4e-5. With ``ANALYTIC_GRADIENT = False`` the numbers are factor_analyzer's exactly
(scipy's L-BFGS-B, imported then). ``tests/test_fa_backend.py`` checks both against
factor_analyzer itself (kept as a test dependency for that cross-check only).
"""

from __future__ import annotations

import warnings

import numpy as np

from psychometrics._solvers import minimize_box

_BOUNDS = (0.005, 1.0)
#: The objectives' gradients in closed form (one eigendecomposition per evaluation instead
#: of p + 1 for finite differences), minimized by our projected BFGS to GTOL; False:
#: factor_analyzer's way exactly (scipy's L-BFGS-B, imported then; the cross-check).
ANALYTIC_GRADIENT = True
#: The projected BFGS stops when max |psi - P(psi - gradient)| <= GTOL.
GTOL = 1e-10
#: The most iterations of the projected BFGS (it warns "Failed to converge" there).
MAX_ITER = 1000


def unrotated_loadings(corr: np.ndarray, n_factors: int, method: str = "minres") -> np.ndarray:
    """Unrotated loadings (p x n_factors) of a correlation matrix by minres or ML."""
    if method not in ("minres", "ml"):
        raise ValueError(f"The 'method' parameter of unrotated_loadings must be 'minres' or "
                         f"'ml'. Got {method!r} instead.")
    r = np.array(corr, dtype=float)  # a copy: the objectives write its diagonal
    if not np.isfinite(r).all():
        raise ValueError("unrotated_loadings needs a correlation matrix without NaN or inf")
    start = (np.diag(r) - (1 - 1 / np.diag(np.linalg.inv(r))).T).squeeze()
    if ANALYTIC_GRADIENT:  # value and gradient from one eigendecomposition
        fg = _ml_value_gradient if method == "ml" else _uls_value_gradient
        box = minimize_box(fg, start, *_BOUNDS, args=(r, n_factors), gtol=GTOL, maxiter=MAX_ITER)
        psi, converged, message = box.x, box.converged, box.message
    else:  # factor_analyzer's way exactly: L-BFGS-B with finite differences
        from scipy.optimize import minimize

        objective = _ml_objective if method == "ml" else _uls_objective
        res = minimize(objective, start, method="L-BFGS-B", bounds=[_BOUNDS] * r.shape[0],
                       options={"maxiter": 1000}, args=(r, n_factors))
        psi, converged, message = res.x, bool(res.success), str(res.message)
    if not converged:
        warnings.warn(f"Failed to converge: {message}", stacklevel=2)
    loadings = (_normalize_ml if method == "ml" else _normalize_uls)(psi, r, n_factors)
    if n_factors > 1:  # column signs as R's (positive column sums)
        signs = np.sign(loadings.sum(0))
        signs[signs == 0] = 1
        loadings = np.dot(loadings, np.diag(signs))
    variance = np.sum(loadings ** 2, axis=0)
    order = list(reversed(np.argsort(variance)))
    return np.asarray(loadings[:, order].copy(), dtype=float)


def _uls_objective(psi: np.ndarray, r: np.ndarray, n_factors: int) -> float:
    from scipy import linalg

    np.fill_diagonal(r, 1 - psi)
    values, vectors = linalg.eigh(r)
    values = np.maximum(values[::-1], np.finfo(float).eps * 100)[:n_factors]
    vectors = vectors[:, ::-1][:, :n_factors]
    if n_factors > 1:
        loadings = np.dot(vectors, np.diag(np.sqrt(values)))
    else:
        loadings = vectors * np.sqrt(values[0])
    model = np.dot(loadings, loadings.T)
    return float(np.sum((r - model) ** 2))


def _uls_value_gradient(psi: np.ndarray, r: np.ndarray,
                        n_factors: int) -> tuple[float, np.ndarray]:
    """The minres objective and its gradient. With the eigenvalues l_i (vectors v_i) of
    R with diagonal 1 - psi, the model keeps max(l_i, eps * 100) of the first n_factors,
    so the residual is sum_i e_i v_i v_i' with e_i = l_i - kept_i and the objective
    sum_i e_i^2; d l_i / d psi_j = -v_ij^2 (kept values held), so the gradient is
    -2 sum_i e_i v_ij^2. numpy's eigh (not scipy.linalg's, whose import costs a run
    ~0.1 s): the two agree to rounding."""
    np.fill_diagonal(r, 1 - psi)
    values, vectors = np.linalg.eigh(r)
    values, vectors = values[::-1], vectors[:, ::-1]
    kept = np.zeros_like(values)
    kept[:n_factors] = np.maximum(values[:n_factors], np.finfo(float).eps * 100)
    loadings = vectors[:, :n_factors] * np.sqrt(kept[:n_factors])
    value = float(np.sum((r - loadings @ loadings.T) ** 2))
    return value, -2 * (vectors ** 2) @ (values - kept)


def _ml_value_gradient(psi: np.ndarray, r: np.ndarray,
                       n_factors: int) -> tuple[float, np.ndarray]:
    """The ML objective and its gradient as R's ``factanal`` (``FAgr``):
    diag(Lambda Lambda' + Psi - R) / psi^2 at the loadings the objective implies."""
    sc = np.diag(1 / np.sqrt(psi))
    values, vectors = np.linalg.eigh(sc @ r @ sc)
    values, vectors = values[::-1], vectors[:, ::-1]
    rest = values[n_factors:]
    value = float(-(np.sum(np.log(rest) - rest) - n_factors + r.shape[0]))
    loadings = np.sqrt(psi)[:, None] * (vectors[:, :n_factors]
                                        * np.sqrt(np.maximum(values[:n_factors] - 1, 0)))
    g = np.sum(loadings ** 2, axis=1) + psi - np.diag(r)
    return value, g / psi ** 2


def _ml_objective(psi: np.ndarray, r: np.ndarray, n_factors: int) -> float:
    sc = np.diag(1 / np.sqrt(psi))
    sstar = np.dot(np.dot(sc, r), sc)
    values = np.linalg.eigh(sstar)[0][::-1][n_factors:]
    return float(-(np.sum(np.log(values) - values) - n_factors + r.shape[0]))


def _normalize_uls(psi: np.ndarray, r: np.ndarray, n_factors: int) -> np.ndarray:
    np.fill_diagonal(r, 1 - psi)
    values, vectors = np.linalg.eigh(r)
    values = values[::-1][:n_factors]
    vectors = vectors[:, ::-1][:, :n_factors]
    return np.asarray(np.dot(vectors, np.diag(np.sqrt(np.maximum(values, 0)))), dtype=float)


def _normalize_ml(psi: np.ndarray, r: np.ndarray, n_factors: int) -> np.ndarray:
    sc = np.diag(1 / np.sqrt(psi))
    sstar = np.dot(np.dot(sc, r), sc)
    values, vectors = np.linalg.eigh(sstar)
    values = np.maximum(values[::-1][:n_factors] - 1, 0)
    vectors = vectors[:, ::-1][:, :n_factors]
    return np.asarray(np.dot(np.diag(np.sqrt(psi)), np.dot(vectors, np.diag(np.sqrt(values)))),
                      dtype=float)
