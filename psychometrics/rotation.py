"""Factor rotations: varimax, promax, and oblique rotation by gradient projection.

- Oblimin with ``gamma = 0`` (quartimin) and geomin (``delta = 0.01``), by the
  gradient projection algorithm of Bernaards & Jennrich (2005), as
  ``GPArotation::oblimin`` and ``GPArotation::geominQ`` (which ``psych::fa`` calls):
  rotated loadings ``L = A (T')^-1``, factor correlations ``Phi = T' T``.
  Oblimin: ``f = sum(L^2 * (L^2 N)) / 4`` with ``N`` the off-diagonal ones matrix;
  geomin: ``f = sum_i exp(mean_j log(L_ij^2 + delta))``.
- Varimax as ``stats::varimax`` (Kaiser-normalized), and promax as ``psych::Promax``
  (varimax, then the least-squares fit to ``L |L|^(m-1)``, ``m = 4``).

Reference: Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection
algorithms and software for arbitrary rotation criteria in factor analysis.
Educational and Psychological Measurement, 65, 676-696.
"""

from __future__ import annotations

from collections.abc import Callable
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


def _geomin_criterion(L: np.ndarray, delta: float) -> tuple[float, np.ndarray]:
    k = L.shape[1]
    L2 = L ** 2 + delta
    pro = np.exp(np.log(L2).sum(axis=1) / k)
    return float(pro.sum()), (2 / k) * (L / L2) * pro[:, None]


def oblimin(A: np.ndarray, gamma: float = 0.0, eps: float = 1e-6, max_iter: int = 20000) -> Rotation:
    """Rotate loadings ``A`` (p x k) obliquely by oblimin; columns keep their order."""
    return _gpf_oblique(A, lambda L: _oblimin_criterion(L, gamma), eps, max_iter)


def geomin(A: np.ndarray, delta: float = 0.01, eps: float = 1e-6, max_iter: int = 20000) -> Rotation:
    """Rotate loadings ``A`` obliquely by geomin (``GPArotation::geominQ``)."""
    return _gpf_oblique(A, lambda L: _geomin_criterion(L, delta), eps, max_iter)


def varimax(A: np.ndarray, eps: float = 1e-5, max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """``stats::varimax(A, normalize = TRUE)``: rotated loadings and rotation matrix."""
    A = np.asarray(A, dtype=float)
    p, k = A.shape
    if k < 2:
        return A.copy(), np.eye(k)
    sc = np.sqrt(np.sum(A ** 2, axis=1))
    x = A / sc[:, None]
    T = np.eye(k)
    d = 0.0
    for _ in range(max_iter):
        z = x @ T
        B = x.T @ (z ** 3 - z @ np.diag(np.sum(z ** 2, axis=0)) / p)
        u, s, vt = np.linalg.svd(B)
        T = u @ vt
        d_past, d = d, float(s.sum())
        if d < d_past * (1 + eps):
            break
    return (x @ T) * sc[:, None], T


def promax(A: np.ndarray, m: int = 4) -> Rotation:
    """``psych::fa(rotate = "promax")``, i.e. ``kaiser(A, "Promax")``: rows scaled to
    unit communality, varimax, the oblique least-squares fit to the target
    ``L |L|^(m-1)`` with columns rescaled so that Phi has a unit diagonal, and rows
    scaled back."""
    A = np.asarray(A, dtype=float)
    if A.shape[1] < 2:
        return Rotation(A.copy(), np.eye(A.shape[1]), True, 0)
    h = np.sqrt(np.sum(A ** 2, axis=1))
    x, rot = varimax(A / h[:, None])
    Q = x * np.abs(x) ** (m - 1)
    U = np.linalg.lstsq(x, Q, rcond=None)[0]
    d = np.diag(np.linalg.inv(U.T @ U))
    U = U @ np.diag(np.sqrt(d))
    z = x @ U
    U = rot @ U
    ui = np.linalg.inv(U)
    return Rotation(z * h[:, None], ui @ ui.T, True, 0)


def _gpf_oblique(A: np.ndarray, criterion: Callable[[np.ndarray], tuple[float, np.ndarray]],
                 eps: float, max_iter: int) -> Rotation:
    A = np.asarray(A, dtype=float)
    k = A.shape[1]
    if k == 1:
        return Rotation(A.copy(), np.eye(1), True, 0)
    T = np.eye(k)
    alpha = 1.0
    L = A @ np.linalg.inv(T).T
    f, Gq = criterion(L)
    G = -(L.T @ Gq @ np.linalg.inv(T)).T
    converged = False
    iteration = 0
    for iteration in range(max_iter + 1):  # noqa: B007 (the count is returned)
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
            ft, Gqt = criterion(L)
            if f - ft > 0.5 * s ** 2 * alpha:
                break
            alpha /= 2
        T, f = Tt, ft
        G = -(L.T @ Gqt @ np.linalg.inv(Tt)).T
    return Rotation(A @ np.linalg.inv(T).T, T.T @ T, converged, iteration)
