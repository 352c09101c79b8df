"""Sample statistics: complete-data moments, missing-data patterns, the saturated model.

Complete data: the covariance ``S`` (denominator N) and mean ``m`` are sufficient, so
after one pass over the data no cost depends on N.

Missing answers: rows are grouped by their pattern of answered items (persons with
the same pattern are one group). For pattern k (n_k persons, observed items o_k, their
mean m_k and covariance S_k with denominator n_k) the normal log-likelihood of the
model (Sigma, mu) is, up to a constant,

    l_k = -n_k/2 [log|Sigma_oo| + tr(Sigma_oo^-1 S_k) + (m_k - mu_o)' Sigma_oo^-1 (m_k - mu_o)]

The patterns are also held stacked, padded to all p items (zeros where unanswered),
so that every computation over patterns is one batched array operation. The
unrestricted (H1) means and covariances are estimated by the EM algorithm;
``chi2 = N (F_model - F_H1)`` and the baseline is the independence model (each item's
own ML mean and variance from its answers), as lavaan's ``missing = "ml"``. Persons who
answered nothing are not used (and counted).

:func:`covariance_problem` is the one positive-definiteness check of sample moments.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import InitVar, dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from psychometrics.sem._blas import one_blas_thread
from psychometrics.sem.objective import fiml_value, padded_inverse, weighted_sum


@dataclass(frozen=True, slots=True)
class Moments:
    """Sufficient statistics: covariance (denominator N), mean, N, variable order."""

    cov: np.ndarray
    mean: np.ndarray
    n: int
    names: tuple[str, ...]

    @classmethod
    def from_data(cls, data: pd.DataFrame) -> Moments:
        """Moments of complete rows (the caller has applied the missing-data rule)."""
        x = data.to_numpy(dtype=float)
        if np.isnan(x).any():
            raise ValueError("Moments.from_data needs complete data; apply listwise deletion first")
        return cls(np.cov(x, rowvar=False, ddof=0).reshape(x.shape[1], x.shape[1]),
                   x.mean(axis=0), x.shape[0], tuple(map(str, data.columns)))


def covariance_problem(cov: np.ndarray,
                       names: Sequence[str] | None = None) -> tuple[str, str] | None:
    """``(status, reason)`` when sample moments cannot carry an ML fit: an item without
    variance, or a covariance matrix that is not positive definite; else None."""
    var = np.diag(cov)
    if np.any(var <= 0):
        const = [str(names[int(i)]) if names is not None else str(i) for i in np.flatnonzero(var <= 0)]
        return "no_variance", f"items without variance: {', '.join(const)}"
    if np.linalg.eigvalsh(cov).min() <= 1e-10 * var.max():
        return "not_positive_definite", ("the sample covariance matrix is not positive definite "
                                         "(linearly dependent items, or too few cases)")
    return None


@dataclass(frozen=True, slots=True)
class Pattern:
    observed: np.ndarray  # indices of the answered items
    n: int
    mean: np.ndarray
    cov: np.ndarray  # denominator n


class MissingBlock(NamedTuple):
    """The patterns with the same number of unanswered items: their positions among
    the patterns, their unanswered items (patterns, m; None when m = 0) and where both
    items of a pair are answered (patterns, p, p)."""

    patterns: np.ndarray
    missing: np.ndarray | None
    both: np.ndarray


class Layout(NamedTuple):
    """What every evaluation of the objective reads from the patterns' masks and counts:
    the blocks of :func:`~psychometrics.sem.objective.padded_inverse`, the patterns of
    more than one person and their covariances."""

    blocks: tuple[MissingBlock, ...]
    spread: np.ndarray
    spread_cov: np.ndarray


@dataclass(frozen=True, slots=True)
class Stacked:
    """The patterns as arrays over all p items: ``mask`` (K, p) answered, ``n`` (K,),
    ``mean`` (K, p) and ``cov`` (K, p, p), zero where unanswered."""

    mask: np.ndarray
    n: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    _layout: Layout | None = field(default=None, init=False, repr=False, compare=False)

    def layout(self) -> Layout:
        """The patterns' :class:`Layout` (computed once: the objective is evaluated
        thousands of times on the same patterns)."""
        if self._layout is None:
            missing = ~self.mask
            n_missing = missing.sum(axis=1)
            blocks = []
            for m in np.unique(n_missing):
                ks = np.flatnonzero(n_missing == m)
                idx = np.nonzero(missing[ks])[1].reshape(len(ks), m) if m else None
                keep = self.mask[ks]
                blocks.append(MissingBlock(ks, idx, keep[:, :, None] & keep[:, None, :]))
            spread = np.flatnonzero(self.n > 1)
            cov = self.cov if len(spread) == len(self.n) else self.cov[spread]  # no copy of all
            object.__setattr__(self, "_layout", Layout(tuple(blocks), spread, cov))
        assert self._layout is not None  # set above
        return self._layout

    @classmethod
    def of(cls, patterns: Sequence[Pattern], p: int) -> Stacked:
        K = len(patterns)
        mask = np.zeros((K, p), dtype=bool)
        mean = np.zeros((K, p))
        cov = np.zeros((K, p, p))
        for k, pat in enumerate(patterns):
            o = pat.observed
            mask[k, o] = True
            mean[k, o] = pat.mean
            cov[k][np.ix_(o, o)] = pat.cov
        return cls(mask, np.array([pat.n for pat in patterns], dtype=float), mean, cov)


@dataclass(frozen=True, slots=True)
class PatternMoments:
    """Missing-data sufficient statistics and the saturated (H1) moments by EM."""

    names: tuple[str, ...]
    n: int
    n_empty: int
    patterns: tuple[Pattern, ...]
    cov: np.ndarray    # H1 (EM) covariance, the "sample" moments for SRMR
    mean: np.ndarray   # H1 (EM) means
    f_saturated: float
    em_iterations: int
    em_status: str = "ok"  # or "singular" / "not_converged": no saturated model, no chi2
    stacked: Stacked = field(init=False, repr=False)
    _independence: tuple[float, int] | None = field(default=None, init=False, repr=False,
                                                    compare=False)
    #: The patterns already stacked (:meth:`from_data` has them), else stacked here.
    prestacked: InitVar[Stacked | None] = None

    def __post_init__(self, prestacked: Stacked | None) -> None:
        stacked = prestacked if prestacked is not None else Stacked.of(self.patterns, len(self.names))
        object.__setattr__(self, "stacked", stacked)

    @classmethod
    def from_data(cls, data: pd.DataFrame, tol: float = 1e-10,
                  max_iter: int = 2_000) -> PatternMoments:
        x = data.to_numpy(dtype=float)
        seen = ~np.isnan(x)
        keep = seen.any(axis=1)
        x, seen = x[keep], seen[keep]
        n, p = x.shape
        keys, inverse = np.unique(seen, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(len(keys) + 1))
        found: list[Pattern] = []
        for k, key in enumerate(keys):
            rows = x[order[bounds[k]:bounds[k + 1]]][:, key]
            mean = rows.mean(axis=0)
            c = rows - mean
            found.append(Pattern(np.flatnonzero(key), len(rows), mean, c.T @ c / len(rows)))
        patterns = tuple(found)
        stacked = Stacked.of(patterns, p)
        with one_blas_thread():
            mu, sigma, it, status = _em(stacked, n, tol, max_iter)
        f_sat = fiml_value(stacked, sigma, mu, n) if status == "ok" else math.nan
        return cls(tuple(map(str, data.columns)), n, int((~keep).sum()), patterns, sigma, mu,
                   f_sat, it, status, stacked)

    def independence_chi2(self) -> tuple[float, int]:
        """chi2 and df of the independence model (free means and variances); computed
        once (every model fitted to these data needs it for CFI and TLI)."""
        if self._independence is None:
            st, p = self.stacked, len(self.names)
            w = st.n[:, None] * st.mask
            den = w.sum(axis=0)
            mu = (st.n[:, None] * st.mean).sum(axis=0) / den
            sq = (st.n[:, None] * (np.diagonal(st.cov, axis1=1, axis2=2)
                                   + st.mean ** 2)).sum(axis=0)
            var = sq / den - mu ** 2
            f_b = fiml_value(st, np.diag(var), mu, self.n)
            object.__setattr__(self, "_independence",
                               (self.n * (f_b - self.f_saturated), p * (p - 1) // 2))
        assert self._independence is not None  # set above
        return self._independence


def _em(st: Stacked, n: int, tol: float,
        max_iter: int) -> tuple[np.ndarray, np.ndarray, int, str]:
    """EM estimates of the unrestricted means and covariance (denominator N), all
    patterns at once. With ``W_k`` the padded inverse of pattern k and ``v_k = W_k d_k``,
    a person's conditional mean is ``mu + Sigma v_k`` and the conditional covariance
    ``Sigma - Sigma W_k Sigma``, so the expected cross-products are
    ``sum_k n_k xhat_k xhat_k' + Sigma (sum_k n_k W_k S_k W_k - sum_k n_k W_k) Sigma + N Sigma``
    (``S_k = 0`` for a pattern of one person)."""
    nk = st.n
    counts = (nk[:, None] * st.mask).sum(axis=0)
    mu = (nk[:, None] * st.mean).sum(axis=0) / counts
    dev = np.where(st.mask, st.mean - mu, 0.0)
    var = (nk[:, None] * (np.diagonal(st.cov, axis1=1, axis2=2) + dev ** 2)).sum(axis=0)
    sigma = np.diag(var / counts)
    _, spread, spread_cov = st.layout()  # the patterns of more than one person
    n_spread = nk[spread]
    it = 0
    for it in range(1, max_iter + 1):
        inv = padded_inverse(st, sigma)
        if inv is None:
            return mu, sigma, it, "singular"
        W = inv[1]
        d = np.where(st.mask, st.mean - mu, 0.0)
        xhat = mu + np.einsum("kij,kj->ki", W, d) @ sigma
        middle = -weighted_sum(nk, W)
        if spread.size:
            Ws = W[spread]
            middle += weighted_sum(n_spread, Ws @ spread_cov @ Ws)
        T2 = (xhat.T * nk) @ xhat + sigma @ middle @ sigma + n * sigma
        new_mu = nk @ xhat / n
        new_sigma = T2 / n - np.outer(new_mu, new_mu)
        new_sigma = (new_sigma + new_sigma.T) / 2
        change = max(np.max(np.abs(new_mu - mu)), np.max(np.abs(new_sigma - sigma)))
        mu, sigma = new_mu, new_sigma
        if change < tol:
            return mu, sigma, it, "ok"
        if it % 25 == 0:
            eig = np.linalg.eigvalsh(sigma)
            if eig[0] <= 1e-10 * eig[-1]:  # too few cases for the items: no end to EM
                return mu, sigma, it, "singular"
    return mu, sigma, it, "not_converged"


@dataclass(frozen=True, slots=True)
class GroupMoments:
    """Sample statistics of several groups (lavaan's ``group =``): one
    :class:`Moments` (or one :class:`PatternMoments`, all of one kind) per group, over
    the same items; ``labels`` name the groups in the order of the table's ``group``
    numbers (1, 2, ...)."""

    groups: tuple[Moments | PatternMoments, ...]
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        kinds = {type(g) for g in self.groups}
        if len(kinds) != 1 or len(self.groups) != len(self.labels):
            raise ValueError("GroupMoments needs one label per group and moments of one kind")
        if len({g.names for g in self.groups}) != 1:
            raise ValueError("GroupMoments needs the same items in every group")

    @property
    def n(self) -> int:
        return int(sum(g.n for g in self.groups))

    @property
    def names(self) -> tuple[str, ...]:
        return self.groups[0].names

    @property
    def fiml(self) -> bool:
        return isinstance(self.groups[0], PatternMoments)
