"""The one place that calls factor_analyzer (0.5.1).

What we rely on, measured against psych (docs/engines.md): minres and ML
loadings match ``psych::fa`` to ~3e-6. What we avoid: it median-imputes missing
values by default (we always pass a correlation matrix), its ``phi_`` after an
oblique rotation is not in the order of the loading columns and its communalities
are wrong for oblique rotations (we rotate ourselves, :mod:`psychometrics.rotation`),
and it warns (scikit-learn 1.6-1.7) or breaks (1.8+) on ``force_all_finite``: the
version is pinned and that one FutureWarning is silenced here, nowhere else.
"""

from __future__ import annotations

import warnings

import numpy as np


def unrotated_loadings(corr: np.ndarray, n_factors: int, method: str = "minres") -> np.ndarray:
    """Unrotated loadings (p x n_factors) of a correlation matrix by minres or ML."""
    from factor_analyzer import FactorAnalyzer  # heavy: imported only when used

    fa = FactorAnalyzer(n_factors=n_factors, rotation=None, method=method,
                        is_corr_matrix=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*force_all_finite.*", category=FutureWarning)
        fa.fit(np.asarray(corr, dtype=float))
    return np.asarray(fa.loadings_, dtype=float)
