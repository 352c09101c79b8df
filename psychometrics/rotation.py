"""Oblique rotation by the gradient projection algorithm (Bernaards & Jennrich 2005).

Oblimin with ``gamma = 0`` (quartimin), as ``GPArotation::oblimin`` (which
``psych::fa(rotate = "oblimin")`` and ``psych::schmid`` call): criterion
``f = sum(L^2 * (L^2 N)) / 4`` with ``N`` the off-diagonal ones matrix, rotated
loadings ``L = A (T')^-1`` and factor correlations ``Phi = T' T``.

Reference: Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection
algorithms and software for arbitrary rotation criteria in factor analysis.
Educational and Psychological Measurement, 65, 676-696.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Rotation:
    loadings: np.ndarray
    phi: np.ndarray
    converged: bool
    iterations: int


def _oblimin_criterion(L: np.ndarray, gamma: float) -> tuple[float, np.ndarray]:
    k = L.shape[1]
    L2 = L ** 2
    N = np.ones((k, k)) - np.eye(k)
    X = L2 @ N
    if gamma != 0:
        p = L.shape[0]
        X = (np.eye(p) - gamma * np.ones((p, p)) / p) @ X
    return float(np.sum(L2 * X) / 4), L * X


def oblimin(A: np.ndarray, gamma: float = 0.0, eps: float = 1e-8, max_iter: int = 5000) -> Rotation:
    """Rotate loadings ``A`` (p x k) obliquely by oblimin; columns keep their order."""
    A = np.asarray(A, dtype=float)
    k = A.shape[1]
    if k == 1:
        return Rotation(A.copy(), np.eye(1), True, 0)
    T = np.eye(k)
    alpha = 1.0
    L = A @ np.linalg.inv(T).T
    f, Gq = _oblimin_criterion(L, gamma)
    G = -(L.T @ Gq @ np.linalg.inv(T)).T
    converged = False
    iteration = 0
    for iteration in range(max_iter + 1):
        Gp = G - T @ np.diag(np.sum(T * G, axis=0))
        s = np.sqrt(np.sum(Gp ** 2))
        if s < eps:
            converged = True
            break
        alpha *= 2
        for _ in range(11):
            X = T - alpha * Gp
            Tt = X / np.sqrt(np.sum(X ** 2, axis=0))
            L = A @ np.linalg.inv(Tt).T
            ft, Gqt = _oblimin_criterion(L, gamma)
            if f - ft > 0.5 * s ** 2 * alpha:
                break
            alpha /= 2
        T, f = Tt, ft
        G = -(L.T @ Gqt @ np.linalg.inv(Tt)).T
    return Rotation(A @ np.linalg.inv(T).T, T.T @ T, converged, iteration)
