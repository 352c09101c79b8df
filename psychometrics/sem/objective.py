"""The ML and full-information ML objective with its gradient, in the saturated space.

Complete data (lavaan's ML discrepancy, ``chi2 = N F``):

    F = log|Sigma| + tr(S Sigma^-1) - log|S| - p + (m - mu)' Sigma^-1 (m - mu)

(the last term only with a mean structure). Its gradient with respect to the entries
of Sigma and mu is ``G = W - W (S + d d') W`` and ``g = -2 W d`` (``W = Sigma^-1``,
``d = m - mu``).

Missing data: ``F = sum_k n_k [log|Sigma_oo| + tr(W_k T_k)] / N`` over the patterns
(``W_k = Sigma_oo^-1``, ``T_k = S_k + d_k d_k'``), minus the constant. Its gradient is
accumulated over the patterns in the saturated space, ``G = sum_k n_k (W_k - W_k T_k
W_k) / N`` and ``g = -2 sum_k n_k W_k d_k / N`` (padded to all items), and mapped to the
parameters once with the Jacobian Delta: ``dF/dtheta = Delta_Sigma' vec G + Delta_mu' g``.
All patterns are one batched computation (:func:`padded_inverse`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # moments imports this module
    from psychometrics.sem.moments import Stacked


def ml_discrepancy(sample_cov: np.ndarray, implied_cov: np.ndarray,
                   sample_mean: np.ndarray | None = None,
                   implied_mean: np.ndarray | None = None) -> float:
    """``log|Sigma| + tr(S Sigma^-1) - log|S| - p`` (+ ``(m - mu)' Sigma^-1 (m - mu)``
    with a mean structure); inf when Sigma is not positive definite."""
    sign, logdet = np.linalg.slogdet(implied_cov)
    if sign <= 0:
        return math.inf
    _, logdet_s = np.linalg.slogdet(sample_cov)
    W = np.linalg.inv(implied_cov)
    f = logdet + np.sum(W * sample_cov) - logdet_s - sample_cov.shape[0]
    if sample_mean is not None and implied_mean is not None:
        d = sample_mean - implied_mean
        f += d @ W @ d
    return float(f)


def ml_gradient(sample_cov: np.ndarray, sample_mean: np.ndarray | None, implied_cov: np.ndarray,
                implied_mean: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``G``, ``g`` and ``W`` of the complete-data discrepancy (``g = 0`` without means)."""
    W = np.linalg.inv(implied_cov)
    d = sample_mean - implied_mean if sample_mean is not None else np.zeros(len(implied_mean))
    G = W - W @ (sample_cov + np.outer(d, d)) @ W
    return G, -2.0 * W @ d, W


def weighted_sum(w: np.ndarray, A: np.ndarray) -> np.ndarray:
    """``sum_k w_k A_k``: ``np.tensordot(w, A, axes=1)`` (the same product) without its
    argument handling, which costs more than the product at these sizes."""
    total: np.ndarray = np.dot(w.reshape(1, -1), A.reshape(len(A), -1))
    return total.reshape(A.shape[1:])


