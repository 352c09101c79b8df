"""Model-implied moments: the LISREL matrices of a parameter table and their derivatives.

The model (lavaan's "all-y" form): ``x = nu + Lambda eta + e`` with ``E(eta) = alpha``,
``Cov(eta) = Psi``, ``Cov(e) = Theta``, so ``Sigma = Lambda Psi Lambda' + Theta`` and
``mu = nu + Lambda alpha``.

:class:`Structure` knows where each row of the table sits. It gives the matrices for a
parameter vector, the Jacobian ``Delta`` of ``(vec Sigma, mu)`` with respect to the rows
or to the free parameters (built for all rows at once), and the second-order term
``sum_ij G_ij d2 Sigma_ij / dtheta_a dtheta_b + g' d2 mu / dtheta_a dtheta_b`` of a
Hessian, for a gradient ``(G, g)`` in the saturated space. The second derivatives of
``Sigma`` and ``mu`` are nonzero only for loading x loading, loading x factor
(co)variance and loading x factor mean pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

#: Row kinds: loading, factor (co)variance, residual (co)variance, intercept, factor mean.
KINDS = ("L", "P", "T", "N", "A")

#: A parameter table (:func:`~psychometrics.sem.partable.build_table`), or some of its
#: rows as arrays by column (``lhs, op, rhs, free, value`` and, optionally, ``start``).
Table: TypeAlias = "pd.DataFrame | Mapping[str, np.ndarray]"

#: Lambda, Psi, Theta, nu, alpha (:meth:`Structure.matrices`).
Matrices = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def column_of(table: Table, name: str) -> np.ndarray:
    """A column of a :data:`Table` as an array (``Series.to_numpy``: ``np.asarray`` of a
    Series takes twice as long)."""
    col = table[name]
    return col.to_numpy() if isinstance(col, pd.Series) else np.asarray(col)


class Structure:
    """Where each row of the parameter table sits in Lambda, Psi, Theta, nu, alpha."""

    def __init__(self, table: Table, observed: tuple[str, ...], q: int | None = None):
        """``table``: the rows of one group; ``q``: the number of free parameters of
        the whole model (default: those of ``table``)."""
        self.observed = tuple(observed)
        ov = {v: i for i, v in enumerate(self.observed)}
        lhs, op, rhs = (column_of(table, c) for c in ("lhs", "op", "rhs"))
        lv = list(dict.fromkeys(lhs[op == "=~"]))
        self.factors = tuple(lv)
        fi = {f: i for i, f in enumerate(lv)}
        self.p, self.m = len(self.observed), len(lv)
        self.free: np.ndarray = np.asarray(column_of(table, "free"), dtype=int)
        self.fixed: np.ndarray = np.asarray(column_of(table, "value"), dtype=float)
        self.q = q if q is not None else (int(self.free.max()) if len(self.free) else 0)
        places: list[tuple[str, int, int]] = []  # kind, row, column of each table row
        for a, o, b in zip(lhs, op, rhs):
            if o == "=~":
                places.append(("L", ov[b], fi[a]))
            elif o == "~~" and a in fi:
                places.append(("P", fi[a], fi[b]))
            elif o == "~~":
                places.append(("T", ov[a], ov[b]))
            elif o == "~1" and a in fi:
                places.append(("A", fi[a], 0))
            elif o == "~1":
                places.append(("N", ov[a], 0))
            else:
                raise ValueError(f"unsupported parameter {a} {o} {b}")
        kinds = [k for k, _, _ in places]
        rows = [r for _, r, _ in places]
        cols = [c for _, _, c in places]
        self.kind = np.array(kinds, dtype="<U1")
        self.row = np.array(rows, dtype=int)
        self.col = np.array(cols, dtype=int)
        self.meanstructure = bool(np.isin(self.kind, ["A", "N"]).any())
        self.free_rows = np.flatnonzero(self.free > 0)
        self.free_index = self.free[self.free_rows] - 1
        self._one_row_each = len(np.unique(self.free_index)) == len(self.free_index)
        self._passes = [] if self._one_row_each else _passes(self.free_index)
        self._by_kind = {k: np.flatnonzero(self.kind == k) for k in KINDS}
        self._scatter = self._scatter_plan()
        self._free_plan: _RowPlan | None = None  # computed at its first use
        self._second: list[_SecondPlan | None] = []  # computed at its first use

    def _scatter_plan(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Where :meth:`matrices` puts the rows: (matrix, flat position, table rows) for
        Lambda, Psi and Theta (and their transposed halves), nu and alpha, in that order."""
        plan = []
        for target, kind, width in ((0, "L", self.m), (1, "P", self.m), (2, "T", self.p)):
            sel = self._by_kind[kind]
            plan.append((target, self.row[sel] * width + self.col[sel], sel))
            if kind != "L":
                plan.append((target, self.col[sel] * width + self.row[sel], sel))
        plan.append((3, self.row[self._by_kind["N"]], self._by_kind["N"]))
        plan.append((4, self.row[self._by_kind["A"]], self._by_kind["A"]))
        return plan

    def values(self, theta: np.ndarray) -> np.ndarray:
        """The value of every row given the free parameters."""
        v = self.fixed.copy()
        v[self.free_rows] = theta[self.free_index]
        return v

    def matrices(self, theta: np.ndarray) -> Matrices:
        """Lambda, Psi, Theta, nu, alpha."""
        v = self.values(theta)
        out = (np.zeros((self.p, self.m)), np.zeros((self.m, self.m)),
               np.zeros((self.p, self.p)), np.zeros(self.p), np.zeros(self.m))
        for target, flat, sel in self._scatter:  # each matrix is new: reshape is a view
            out[target].reshape(-1)[flat] = v[sel]
        return out

    def implied(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sigma and mu."""
        L, P, T, nu, al = self.matrices(theta)
        return L @ P @ L.T + T, nu + L @ al

    def row_jacobian(self, mats: Matrices, rows: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """d Sigma (r, p, p) and d mu (r, p) with respect to the value of each of ``rows``
        (fixed or free), all rows at once."""
        L, P, _, _, al = mats
        rows = np.asarray(rows, dtype=int)
        plan = self._row_plan(rows)
        dS, dm = plan.dS, plan.dm  # residual (co)variances and intercepts
        if plan is self._free_plan:  # kept for the next step: fill a copy
            dS, dm = dS.copy(), dm.copy()
        s, i, j = plan.loading  # lambda_ij: e_i v' + v e_i', v = (L Psi)[:, j]
        if s.size:
            v = (L @ P)[:, j].T
            dS[s, i, :] += v
            dS[s, :, i] += v
            dm[s, i] = al[j]
        s, i, j = plan.psi  # psi_ij: L_i L_j' (+ its transpose off the diagonal)
        if s.size:
            d = L[:, i].T[:, :, None] * L[:, j].T[:, None, :]
            dS[s] = d + np.where(plan.off, d.transpose(0, 2, 1), 0.0)
        s, i, _ = plan.alpha
        if s.size:
            dm[s] = L[:, i].T
        return dS, dm

    def _row_plan(self, rows: np.ndarray) -> _RowPlan:
        """Which of ``rows`` are loadings, factor (co)variances and factor means, with
        their places, and the Jacobian of the others, which does not depend on theta;
        kept for the free rows (the Jacobian of every step), new for other rows."""
        free = rows is self.free_rows or np.array_equal(rows, self.free_rows)
        if free and self._free_plan is not None:
            return self._free_plan
        kind, i, j = self.kind[rows], self.row[rows], self.col[rows]
        dS = np.zeros((len(rows), self.p, self.p))
        dm = np.zeros((len(rows), self.p))
        s = np.flatnonzero(kind == "T")
        dS[s, i[s], j[s]] = 1.0
        dS[s, j[s], i[s]] = 1.0
        s = np.flatnonzero(kind == "N")
        dm[s, i[s]] = 1.0

        def at(k: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            s = np.flatnonzero(kind == k)
            return s, i[s], j[s]

        psi = at("P")
        plan = _RowPlan(at("L"), psi, at("A"), (psi[1] != psi[2])[:, None, None], dS, dm)
        if free:
            self._free_plan = plan
        return plan

    def rank_two(self, mats: Matrices,
                 rows: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each of ``rows`` as ``d Sigma = s (a b' + b a')`` with ``a``, ``b`` columns
        ``ia``, ``ib`` of ``basis = [I, Lambda, Lambda Psi]`` (p, p + 2m): a loading
        ``e_i (Lambda Psi)_j'``, a factor (co)variance ``Lambda_i Lambda_j'``, a residual
        (co)variance ``e_i e_j'`` (``s = 1/2`` on a diagonal); ``s = 0`` for means.
        Returns basis, ia, ib, s."""
        L, P, _, _, _ = mats
        rows = np.asarray(rows, dtype=int)
        kind, i, j = self.kind[rows], self.row[rows], self.col[rows]
        p, m = self.p, self.m
        basis = np.hstack([np.eye(p), L, L @ P])
        s = np.where(i == j, 0.5, 1.0)
        ia, ib = np.zeros(len(rows), dtype=int), np.zeros(len(rows), dtype=int)
        sel = kind == "L"
        ia[sel], ib[sel], s[sel] = i[sel], p + m + j[sel], 1.0
        sel = kind == "P"
        ia[sel], ib[sel] = p + i[sel], p + j[sel]
        sel = kind == "T"
        ia[sel], ib[sel] = i[sel], j[sel]
        s[np.isin(kind, ["N", "A"])] = 0.0
        return basis, ia, ib, s

    def to_free(self, per_row: np.ndarray) -> np.ndarray:
        """Sum the rows of ``per_row`` (one per free row of the table) into the free
        parameters they belong to (rows sharing a label are one parameter)."""
        out = np.zeros((self.q, *per_row.shape[1:]))
        if self._one_row_each:
            out[self.free_index] = per_row
        else:  # np.add.at's sums in the same order, a pass per repetition of a parameter
            for sel in self._passes:
                out[self.free_index[sel]] += per_row[sel]
        return out

    def jacobian(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Delta: d vec Sigma / d theta (q, p*p) and d mu / d theta (q, p)."""
        dS, dm = self.row_jacobian(self.matrices(theta), self.free_rows)
        return self.to_free(dS.reshape(len(dS), -1)), self.to_free(dm)

    def second_order(self, theta: np.ndarray, G: np.ndarray, g_mu: np.ndarray) -> np.ndarray:
        """``sum_ij G_ij d2 Sigma_ij/dtheta_a dtheta_b + sum_i g_mu_i d2 mu_i/dtheta_a dtheta_b``
        (q, q), for a symmetric G."""
        L, P, _, _, _ = self.matrices(theta)
        plan = self._second_plan()
        R = np.zeros((len(self.free_rows), len(self.free_rows)))
        if plan is not None:
            # lambda_ij x lambda_kl: P_jl (e_i e_k' + e_k e_i')  ->  2 P_jl G_ik
            R[plan.ll] = 2.0 * P[plan.jj] * G[plan.ii]
            if plan.lp is not None:
                # lambda_ij x psi_lm: d/dlambda_ij (L_l L_m' + L_m L_l')
                GL = G @ L
                block = plan.c * (plan.j_is_a * GL[plan.ib] + plan.j_is_b * GL[plan.ia])
                R[plan.lp] = block
                R[plan.pl] = block.T
            if plan.la is not None:
                # lambda_ij x alpha_l: d mu = delta_jl e_i
                block = plan.j_is_mean * g_mu[plan.il][:, None]
                R[plan.la] = block
                R[plan.al] = block.T
        return self.to_free(self.to_free(R).T).T

    def _second_plan(self) -> _SecondPlan | None:
        """Where :meth:`second_order`'s blocks go among the free rows (computed once);
        None without free loadings."""
        if not self._second:
            (sl, il, jl), (sp, a, b), (sa, i_a, _) = self._row_plan(self.free_rows)[:3]
            plan = None
            if sl.size:
                plan = _SecondPlan(
                    np.ix_(sl, sl), np.ix_(jl, jl), np.ix_(il, il), il,
                    np.ix_(sl, sp) if sp.size else None, np.ix_(sp, sl),
                    np.where(a != b, 2.0, 1.0), jl[:, None] == a, jl[:, None] == b,
                    np.ix_(il, b), np.ix_(il, a),
                    np.ix_(sl, sa) if sa.size else None, np.ix_(sa, sl), jl[:, None] == i_a)
            self._second.append(plan)
        return self._second[0]


class _RowPlan(NamedTuple):
    """:meth:`Structure.row_jacobian`'s rows: (positions, row, column) of the loadings,
    factor (co)variances and factor means; which factor covariances are off the
    diagonal; the constant Jacobian (residual (co)variances, intercepts; 0 elsewhere)."""

    loading: tuple[np.ndarray, np.ndarray, np.ndarray]
    psi: tuple[np.ndarray, np.ndarray, np.ndarray]
    alpha: tuple[np.ndarray, np.ndarray, np.ndarray]
    off: np.ndarray
    dS: np.ndarray
    dm: np.ndarray


class _SecondPlan(NamedTuple):
    """:meth:`Structure.second_order`'s blocks: loading x loading (``ll``, from Psi's
    ``jj`` and G's ``ii``), loading x factor (co)variance (``lp``) and loading x factor
    mean (``la``) as index pairs among the free rows, with what does not depend on
    theta."""

    ll: tuple[np.ndarray, ...]
    jj: tuple[np.ndarray, ...]
    ii: tuple[np.ndarray, ...]
    il: np.ndarray
    lp: tuple[np.ndarray, ...] | None
    pl: tuple[np.ndarray, ...]
    c: np.ndarray
    j_is_a: np.ndarray
    j_is_b: np.ndarray
    ib: tuple[np.ndarray, ...]
    ia: tuple[np.ndarray, ...]
    la: tuple[np.ndarray, ...] | None
    al: tuple[np.ndarray, ...]
    j_is_mean: np.ndarray


def _passes(index: np.ndarray) -> list[np.ndarray]:
    """Positions of ``index`` in passes that each hold a value at most once: the first
    occurrence of every value, then the second, ... (each pass in order)."""
    seen: dict[int, int] = {}
    rank = np.zeros(len(index), dtype=int)
    for k, value in enumerate(index.tolist()):
        rank[k] = seen.get(value, 0)
        seen[value] = rank[k] + 1
    return [np.flatnonzero(rank == r) for r in range(int(rank.max(initial=-1)) + 1)]
