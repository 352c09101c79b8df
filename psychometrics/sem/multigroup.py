"""Multi-group ML (lavaan's ``group =``): one model per group, parameters shared by label.

Each group g (n_g cases of N) has its own rows in the parameter table (column
``group``) and its own sample statistics; a label shared across groups is one
parameter (lavaan's ``group.equal``). As lavaan does, the objective is the weighted
sum of the groups' objectives,

    F = sum_g (n_g / N) F_g,      chi2 = N F = sum_g n_g F_g

(complete data: ``F_g`` the ML discrepancy; missing data: the full-information
``F_g - F_g,saturated``), so the gradient and the information are the same weighted
sums of the groups' (blockwise: a group's rows touch only its own moments);
``cov_theta = H^-1 2 / N``. df = sum over groups of the sample statistics minus the
free parameters. The baseline model is the independence model of each group (chi2 and
df summed), RMSEA is lavaan's multi-group one (``sqrt(G)`` times the single-group
formula with the total N) and SRMR the groups' SRMRs weighted by n_g / N
(:func:`~psychometrics.sem.fit_indices.fit_indices_groups`). The estimates table has
std_all per group; its delta-method SE (``std_se``) is not computed (NaN).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from psychometrics.sem.estimation import (
    _LOG_2PI,
    GroupTerms,
    InformationAt,
    MLFit,
    PointAt,
    Terms,
    Value,
    _admissible,
    _complete_objective,
    _covariance,
    _defined,
    _fiml_objective,
    _fisher_scoring,
    _identified,
    _loglik,
    _start,
)
from psychometrics.sem.fit_indices import FitIndices, baseline_chi2, fit_indices_groups
from psychometrics.sem.implied import Structure, Table
from psychometrics.sem.moments import GroupMoments, PatternMoments
from psychometrics.sem.standardized import estimate_columns, with_columns


def group_structures(table: pd.DataFrame, gm: GroupMoments) -> list[tuple[Table, Structure]]:
    """The rows (as arrays by column) and the :class:`Structure` of each group (free
    parameters numbered over the whole model)."""
    q = int(table["free"].max()) if len(table) else 0
    group = table["group"].to_numpy()
    columns = {c: table[c].to_numpy() for c in ("lhs", "op", "rhs", "free", "value", "start")
               if c in table}
    out: list[tuple[Table, Structure]] = []
    for g in range(1, len(gm.groups) + 1):
        rows = np.flatnonzero(group == g)
        if not rows.size:
            raise ValueError(f"the parameter table has no rows for group {g} "
                             f"({gm.labels[g - 1]})")
        sub = {c: values[rows] for c, values in columns.items()}
        out.append((sub, Structure(sub, gm.names, q=q)))
    return out


def fit_groups(table: pd.DataFrame, gm: GroupMoments, *, tol: float, max_iter: int,
               standard_errors: bool) -> MLFit:
    """Fit a multi-group model (see the module notes); called by
    :func:`~psychometrics.sem.fit_ml` with :class:`GroupMoments`."""
    parts = group_structures(table, gm)
    structs = [s for _, s in parts]
    n = gm.n
    w = np.array([m.n / n for m in gm.groups])
    fiml = gm.fiml
    if fiml and not all(s.meanstructure for s in structs):
        raise ValueError("full-information ML needs a mean structure (intercept rows)")
    # the groups are all complete or all FIML (GroupMoments checks): one list is empty
    complete: list[tuple[Value, Terms]] = []
    full: list[tuple[Value, GroupTerms, PointAt, InformationAt, InformationAt]] = []
    for s, m in zip(structs, gm.groups):
        if isinstance(m, PatternMoments):
            full.append(_fiml_objective(s, m))
        else:
            complete.append(_complete_objective(s, m))
    values = [o[0] for o in full] if fiml else [o[0] for o in complete]
    points = [o[2] for o in full]
    q = structs[0].q

    def value(th: np.ndarray) -> float:
        return float(sum(wg * v(th) for wg, v in zip(w, values)))

    def terms(th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # A group's information is singular (it does not touch the other groups'
        # parameters): with FIML, Newton on the summed observed information where that
        # is positive definite, else scoring on the summed expected information.
        parts = [o[1](th, False) for o in full] if fiml else [o[1](th) for o in complete]
        grad, H = np.zeros(q), np.zeros((q, q))
        for wg, (gg, hg) in zip(w, parts):
            grad, H = grad + wg * gg, H + wg * hg
        if fiml:
            try:
                np.linalg.cholesky(H)
            except np.linalg.LinAlgError:
                H = np.asarray(sum(wg * o[3](th) for wg, o in zip(w, full)))
        return grad, H

    theta, f, status, reason, it, H = _fisher_scoring(_start_values(parts, gm, q), value, terms,
                                                      tol, max_iter)
    cov_theta = None
    if status == "ok" and fiml and not standard_errors:
        status, reason = _identified(H)
    elif status == "ok":
        if fiml:
            H = np.asarray(sum(wg * o[4](theta) for wg, o in zip(w, full)))
        status, reason, cov_theta = _covariance(H, n)
    p = structs[0].p
    ms = structs[0].meanstructure
    df = len(gm.groups) * (p * (p + 1) // 2 + (p if ms else 0)) - q
    out = _estimates(table, parts, theta, cov_theta)
    implied = tuple(s.implied(theta) for s in structs)
    fit = None
    if status == "ok":
        bad = [(lab, r) for lab, s in zip(gm.labels, structs)
               for st, r in [_admissible(s.matrices(theta)[2], s.matrices(theta)[1])]
               if st != "ok"]
        if bad:
            status = "heywood"
            reason = "; ".join(f"group {lab}: {r}" for lab, r in bad)
        else:
            fit = _fit_indices(gm, implied, f, df, ms)
    loglik = _group_loglik(gm, points, theta, implied, ms)
    return MLFit(status=status, reason=reason, table=out, n=n, npar=q, df=df, fmin=f / 2,
                 loglik=float(loglik), fit=fit, iterations=it, theta=theta, information=H,
                 implied_cov=implied[0][0], implied_mean=implied[0][1],
                 factors=structs[0].factors, observed=structs[0].observed,
                 group_labels=gm.labels, group_n=tuple(m.n for m in gm.groups),
                 implied_groups=implied)


def _start_values(parts: list[tuple[Table, Structure]], gm: GroupMoments,
                  q: int) -> np.ndarray:
    """Start values: each parameter from the first group that has it."""
    theta0, filled = np.zeros(q), np.zeros(q, dtype=bool)
    for (sub, s), m in zip(parts, gm.groups):
        start = _start(s, sub, m.cov, m.mean)
        here = np.zeros(q, dtype=bool)
        here[s.free_index] = True
        take = here & ~filled
        theta0[take] = start[take]
        filled |= here
    return theta0


def _estimates(table: pd.DataFrame, parts: list[tuple[Table, Structure]],
               theta: np.ndarray, cov_theta: np.ndarray | None) -> pd.DataFrame:
    """The estimates table: each group's rows from its own structure."""
    group = table["group"].to_numpy()
    columns: dict[str, np.ndarray] = {}
    for g, (_, s) in enumerate(parts, start=1):
        rows = np.flatnonzero(group == g)
        for c, column in estimate_columns(s, theta, cov_theta, with_std_se=False).items():
            columns.setdefault(c, np.full(len(table), np.nan))[rows] = column
    return with_columns(table, columns)


