"""Information matrices of the ML objective F (= -2 loglik / N + const) in the parameters.

``Delta`` is the Jacobian of ``(vec Sigma, mu)``: ``dS`` (q, p*p) and ``dm`` (q, p).

- Expected, complete data: ``H_ab = tr(W Sigma_a W Sigma_b) + 2 mu_a' W mu_b``.
- Expected, missing data (FIML): the same summed over the patterns with their own
  ``W_k`` (padded), accumulated in the saturated space as ``sum_k n_k W_k (x) W_k`` and
  mapped once, ``Delta' (.) Delta``.
- Observed, missing data (the Hessian of F, lavaan's default for ``missing = "ml"``):
  per pattern the second derivative of ``n_k [log|Sigma_oo| + tr(W T)]`` in the
  directions a, b of the saturated space is

      -tr(W S_a W S_b) + tr(W S_a U S_b) + tr(U S_a W S_b)
      + 2 v' S_b W m_a + 2 v' S_a W m_b + 2 m_a' W m_b

  (``U = W T W``, ``v = W d``), accumulated over patterns in the saturated space and
  mapped with Delta, plus the second-order term of the model
  (:meth:`~psychometrics.sem.implied.Structure.second_order`) contracted with the
  saturated gradient.

Cost: the saturated sums are one matrix product over the patterns (K p^4), and the
mapping is ``q p^4``; nothing loops over patterns or parameters in Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from psychometrics.sem.objective import weighted_sum

if TYPE_CHECKING:
    from psychometrics.sem.objective import FIMLPoint

_BLOCK = 4e6  # numbers in one block of the saturated sums (32 MB)


def expected_complete(W: np.ndarray, dS: np.ndarray, dm: np.ndarray | None) -> np.ndarray:
    """``tr(W Sigma_a W Sigma_b) + 2 mu_a' W mu_b`` (the mean part only when ``dm``)."""
    q, p = dS.shape[0], W.shape[0]
    Y = dS.reshape(q, p, p) @ W  # tr(W S_a W S_b) = sum_ij (S_a W)_ij (S_b W)_ji
    H: np.ndarray = Y.reshape(q, -1) @ Y.transpose(0, 2, 1).reshape(q, -1).T
    if dm is not None:
        H += 2.0 * dm @ W @ dm.T
    return np.asarray((H + H.T) / 2)


def pair_half(A: np.ndarray, B: np.ndarray, w: np.ndarray, D: np.ndarray) -> np.ndarray:
    """``D M`` (q, p*p) for the saturated matrix M with ``vec(X)' M vec(Y) = sum_k w_k
    tr(A_k X B_k Y)`` (symmetric X, Y), without forming M (p^4 numbers): with
    ``Q[i, j, l, m] = sum_k w_k A_k[i, j] B_k[l, m]``, ``(D M)[a, (i, m)] = sum_jl
    D_a[j, l] Q[i, j, l, m]``, over blocks of j. Memory stays at a block of p^3 numbers,
    the work at (K + q) p^4. ``(D M) vec(Y)`` then gives ``sum_k w_k tr(A_k D_a B_k Y)``."""
    K, p, _ = A.shape
    q = D.shape[0]
    D3 = D.reshape(q, p, p)
    Bw = B.reshape(K, p * p)
    DM = np.zeros((q, p * p))
    step = max(1, int(_BLOCK // p ** 3))
    for j0 in range(0, p, step):
        js = slice(j0, min(p, j0 + step))
        c = js.stop - js.start
        Aw = (w[:, None, None] * A[:, :, js]).reshape(K, p * c)  # [k, (i, j)]
        Q = (Aw.T @ Bw).reshape(p, c, p, p)                      # [i, j, l, m]
        Q = Q.transpose(1, 2, 0, 3).reshape(c * p, p * p)         # [(j, l), (i, m)]
        DM += D3[:, js, :].reshape(q, c * p) @ Q
    return DM


def _pair_form(A: np.ndarray, B: np.ndarray, w: np.ndarray, D: np.ndarray) -> np.ndarray:
    """``sum_k w_k tr(A_k D_a B_k D_b)`` (q, q)."""
    return np.asarray(pair_half(A, B, w, D) @ D.T)


def fiml_expected(point: FIMLPoint, weights: np.ndarray, dS: np.ndarray, dm: np.ndarray) -> np.ndarray:
    """The expected FIML information for the parameters of ``(dS, dm)``
    (``weights`` = n_k / N)."""
    H: np.ndarray = (_pair_form(point.W, point.W, weights, dS)
         + 2.0 * dm @ weighted_sum(weights, point.W) @ dm.T)
    return np.asarray((H + H.T) / 2)


def fiml_expected_rank_two(point: FIMLPoint, weights: np.ndarray, basis: np.ndarray, ia: np.ndarray,
                           ib: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``sum_k w_k tr(W_k S_c W_k S_c)`` for directions ``S_c = s_c (a_c b_c' + b_c a_c')``
    (every single row of a factor model has this form), ``a_c``, ``b_c`` columns ``ia``,
    ``ib`` of ``basis``: ``2 s^2 sum_k w_k [(a' W_k a)(b' W_k b) + (a' W_k b)^2]``, from
    the Gram matrices ``basis' W_k basis`` of the patterns."""
    gram = basis.T @ point.W @ basis                      # (K, nb, nb)
    aa, bb, ab = gram[:, ia, ia], gram[:, ib, ib], gram[:, ia, ib]
    return np.asarray(2.0 * s ** 2 * (weights @ (aa * bb + ab ** 2)))


def fiml_observed(point: FIMLPoint, weights: np.ndarray, dS: np.ndarray, dm: np.ndarray,
                  second_order: np.ndarray) -> np.ndarray:
    """The observed FIML information (Hessian of F) at ``point``; ``second_order`` is the
    model's second-derivative term contracted with the saturated gradient."""
    W, U, v = point.W, point.U, point.v
    A = _pair_form(W, U, weights, dS)
    H: np.ndarray = -_pair_form(W, W, weights, dS) + A + A.T
    # cross terms: C[(i, j), l] = sum_k w_k v_i W_jl; X[b, a] = v' S_b W m_a
    p = W.shape[1]
    C = ((weights[:, None] * v).T @ W.reshape(len(W), -1)).reshape(p * p, p)
    X = dS @ C @ dm.T
    H += 2.0 * (X + X.T)
    H += 2.0 * dm @ weighted_sum(weights, W) @ dm.T
    H += second_order
    return np.asarray((H + H.T) / 2)
