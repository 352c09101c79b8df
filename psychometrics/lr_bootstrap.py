"""A parametric-bootstrap p value for a likelihood-ratio test of nested models.

Data are drawn from the fitted *constrained* model (its implied means and
covariances), at the study's own N and with the study's own pattern of missing
answers (the same persons miss the same items), and both models are refitted on each
draw (starting from the original estimates). The statistic is the likelihood ratio
``N (F_constrained - F_free)`` in lavaan's scale; p is the share of draws whose
statistic reaches the observed one. Draws stop as soon as acceptance at ``alpha`` is
certain (Besag & Clifford 1991), so a test far from significance costs few draws.

Several groups: each group is drawn from its own implied moments, at its own n and
with its own pattern of missing answers.

Draws that do not converge are not counted (their number is reported).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from psychometrics.sem import MLFit, Moments, PatternMoments, fit_ml
from psychometrics.sem.moments import GroupMoments, Pattern


@dataclass(frozen=True, slots=True)
class BootstrapLR:
    """Result of a bootstrapped likelihood-ratio test."""

    pvalue: float
    draws: int
    exceed: int
    failed: int
    stopped_early: bool


def _warm(table: pd.DataFrame, fit: MLFit) -> pd.DataFrame:
    t = table.copy()
    t["start"] = fit.table["est"].to_numpy()
    return t


def _pattern_moments(x: np.ndarray, groups: list[tuple[np.ndarray, np.ndarray]],
                     names: tuple[str, ...]) -> PatternMoments:
    """Pattern-wise statistics of ``x`` for fixed groups of rows (no saturated model:
    a likelihood ratio of two structured models does not need it)."""
    patterns = []
    for observed, rows in groups:
        sub = x[np.ix_(rows, observed)]
        mean = sub.mean(axis=0)
        c = sub - mean
        patterns.append(Pattern(observed, len(rows), mean, c.T @ c / len(rows)))
    n = int(sum(len(r) for _, r in groups))
    p = x.shape[1]
    return PatternMoments(names, n, 0, tuple(patterns), np.full((p, p), np.nan),
                          np.full(p, np.nan), math.nan, 0, "not_estimated")


def _patterns(seen: np.ndarray | None) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """The rows of each pattern of answered items (None for complete data)."""
    if seen is None:
        return None
    keys, inverse = np.unique(seen, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    return [(np.flatnonzero(k), np.flatnonzero(inverse == g)) for g, k in enumerate(keys)]


def bootstrap_lr_pvalue(constrained: pd.DataFrame, fit_constrained: MLFit,
                        free: pd.DataFrame, fit_free: MLFit,
                        seen: np.ndarray | Sequence[np.ndarray | None] | None,
                        observed: float, *, alpha: float, seed: int,
                        max_draws: int = 99) -> BootstrapLR:
    """Bootstrap p of ``observed`` (the LR statistic of ``constrained`` against
    ``free``, both parameter tables as fitted). ``seen`` is the (N, p) mask of the
    answered cells of the data the models were fitted to, or None for complete data;
    for a multi-group model, one mask (or None) per group.
    """
    names = fit_constrained.observed
    n, p = fit_constrained.n, len(names)
    rng = np.random.default_rng(seed)
    t0, t1 = _warm(constrained, fit_constrained), _warm(free, fit_free)
    masks: Sequence[np.ndarray | None]
    if fit_constrained.implied_groups:
        sizes = fit_constrained.group_n
        implied = fit_constrained.implied_groups
        masks = list(seen) if seen is not None else [None] * len(sizes)
    else:
        sizes = (n,)
        implied = ((fit_constrained.implied_cov, fit_constrained.implied_mean),)
        masks = [seen if isinstance(seen, np.ndarray) else None]
    draws = [(ng, mu, np.linalg.cholesky(sigma), _patterns(mask))
             for ng, (sigma, mu), mask in zip(sizes, implied, masks)]

    def draw() -> Moments | PatternMoments | GroupMoments:
        out: list[Moments | PatternMoments] = []
        for ng, mu, chol, groups in draws:
            x = mu + rng.standard_normal((ng, p)) @ chol.T
            out.append(Moments(np.cov(x, rowvar=False, ddof=0), x.mean(axis=0), ng, names)
                       if groups is None else _pattern_moments(x, groups, names))
        if fit_constrained.implied_groups:
            return GroupMoments(tuple(out), fit_constrained.group_labels)
        return out[0]

    exceed = failed = done = 0
    while done < max_draws and failed < max_draws:
        moments = draw()
        # A likelihood ratio to 1e-7 in the gradient is exact far beyond the p it feeds.
        a = fit_ml(t0, moments, standard_errors=False, tol=1e-7)
        b = fit_ml(t1, moments, standard_errors=False, tol=1e-7)
        if a.status not in ("ok", "heywood") or b.status not in ("ok", "heywood"):
            failed += 1
            continue
        done += 1
        exceed += bool(2 * n * (a.fmin - b.fmin) >= observed)
        # The final p, (exceed + 1) / (max_draws + 1), can no longer fall below alpha.
        if (exceed + 1) / (max_draws + 1) >= alpha:
            return BootstrapLR(exceed / done, done, exceed, failed, True)
    if done == 0:
        return BootstrapLR(math.nan, 0, 0, failed, False)
    return BootstrapLR((exceed + 1) / (done + 1), done, exceed, failed, False)