def _group_loglik(gm: GroupMoments, points: list[PointAt], theta: np.ndarray,
                  implied: tuple[tuple[np.ndarray, np.ndarray], ...], ms: bool) -> float:
    """The model's log-likelihood summed over the groups."""
    if gm.fiml:
        loglik = 0.0
        for m, pt in zip([m for m in gm.groups if isinstance(m, PatternMoments)], points):
            point = _defined(pt(theta))
            st = m.stacked
            loglik += -m.n / 2 * point.f - 0.5 * _LOG_2PI * float(st.n @ st.mask.sum(axis=1))
        return loglik
    return float(sum(_loglik(m.cov, m.mean, sigma, mu, m.n, ms)
                     for (sigma, mu), m in zip(implied, gm.groups)))


def _fit_indices(gm: GroupMoments, implied: tuple[tuple[np.ndarray, np.ndarray], ...],
                 f: float, df: int, ms: bool) -> FitIndices:
    n = gm.n
    pms = [m for m in gm.groups if isinstance(m, PatternMoments)]
    if gm.fiml:
        chi2 = n * f - sum(m.n * m.f_saturated for m in pms)
        baselines = [m.independence_chi2() for m in pms]
    else:
        chi2 = n * f
        baselines = [baseline_chi2(m.cov, m.n) for m in gm.groups]
    return fit_indices_groups([m.cov for m in gm.groups], [s for s, _ in implied],
                              [m.n for m in gm.groups], df,
                              sample_means=[m.mean for m in gm.groups] if ms else None,
                              implied_means=[mu for _, mu in implied] if ms else None,
                              chi2=chi2, baseline=(sum(b[0] for b in baselines),
                                                   sum(b[1] for b in baselines)))
