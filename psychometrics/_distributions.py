"""The few ``scipy.stats`` results the pipeline needs, from ``scipy.special`` directly.

Importing ``scipy.stats`` costs 0.5-1 s of every ``binnenuit`` run (issue 16) while
we use six of its functions. Each function here calls the ``scipy.special`` routine
that ``scipy.stats`` (1.17) calls for it (``t._sf`` is ``stdtr(df, -x)``, ``t._ppf``
``stdtrit``, ``chi2._sf`` ``chdtrc``, ``f._ppf`` ``fdtri``, ``nct._cdf`` ``nctdtr``,
``ncx2._sf`` Boost's private ``_ncx2_sf``, with a fallback to scipy.stats where a scipy
lacks it) with ``rv_continuous``'s handling of the edges (outside the support, invalid
parameters: NaN), and the Wilcoxon signed-rank test's normal approximation is
``scipy.stats.wilcoxon``'s, operation for operation; its exact and permutation branches
(small samples) still call scipy.stats, imported then. ``tests/test_distributions.py``
checks every function against scipy.stats.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special


def _valid(*params: float) -> bool:
    return all(p > 0 for p in params)  # False for NaN too


def t_sf(x: float, df: float) -> float:
    """``scipy.stats.t.sf(x, df)``."""
    if math.isnan(x) or not _valid(df):
        return math.nan
    return float(special.stdtr(df, -x))


def t_ppf(q: float, df: float) -> float:
    """``scipy.stats.t.ppf(q, df)``."""
    if math.isnan(q) or not _valid(df) or not 0 <= q <= 1:
        return math.nan
    if q == 0 or q == 1:
        return -math.inf if q == 0 else math.inf
    return float(special.stdtrit(df, q))


def chi2_sf(x: float, df: float) -> float:
    """``scipy.stats.chi2.sf(x, df)``."""
    if math.isnan(x) or not _valid(df):
        return math.nan
    if x <= 0:  # at or below the support's lower end
        return 1.0
    return float(special.chdtrc(df, x))


def f_ppf(q: float, dfn: float, dfd: float) -> float:
    """``scipy.stats.f.ppf(q, dfn, dfd)``."""
    if math.isnan(q) or not _valid(dfn, dfd) or not 0 <= q <= 1:
        return math.nan
    if q == 0 or q == 1:
        return 0.0 if q == 0 else math.inf
    return float(special.fdtri(dfn, dfd, q))


def nct_cdf(x: float, df: float, nc: float) -> float:
    """``scipy.stats.nct.cdf(x, df, nc)``."""
    if math.isnan(x) or not _valid(df) or math.isnan(nc):
        return math.nan
    return float(special.nctdtr(df, nc, x))


def ncx2_sf(x: float, df: float, nc: float) -> float:
    """``scipy.stats.ncx2.sf(x, df, nc)``: its routine (``scipy.special._ufuncs._ncx2_sf``,
    Boost's) where this scipy has it, otherwise scipy.stats itself."""
    if math.isnan(x) or not (_valid(df) and math.isfinite(df) and nc >= 0):
        return math.nan
    if x <= 0:  # at or below the support's lower end
        return 1.0
    if x == math.inf:
        return 0.0
    if nc == 0:
        return float(special.chdtrc(df, x))
    routine = getattr(special._ufuncs, "_ncx2_sf", None)
    if routine is None:  # pragma: no cover - an older scipy
        from scipy import stats

        return float(stats.ncx2.sf(x, df, nc))
    with np.errstate(over="ignore"):
        return float(routine(x, df, nc))


def rank_average(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average ranks of ``x`` (NaN ranked last, each its own group) and the size of each
    group of ties, as ``scipy.stats._stats_py._rankdata(x, 'average', return_ties=True)``
    gives them (the sizes in sorted order, padded with zeros to the length of x)."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    order = np.argsort(x, kind="stable")
    y = x[order]
    new = np.ones(n, dtype=bool)
    new[1:] = y[1:] != y[:-1]  # NaN != NaN: every NaN starts its own group
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, n))
    avg = starts + (counts + 1) / 2.0
    ranks = np.empty(n)
    ranks[order] = np.repeat(avg, counts)
    ties = np.zeros(n)
    ties[:len(counts)] = counts
    return ranks, ties


def wilcoxon_p(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sided p of ``scipy.stats.wilcoxon(x, y, zero_method="wilcox",
    correction=True, method="auto")``."""
    d = np.asarray(x, dtype=float) - np.asarray(y, dtype=float)
    n_zero = int(np.count_nonzero(d == 0))
    d = np.where(d == 0, np.nan, d)
    count = float(len(d) - np.count_nonzero(np.isnan(d)))
    r, t = rank_average(np.abs(d))
    has_ties = bool(np.any(t == 0))
    if len(d) <= 50 and (not (has_ties or n_zero > 0) or len(d) <= 13):
        from scipy import stats  # the exact or permutation test of a small sample

        return float(stats.wilcoxon(x, y, zero_method="wilcox", correction=True,
                                    method="auto").pvalue)
    r_plus = np.sum((d > 0).astype(float) * r)
    mn = count * (count + 1.) * 0.25
    se = count * (count + 1.) * (2. * count + 1.)
    se = np.sqrt((se - np.sum(t ** 3 - t) / 2) / 24)
    z = (r_plus - mn) / se
    z = z - np.sign(z) * 0.5 / se
    return float(2 * special.ndtr(-np.abs(z)))
