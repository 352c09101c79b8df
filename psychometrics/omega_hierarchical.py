"""Omega hierarchical by the Schmid-Leiman transformation, as ``psych::omega``.

For items meant to share a general factor besides their group (subscale) factors:

1. R = Pearson correlations of the keyed items (pairwise complete, as psych).
2. ``k`` group factors by minres (:mod:`psychometrics._fa_backend`), rotated by
   oblimin (:mod:`psychometrics.rotation`): pattern loadings ``F`` and factor
   correlations ``Phi``.
3. The general factor's loadings on the group factors, ``gamma``: a one-factor
   minres fit to ``Phi`` (for k = 2, psych's ``option = "equal"``:
   ``gamma = sqrt(|phi_12|)`` each).
4. Items' general loadings ``g = F gamma``; group loadings ``F diag(sqrt(1 - gamma^2))``.
5. ``omega_h = (sum g)^2 / sum(R)``; ``omega_total = (sum(R) - sum(u2)) / sum(R)`` with
   ``u2 = 1 - h2`` the uniquenesses of the EFA.

Reference: Zinbarg, R. E., Revelle, W., Yovel, I., & Li, W. (2005). Cronbach's
alpha, Revelle's beta, and McDonald's omega_H. Psychometrika, 70, 123-133.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from psychometrics._fa_backend import unrotated_loadings
from psychometrics._solvers import least_squares_lm
from psychometrics.exceptions import warn_status
from psychometrics.results import json_object
from psychometrics.rotation import oblimin


@dataclass(frozen=True, slots=True)
class OmegaHierarchical:
    """Omega hierarchical and total of a general factor with ``n_groups`` group factors.

    Returned by :func:`omega_hierarchical`; ``to_dict()`` gives plain JSON types.

    Attributes
    ----------
    status, reason : str
        ``"ok"``, ``"heywood"`` (numbers kept, flagged), or why the numbers are
        missing: ``"not_identified"``, ``"no_variance"``,
        ``"not_positive_definite"``, ``"not_converged"``.
    n : int
        Persons with at least one answer.
    n_groups : int
        The number of group factors.
    omega_h, omega_total : float
        Omega hierarchical and omega total.
    general_loadings : Series
        Each item's loading on the general factor.
    method : str
        The procedure, in words.

    Examples
    --------
    >>> import pandas as pd
    >>> from instruments import keyed_items, read_responses
    >>> from psychometrics import omega_hierarchical
    >>> from psychometrics.example_study import example_data_path
    >>> r = read_responses(example_data_path(), "tse", id_column="teacher",
    ...                    wave_column="wave")
    >>> x = pd.concat([keyed_items(r, s) for s in r.instrument.scale_ids], axis=1)
    >>> oh = omega_hierarchical(x[(r.keys["wave"] == "T0").to_numpy()], 3)
    >>> oh.to_dict()["omega_h"] == oh.omega_h, oh.n_groups
    (True, 3)
    """

    status: str
    reason: str
    n: int
    n_groups: int
    omega_h: float
    omega_total: float
    general_loadings: pd.Series = field(repr=False)
    method: str = ("Schmid-Leiman: minres EFA, oblimin, one-factor minres on the factor "
                   "correlations (psych::omega)")

    def to_dict(self) -> dict[str, Any]:
        """Omega hierarchical as plain JSON types (NaN as ``None``).

        Returns
        -------
        dict
            ``status, reason, n, n_groups, omega_h, omega_total, method,
            general_loadings``.
        """
        return json_object({
            "status": self.status, "reason": self.reason, "n": self.n,
            "n_groups": self.n_groups, "omega_h": self.omega_h,

            "omega_total": self.omega_total, "method": self.method,
            "general_loadings": self.general_loadings.to_dict(),
        })


def _general_loadings(phi: np.ndarray) -> np.ndarray | None:
    """The general factor's loadings on the group factors: for k >= 3 the least-squares
    fit of ``g_i g_j`` to the off-diagonal ``phi_ij`` (Levenberg-Marquardt with the
    Jacobian ``d r_ij / d g_i = -g_j``, tolerances 1e-14); None when it does not
    converge."""
    k = phi.shape[0]
    if k == 2:
        r = phi[0, 1]
        return np.array([math.sqrt(abs(r)), math.copysign(math.sqrt(abs(r)), r)])
    rows, cols = np.triu_indices(k, 1)
    pairs = np.arange(len(rows))

    def resid(g: np.ndarray) -> np.ndarray:
        return np.asarray(phi[rows, cols] - g[rows] * g[cols])

    def jac(g: np.ndarray) -> np.ndarray:
        J = np.zeros((len(rows), k))
        J[pairs, rows] = -g[cols]
        J[pairs, cols] = -g[rows]
        return J

    start = np.sqrt(np.clip(np.abs(phi).sum(axis=0) - 1, 0.01, None) / (k - 1))
    res = least_squares_lm(resid, jac, start, xtol=1e-14, ftol=1e-14, gtol=1e-14)
    if not res.converged:
        return None
    g = np.asarray(res.x, dtype=float)
    return g if g.sum() >= 0 else -g


def omega_hierarchical(items: pd.DataFrame, n_groups: int) -> OmegaHierarchical:
    """Omega hierarchical of keyed items with ``n_groups`` group factors.

    The Schmid-Leiman transformation of an oblimin-rotated minres solution, as
    ``psych::omega``: Pearson correlations R (pairwise complete), ``n_groups``
    minres factors rotated by oblimin (pattern F, factor correlations Phi), the
    general factor's loadings ``gamma`` on the group factors from a one-factor
    minres fit to Phi (for two group factors ``sqrt(|phi_12|)`` each, psych's
    ``option = "equal"``), the items' general loadings ``g = F gamma``, then
    ``omega_h = (sum g)^2 / sum(R)`` and ``omega_total = (sum(R) - sum(u2)) / sum(R)``
    with ``u2`` the uniquenesses of the EFA.

    In R: ``psych::omega(x, nfactors = n_groups, fm = "minres",
    rotate = "oblimin")`` (``omega_h``, ``omega.tot``).

    Parameters
    ----------
    items : DataFrame, shape (n_persons, k)
        Keyed answers, one column per item, NaN where missing.
    n_groups : int
        The number of group factors (at least 2, with at least 3 items each).

    Returns
    -------
    OmegaHierarchical
        ``omega_h``, ``omega_total``, the general loadings, ``status`` and
        ``reason``; numbers are NaN when the model cannot be estimated.

    References
    ----------
    Schmid, J., & Leiman, J. M. (1957). The development of hierarchical factor
    solutions. Psychometrika, 22, 53-61.

    Zinbarg, R. E., Revelle, W., Yovel, I., & Li, W. (2005). Cronbach's alpha,
    Revelle's beta, and McDonald's omega_H. Psychometrika, 70, 123-133.

    Examples
    --------
    The general factor of teacher self-efficacy over its three subscales, at the
    first wave of the example study:

    >>> import pandas as pd
    >>> from instruments import keyed_items, read_responses
    >>> from psychometrics import omega_hierarchical
    >>> from psychometrics.example_study import example_data_path
    >>> r = read_responses(example_data_path(), "tse", id_column="teacher",
    ...                    wave_column="wave")
    >>> x = pd.concat([keyed_items(r, s) for s in r.instrument.scale_ids], axis=1)
    >>> oh = omega_hierarchical(x[(r.keys["wave"] == "T0").to_numpy()], 3)
    >>> oh.status, round(oh.omega_h, 3), round(oh.omega_total, 3)  # In R: psych::omega(x, 3)
    ('ok', 0.586, 0.926)
    """
    result = _omega_hierarchical(items, n_groups)
    warn_status(result.status, result.reason, f"omega hierarchical of {len(items.columns)} items")
    return result


def _omega_hierarchical(items: pd.DataFrame, n_groups: int) -> OmegaHierarchical:
    cols = list(items.columns)
    nan = pd.Series(np.nan, index=cols)
    n = int((~items.isna()).any(axis=1).sum())
    if n_groups < 2:
        return OmegaHierarchical("not_identified", "omega hierarchical needs at least 2 "
                                 "group factors", n, n_groups, math.nan, math.nan, nan)
    if len(cols) < 3 * n_groups:
        return OmegaHierarchical("not_identified", f"{len(cols)} items for {n_groups} group "
                                 "factors; at least 3 per factor are needed", n, n_groups,
                                 math.nan, math.nan, nan)
    r = items.corr(min_periods=2).to_numpy()
    if not np.isfinite(r).all():
        return OmegaHierarchical("no_variance", "some correlations are undefined (an item "
                                 "without variance or without overlapping answers)", n,
                                 n_groups, math.nan, math.nan, nan)
    if np.linalg.eigvalsh(r).min() <= 1e-10:
        return OmegaHierarchical("not_positive_definite", "the correlation matrix is not "
                                 "positive definite (too few cases for the items)", n,
                                 n_groups, math.nan, math.nan, nan)
    loadings = unrotated_loadings(r, n_groups, "minres")
    h2 = np.sum(loadings ** 2, axis=1)
    rot = oblimin(loadings)
    if not rot.converged:
        return OmegaHierarchical("not_converged", "the oblimin rotation did not converge",
                                 n, n_groups, math.nan, math.nan, nan)
    gamma = _general_loadings(rot.phi)
    if gamma is None:
        return OmegaHierarchical("not_converged", "the one-factor fit to the factor "
                                 "correlations did not converge", n, n_groups, math.nan,
                                 math.nan, nan)
    g = rot.loadings @ gamma
    total = r.sum()
    omega_h = float(g.sum() ** 2 / total)
    omega_t = float((total - np.sum(1 - h2)) / total)
    status, reason = "ok", ""
    if np.any(h2 >= 1) or np.any(np.abs(gamma) >= 1):
        status, reason = "heywood", "inadmissible solution (a communality or general " \
                                    "loading of 1 or more)"
    return OmegaHierarchical(status, reason, n, n_groups, omega_h, omega_t,
                             pd.Series(g, index=cols))
