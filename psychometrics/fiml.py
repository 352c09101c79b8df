"""Full-information ML with missing answers: pattern-wise sufficient statistics.

Rows are grouped by their pattern of answered items. For pattern k (n_k persons,
observed items o_k, their mean m_k and covariance S_k with denominator n_k) the
normal log-likelihood of the model (Sigma, mu) is, up to a constant,

    l_k = -n_k/2 [log|Sigma_oo| + tr(Sigma_oo^-1 S_k) + (m_k - mu_o)' Sigma_oo^-1 (m_k - mu_o)]

and the fit function is ``F = -2 sum_k l_k / N``; its cost grows with the number of
patterns, not with N. The unrestricted (H1) means and covariances are estimated by
the EM algorithm; ``chi2 = N (F_model - F_H1)`` and the baseline is the
independence model (each item's own ML mean and variance from its answers), as
lavaan's ``missing = "ml"``. Persons who answered nothing are not used (and counted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True, slots=True)
class Pattern:
    observed: np.ndarray  # indices of the answered items
    n: int
    mean: np.ndarray
    cov: np.ndarray  # denominator n


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

    @classmethod
    def from_data(cls, data: pd.DataFrame, tol: float = 1e-10, max_iter: int = 2_000) -> "PatternMoments":
        x = data.to_numpy(dtype=float)
        seen = ~np.isnan(x)
        keep = seen.any(axis=1)
        x, seen = x[keep], seen[keep]
        n, p = x.shape
        keys, inverse = np.unique(seen, axis=0, return_inverse=True)
        patterns = []
        for k, key in enumerate(keys):
            rows = x[inverse.ravel() == k][:, key]
            o = np.flatnonzero(key)
            mean = rows.mean(axis=0)
            c = rows - mean
            patterns.append(Pattern(o, len(rows), mean, c.T @ c / len(rows)))
        patterns = tuple(patterns)
        mu, sigma, it, status = _em(patterns, p, n, tol, max_iter)
        f_sat = fiml_value(patterns, sigma, mu, n) if status == "ok" else math.nan
        return cls(tuple(map(str, data.columns)), n, int((~keep).sum()), patterns, sigma, mu,
                   f_sat, it, status)

    def independence_chi2(self) -> tuple[float, int]:
        """chi2 and df of the independence model (free means and variances)."""
        p = len(self.names)
        mu = np.zeros(p)
        var = np.zeros(p)
        for j in range(p):
            num, den, sq = 0.0, 0, 0.0
            for pat in self.patterns:
                hit = np.flatnonzero(pat.observed == j)
                if hit.size:
                    i = hit[0]
                    num += pat.n * pat.mean[i]
                    sq += pat.n * (pat.cov[i, i] + pat.mean[i] ** 2)
                    den += pat.n
            mu[j] = num / den
            var[j] = sq / den - mu[j] ** 2
        f_b = fiml_value(self.patterns, np.diag(var), mu, self.n)
        return self.n * (f_b - self.f_saturated), p * (p - 1) // 2


def fiml_value(patterns, sigma: np.ndarray, mu: np.ndarray, n: int) -> float:
    """F = -2 loglik / N without the constant; inf when a Sigma_oo is not positive definite."""
    total = 0.0
    for pat in patterns:
        o = pat.observed
        s = sigma[np.ix_(o, o)]
        sign, logdet = np.linalg.slogdet(s)
        if sign <= 0:
            return math.inf
        w = np.linalg.inv(s)
        d = pat.mean - mu[o]
        total += pat.n * (logdet + np.sum(w * pat.cov) + d @ w @ d)
    return total / n


def fiml_terms(patterns, sigma, mu, n, dS, dm, extra=()):
    """Value, gradient and expected information of F over the free parameters (dS:
    (q, p, p), dm: (q, p)), plus for each extra direction (a, b) its gradient and its
    information with itself and with the free parameters (for score tests)."""
    q = dS.shape[0]
    grad = np.zeros(q)
    H = np.zeros((q, q))
    ex = [[0.0, 0.0, np.zeros(q)] for _ in extra]
    f = 0.0
    for pat in patterns:
        o = pat.observed
        wgt = pat.n / n
        s = sigma[np.ix_(o, o)]
        w = np.linalg.inv(s)
        d = pat.mean - mu[o]
        _, logdet = np.linalg.slogdet(s)
        f += wgt * (logdet + np.sum(w * pat.cov) + d @ w @ d)
        G = w - w @ (pat.cov + np.outer(d, d)) @ w
        dSo = dS[:, o][:, :, o]
        dmo = dm[:, o]
        grad += wgt * (dSo.reshape(len(dSo), -1) @ G.ravel() - 2 * dmo @ (w @ d))
        wdw = w @ dSo @ w
        H += wgt * (wdw.reshape(len(dSo), -1) @ dSo.reshape(len(dSo), -1).T + 2 * dmo @ w @ dmo.T)
        for e, (a, b) in enumerate(extra):
            ao, bo = a[np.ix_(o, o)], b[o]
            ex[e][0] += wgt * (np.sum(G * ao) - 2 * bo @ (w @ d))
            waw = w @ ao @ w
            ex[e][1] += wgt * (np.sum(waw * ao) + 2 * bo @ w @ bo)
            ex[e][2] += wgt * (dSo.reshape(len(dSo), -1) @ waw.ravel() + 2 * dmo @ w @ bo)
    return f, grad, H, ex


def _em(patterns, p: int, n: int, tol: float, max_iter: int):
    """EM estimates of the unrestricted means and covariance (denominator N)."""
    mu = np.zeros(p)
    t1 = np.zeros(p)
    for pat in patterns:
        t1[pat.observed] += pat.n * pat.mean
    counts = np.zeros(p)
    for pat in patterns:
        counts[pat.observed] += pat.n
    mu = t1 / counts
    sigma = np.eye(p)
    var = np.zeros(p)
    for pat in patterns:
        var[pat.observed] += pat.n * (np.diag(pat.cov) + (pat.mean - mu[pat.observed]) ** 2)
    sigma = np.diag(var / counts)
    it = 0
    for it in range(1, max_iter + 1):
        T1 = np.zeros(p)
        T2 = np.zeros((p, p))
        for pat in patterns:
            o = pat.observed
            m_ = np.setdiff1d(np.arange(p), o)
            s1 = pat.n * pat.mean
            s2 = pat.n * (pat.cov + np.outer(pat.mean, pat.mean))
            if m_.size == 0:
                T1 += s1
                T2 += s2
                continue
            B = sigma[np.ix_(m_, o)] @ np.linalg.inv(sigma[np.ix_(o, o)])
            a = mu[m_] - B @ mu[o]
            C = sigma[np.ix_(m_, m_)] - B @ sigma[np.ix_(o, m_)]
            xm = pat.n * a + B @ s1
            T1[o] += s1
            T1[m_] += xm
            T2[np.ix_(o, o)] += s2
            om = np.outer(s1, a) + s2 @ B.T
            T2[np.ix_(o, m_)] += om
            T2[np.ix_(m_, o)] += om.T
            T2[np.ix_(m_, m_)] += (pat.n * np.outer(a, a) + np.outer(a, B @ s1) + np.outer(B @ s1, a)
                                   + B @ s2 @ B.T + pat.n * C)
        new_mu = T1 / n
        new_sigma = T2 / n - np.outer(new_mu, new_mu)
        change = max(np.max(np.abs(new_mu - mu)), np.max(np.abs(new_sigma - sigma)))
        mu, sigma = new_mu, new_sigma
        if change < tol:
            return mu, sigma, it, "ok"
        if it % 25 == 0:
            eig = np.linalg.eigvalsh(sigma)
            if eig[0] <= 1e-10 * eig[-1]:  # too few cases for the items: no end to EM
                return mu, sigma, it, "singular"
    return mu, sigma, it, "not_converged"
