"""Unrotated minres and ML loadings of a correlation matrix: factor_analyzer 0.5.1's
extraction, operation for operation, without importing it.

factor_analyzer (MIT licence) matches ``psych::fa`` to ~3e-6 (docs/engines.md), but
importing it pulls in scikit-learn and ``scipy.stats`` (1-2 s of every run that does an
EFA, issue 16), and of it we use only the extraction with ``rotation=None`` on a
correlation matrix: we rotate ourselves (:mod:`psychometrics.rotation`; its ``phi_``
and oblique communalities are wrong) and never let it impute. So the extraction is
written out here as ``FactorAnalyzer(n_factors, rotation=None, method=method,
is_corr_matrix=True).fit(corr).loadings_`` computes it (``_fit_factor_analysis``,
``_fit_uls_objective``, ``_fit_ml_objective``, ``_normalize_uls``, ``_normalize_ml``,
then the column signs and the order by variance): the same starting values (1 - SMC),
bounds (0.005, 1), L-BFGS-B with its finite-difference gradient and ``maxiter=1000``,
and the same eigendecompositions, hence the same numbers.
``tests/test_fa_backend.py`` checks this against factor_analyzer itself (kept as a test
dependency for that cross-check only).
"""

from __future__ import annotations

import warnings

import numpy as np

_BOUNDS = (0.005, 1.0)


def unrotated_loadings(corr: np.ndarray, n_factors: int, method: str = "minres") -> np.ndarray:
    """Unrotated loadings (p x n_factors) of a correlation matrix by minres or ML."""
    from scipy.optimize import minimize  # imported when an EFA runs

    if method not in ("minres", "ml"):
        raise ValueError(f"The 'method' parameter of unrotated_loadings must be 'minres' or "
                         f"'ml'. Got {method!r} instead.")
    r = np.array(corr, dtype=float)  # a copy: the objectives write its diagonal
    if not np.isfinite(r).all():
        raise ValueError("unrotated_loadings needs a correlation matrix without NaN or inf")
    start = (np.diag(r) - (1 - 1 / np.diag(np.linalg.inv(r))).T).squeeze()
    objective = _ml_objective if method == "ml" else _uls_objective
    res = minimize(objective, start, method="L-BFGS-B", bounds=[_BOUNDS] * r.shape[0],
                   options={"maxiter": 1000}, args=(r, n_factors))
    if not res.success:
        warnings.warn(f"Failed to converge: {res.message}", stacklevel=2)
    loadings = (_normalize_ml if method == "ml" else _normalize_uls)(res.x, r, n_factors)
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
    return np.dot(vectors, np.diag(np.sqrt(np.maximum(values, 0))))


def _normalize_ml(psi: np.ndarray, r: np.ndarray, n_factors: int) -> np.ndarray:
    sc = np.diag(1 / np.sqrt(psi))
    sstar = np.dot(np.dot(sc, r), sc)
    values, vectors = np.linalg.eigh(sstar)
    values = np.maximum(values[::-1][:n_factors] - 1, 0)
    vectors = vectors[:, ::-1][:, :n_factors]
    return np.dot(np.diag(np.sqrt(psi)), np.dot(vectors, np.diag(np.sqrt(values))))