def padded_inverse(st: Stacked, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """For every pattern of ``st`` (a :class:`~psychometrics.sem.moments.Stacked`),
    ``log|Sigma_oo|`` (K,) and ``Sigma_oo^-1`` padded with zeros to (K, p, p); None when
    some ``Sigma_oo`` is not positive definite.

    From the inverse ``W`` of the whole Sigma, per pattern with its missing items m:
    ``Sigma_oo^-1 = W_oo - W_om W_mm^-1 W_mo`` and ``log|Sigma_oo| = log|Sigma| +
    log|W_mm|``, batched over the patterns with the same number of missing items: the
    cost per pattern is p^2 m, not p^3. When Sigma itself is not positive definite (its
    blocks may still be) or nearly singular, each block is inverted directly."""
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return _padded_inverse_direct(st, sigma)
    diag = np.diagonal(chol)
    if diag.min() ** 2 < 1e-8 * diag.max() ** 2:  # near-singular Sigma: downdating loses digits
        return _padded_inverse_direct(st, sigma)
    logdet_all = 2.0 * np.log(diag).sum()
    W = np.linalg.inv(sigma)
    W = (W + W.T) / 2
    K, p = st.mask.shape
    logdet = np.full(K, logdet_all)
    out = np.empty((K, p, p))
    for ks, idx, both in st.layout().blocks:
        if idx is None:
            out[ks] = W
            continue
        Wmm = W[idx[:, :, None], idx[:, None, :]]
        try:
            cm = np.linalg.cholesky(Wmm)
        except np.linalg.LinAlgError:
            return _padded_inverse_direct(st, sigma)
        logdet[ks] += 2.0 * np.log(np.diagonal(cm, axis1=1, axis2=2)).sum(axis=1)
        Wpm = W[:, idx].transpose(1, 0, 2)
        Wk = W - Wpm @ np.linalg.solve(Wmm, Wpm.transpose(0, 2, 1))
        out[ks] = np.where(both, Wk, 0.0)
    return logdet, out


def _padded_inverse_direct(st: Stacked, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`padded_inverse` block by block: unanswered rows and columns are replaced
    by those of the identity, which leaves the determinant and the inverse of the
    answered block unchanged, so all patterns are one batched call."""
    both = st.mask[:, :, None] & st.mask[:, None, :]
    eye = np.eye(sigma.shape[0], dtype=bool)
    padded = np.where(both, sigma, 0.0) + ((~st.mask)[:, :, None] & eye)
    try:
        chol = np.linalg.cholesky(padded)
    except np.linalg.LinAlgError:
        return None
    logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    inv = np.linalg.inv(padded)
    return logdet, np.where(both, inv, 0.0)


def fiml_value(st: Stacked, sigma: np.ndarray, mu: np.ndarray, n: int) -> float:
    """F = -2 loglik / N without the constant; inf when a Sigma_oo is not positive definite."""
    inv = padded_inverse(st, sigma)
    if inv is None:
        return math.inf
    logdet, W = inv
    d = np.where(st.mask, st.mean - mu, 0.0)
    quad = np.einsum("kij,kij->k", W, st.cov) + np.einsum("ki,kij,kj->k", d, W, d)
    return float(st.n @ (logdet + quad) / n)


@dataclass(frozen=True, slots=True)
class FIMLPoint:
    """The FIML objective at one (Sigma, mu): its value, its saturated gradient ``G``
    (p, p) and ``g`` (p,), and per pattern ``W`` (padded inverse), ``U = W T W`` and
    ``v = W d`` (what the information matrices need)."""

    f: float
    G: np.ndarray
    g: np.ndarray
    W: np.ndarray
    U: np.ndarray
    v: np.ndarray


def fiml_point(st: Stacked, sigma: np.ndarray, mu: np.ndarray, n: int) -> FIMLPoint | None:
    """Value and saturated gradient of the FIML objective; None if not positive definite."""
    inv = padded_inverse(st, sigma)
    if inv is None:
        return None
    logdet, W = inv
    d = np.where(st.mask, st.mean - mu, 0.0)
    v = np.einsum("kij,kj->ki", W, d)
    U = v[:, :, None] * v[:, None, :]
    trace = np.zeros(len(W))
    _, spread, spread_cov = st.layout()  # one person: S_k = 0, T_k = d d'
    if spread.size:
        WS = W[spread] @ spread_cov
        U[spread] += WS @ W[spread]
        trace[spread] = np.einsum("kii->k", WS)
    f = st.n @ (logdet + trace + np.einsum("ki,ki->k", d, v)) / n
    w = st.n / n
    G = weighted_sum(w, W - U)
    return FIMLPoint(float(f), G, -2.0 * (w @ v), W, U, v)
