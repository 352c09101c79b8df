"""The Jacobian of lavaan's completely standardized solution (std.all, as
:func:`psychometrics.sem.standardized.standardized` computes it) with respect to the
free parameters, in closed form, for the delta-method ``std_se``.

With ``Sigma = Lambda Psi Lambda' + Theta``, ``sx = sqrt(diag Sigma)``,
``sf = sqrt(diag Psi)`` and ``tv = diag Theta``, each row's std.all is its value ``v``
times a product of powers of those: a loading ``v sf_j / sx_i``, a factor (co)variance
``v / (sf_i sf_j)``, a residual variance ``v / sx_i^2``, a residual covariance
``v / sqrt(tv_i tv_j)``, an intercept ``v / sx_i``, a latent mean ``v / sf_i``. The
derivative is ``std (dv / v + sum_k e_k d log s_k)`` written out without dividing by
``v``, with ``d Sigma_kk`` of a loading ``2 (Lambda Psi)_ij`` on ``k = i``, of a factor
(co)variance ``Lambda_ki Lambda_kj`` (twice off the diagonal), of a residual variance
1 on ``k = i``. Rows sharing a label add up (the free parameter moves them together).
It replaces a central-difference Jacobian (2q evaluations of std.all) and agrees with it
to its truncation error (tests/test_std_jacobian.py).
"""

from __future__ import annotations

import numpy as np

from psychometrics.sem.implied import Structure


def std_jacobian(struct: Structure, theta: np.ndarray) -> np.ndarray:
    """d std.all (one row per table row) / d theta (q columns)."""
    L, P, T, _, _ = struct.matrices(theta)
    v = struct.values(theta)
    kind, i, j = struct.kind, struct.row, struct.col
    p, m = struct.p, struct.m
    fr = struct.free_rows
    fk, fi, fj = kind[fr], i[fr], j[fr]
    S = len(fr)
    with np.errstate(invalid="ignore", divide="ignore"):
        Sigma = L @ P @ L.T + T
        dsig = np.diag(Sigma)
        sx = np.sqrt(dsig)
        sf = np.sqrt(np.diag(P)) if m else np.zeros(1)
        tv = np.diag(T)
        # derivatives of diag Sigma, sf and tv with respect to each free row's value
        dD = np.zeros((S, p))
        dsf = np.zeros((S, max(m, 1)))
        dtv = np.zeros((S, p))
        s = np.flatnonzero(fk == "L")
        if s.size:
            dD[s, fi[s]] = 2 * (L @ P)[fi[s], fj[s]]
        s = np.flatnonzero(fk == "P")
        if s.size:
            dD[s] = (L[:, fi[s]] * L[:, fj[s]]).T * np.where(fi[s] == fj[s], 1.0, 2.0)[:, None]
            d = s[fi[s] == fj[s]]
            dsf[d, fi[d]] = 0.5 / sf[fi[d]]
        s = np.flatnonzero((fk == "T") & (fi == fj))
        if s.size:
            dD[s, fi[s]] = 1.0
            dtv[s, fi[s]] = 1.0
        dsx = dD / (2 * sx)
        ix, jx = np.minimum(i, p - 1), np.minimum(j, p - 1)
        im, jm = np.minimum(i, max(m - 1, 0)), np.minimum(j, max(m - 1, 0))
        E = np.zeros((len(v), S))
        E[fr, np.arange(S)] = 1.0
        vc = v[:, None]
        J = np.full((len(v), S), np.nan)
        r = kind == "L"
        J[r] = (E[r] * (sf[jm[r]] / sx[ix[r]])[:, None]
                + vc[r] * dsf[:, jm[r]].T / sx[ix[r]][:, None]
                - (vc[r] * (sf[jm[r]] / sx[ix[r]] ** 2)[:, None]) * dsx[:, ix[r]].T)
        r = kind == "P"
        ff = (sf[im[r]] * sf[jm[r]])[:, None]
        J[r] = (E[r] / ff - (vc[r] / ff) * (dsf[:, im[r]].T / sf[im[r]][:, None]
                                           + dsf[:, jm[r]].T / sf[jm[r]][:, None]))
        r = (kind == "T") & (i == j)
        J[r] = E[r] / dsig[ix[r]][:, None] - (vc[r] / dsig[ix[r]][:, None] ** 2) * dD[:, ix[r]].T
        r = (kind == "T") & (i != j)
        rsd = np.sqrt(np.where((tv[ix[r]] > 0) & (tv[jx[r]] > 0), tv[ix[r]] * tv[jx[r]],
                               np.nan))[:, None]
        J[r] = (E[r] / rsd - (vc[r] / rsd) * (dtv[:, ix[r]].T / (2 * tv[ix[r]][:, None])
                                             + dtv[:, jx[r]].T / (2 * tv[jx[r]][:, None])))
        r = kind == "N"
        J[r] = E[r] / sx[ix[r]][:, None] - (vc[r] / sx[ix[r]][:, None] ** 2) * dsx[:, ix[r]].T
        r = kind == "A"
        J[r] = E[r] / sf[im[r]][:, None] - (vc[r] / sf[im[r]][:, None] ** 2) * dsf[:, im[r]].T
    return struct.to_free(J.T).T
