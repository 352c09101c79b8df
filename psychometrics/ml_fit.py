"""Maximum-likelihood estimation of a factor model on its sufficient statistics.

The model (lavaan's LISREL "all-y" form): ``x = nu + Lambda eta + e`` with
``E(eta) = alpha``, ``Cov(eta) = Psi``, ``Cov(e) = Theta``, so
``Sigma = Lambda Psi Lambda' + Theta`` and ``mu = nu + Lambda alpha``.

With complete data the sample covariance ``S`` (denominator N) and mean ``m`` are
sufficient: after one pass over the data the cost does not depend on N. The fit
minimizes lavaan's ML discrepancy

    F = log|Sigma| + tr(S Sigma^-1) - log|S| - p + (m - mu)' Sigma^-1 (m - mu)

(the last term only with a mean structure) by Fisher scoring with the analytic
gradient and the expected information, ``H_kl = tr(W Sigma_k W Sigma_l) +
2 mu_k' W mu_l`` (``W = Sigma^-1``; ``Sigma_k``, ``mu_k`` the derivatives with
respect to parameter k), with step halving. ``chi2 = N F``; standard errors from the
expected information with N, as lavaan's defaults (``information = "expected"``,
``likelihood = "normal"``). Equality constraints are shared labels (one parameter).
Residual variances are not bounded: a Heywood case shows as a negative estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from psychometrics.fiml import PatternMoments, fiml_terms, fiml_value
from psychometrics.fit_indices import FitIndices, fit_indices

_LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True, slots=True)
class Moments:
    """Sufficient statistics: covariance (denominator N), mean, N, variable order."""

    cov: np.ndarray
    mean: np.ndarray
    n: int
    names: tuple[str, ...]

    @classmethod
    def from_data(cls, data: pd.DataFrame) -> "Moments":
        """Moments of complete rows (the caller has applied the missing-data rule)."""
        x = data.to_numpy(dtype=float)
        if np.isnan(x).any():
            raise ValueError("Moments.from_data needs complete data; apply listwise deletion first")
        return cls(np.cov(x, rowvar=False, ddof=0).reshape(x.shape[1], x.shape[1]),
                   x.mean(axis=0), x.shape[0], tuple(map(str, data.columns)))


class _Structure:
    """Where each row of the parameter table sits in Lambda, Psi, Theta, nu, alpha."""

    def __init__(self, table: pd.DataFrame, observed: tuple[str, ...]):
        self.observed = observed
        ov = {v: i for i, v in enumerate(observed)}
        lv = list(dict.fromkeys(table.loc[table["op"] == "=~", "lhs"]))
        self.factors = tuple(lv)
        fi = {f: i for i, f in enumerate(lv)}
        self.p, self.m = len(observed), len(lv)
        self.q = int(table["free"].max()) if len(table) else 0
        kinds, rows, cols = [], [], []
        for r in table.itertuples(index=False):
            if r.op == "=~":
                kinds.append("L"); rows.append(ov[r.rhs]); cols.append(fi[r.lhs])
            elif r.op == "~~" and r.lhs in fi:
                kinds.append("P"); rows.append(fi[r.lhs]); cols.append(fi[r.rhs])
            elif r.op == "~~":
                kinds.append("T"); rows.append(ov[r.lhs]); cols.append(ov[r.rhs])
            elif r.op == "~1" and r.lhs in fi:
                kinds.append("A"); rows.append(fi[r.lhs]); cols.append(0)
            elif r.op == "~1":
                kinds.append("N"); rows.append(ov[r.lhs]); cols.append(0)
            else:
                raise ValueError(f"unsupported parameter {r.lhs} {r.op} {r.rhs}")
        self.kind = np.array(kinds)
        self.row = np.array(rows, dtype=int)
        self.col = np.array(cols, dtype=int)
        self.free = table["free"].to_numpy(dtype=int)
        self.fixed = table["value"].to_numpy(dtype=float)
        self.meanstructure = bool(np.isin(self.kind, ["A", "N"]).any())

    def values(self, theta: np.ndarray) -> np.ndarray:
        """The value of every row given the free parameters."""
        v = self.fixed.copy()
        free = self.free > 0
        v[free] = theta[self.free[free] - 1]
        return v

    def matrices(self, theta: np.ndarray):
        v = self.values(theta)
        L = np.zeros((self.p, self.m)); P = np.zeros((self.m, self.m)); T = np.zeros((self.p, self.p))
        nu = np.zeros(self.p); al = np.zeros(self.m)
        for kind, target in (("L", L), ("P", P), ("T", T)):
            sel = self.kind == kind
            target[self.row[sel], self.col[sel]] = v[sel]
            if kind != "L":
                target[self.col[sel], self.row[sel]] = v[sel]
        sel = self.kind == "N"; nu[self.row[sel]] = v[sel]
        sel = self.kind == "A"; al[self.row[sel]] = v[sel]
        return L, P, T, nu, al

    def implied(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        L, P, T, nu, al = self.matrices(theta)
        return L @ P @ L.T + T, nu + L @ al

    def row_derivative(self, k: int, mats) -> tuple[np.ndarray, np.ndarray]:
        """d Sigma and d mu with respect to the value of row k (fixed or free)."""
        L, P, T, nu, al = mats
        i, j, kind = self.row[k], self.col[k], self.kind[k]
        dS = np.zeros((self.p, self.p))
        dm = np.zeros(self.p)
        if kind == "L":          # lambda_ij: item i, factor j
            v = L @ P[:, j]
            dS[i, :] += v
            dS[:, i] += v
            dm[i] = al[j]
        elif kind in ("P", "T"):
            a = L[:, i] if kind == "P" else np.eye(self.p)[i]
            b = L[:, j] if kind == "P" else np.eye(self.p)[j]
            d = np.outer(a, b)
            dS += d + d.T if i != j else d
        elif kind == "N":
            dm[i] = 1.0
        elif kind == "A":
            dm += L[:, i]
        return dS, dm

    def jacobian(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """d Sigma / d theta (q, p, p) and d mu / d theta (q, p)."""
        mats = self.matrices(theta)
        dS = np.zeros((self.q, self.p, self.p))
        dm = np.zeros((self.q, self.p))
        for k in np.flatnonzero(self.free > 0):
            a, b = self.row_derivative(k, mats)
            dS[self.free[k] - 1] += a
            dm[self.free[k] - 1] += b
        return dS, dm


@dataclass(frozen=True, slots=True)
class MLFit:
    """An ML fit: the parameter table with estimates, its fit, and its state.

    ``status`` is ``"ok"``, ``"not_converged"``, ``"not_identified"`` or
    ``"heywood"`` (a negative variance or a non-positive-definite latent
    covariance); ``reason`` says what happened. ``fit`` is None unless the model
    converged.
    """

    status: str
    reason: str
    table: pd.DataFrame = field(repr=False)
    n: int
    npar: int
    df: int
    fmin: float
    loglik: float
    fit: FitIndices | None
    iterations: int
    theta: np.ndarray = field(repr=False)
    information: np.ndarray = field(repr=False)
    implied_cov: np.ndarray = field(repr=False)
    implied_mean: np.ndarray = field(repr=False)
    factors: tuple[str, ...] = ()
    observed: tuple[str, ...] = ()

    @property
    def converged(self) -> bool:
        return self.status in ("ok", "heywood")

    @property
    def aic(self) -> float:
        return -2 * self.loglik + 2 * self.npar

    @property
    def bic(self) -> float:
        return -2 * self.loglik + self.npar * math.log(self.n)


def _discrepancy(S, m, Sigma, mu, meanstructure) -> float:
    sign, logdet = np.linalg.slogdet(Sigma)
    if sign <= 0:
        return math.inf
    _, logdet_s = np.linalg.slogdet(S)
    W = np.linalg.inv(Sigma)
    f = logdet + np.sum(W * S) - logdet_s - S.shape[0]
    if meanstructure:
        d = m - mu
        f += d @ W @ d
    return float(f)


def _start(struct: _Structure, table: pd.DataFrame, mom: Moments) -> np.ndarray:
    """Start values: loadings sqrt(var/2), residuals var/2, factor (co)variances 1/0,
    intercepts the sample means, latent means 0; explicit ``start`` wins."""
    theta = np.zeros(struct.q)
    var = np.diag(mom.cov)
    for k in range(len(struct.kind)):
        f = struct.free[k]
        if f == 0:
            continue
        kind, i, j = struct.kind[k], struct.row[k], struct.col[k]
        if kind == "L":
            v = math.sqrt(max(var[i], 1e-8) / 2)
        elif kind == "T":
            v = var[i] / 2 if i == j else 0.0
        elif kind == "P":
            v = 1.0 if i == j else 0.0
        elif kind == "N":
            v = mom.mean[i]
        else:
            v = 0.0
        start = table["start"].iloc[k] if "start" in table else np.nan
        theta[f - 1] = start if np.isfinite(start) else v
    return theta


def fit_ml(table: pd.DataFrame, moments: Moments | PatternMoments, *, tol: float = 1e-10,
           max_iter: int = 500, standard_errors: bool = True) -> MLFit:
    """Fit the model in ``table`` to ``moments`` by ML (Fisher scoring); with
    :class:`~psychometrics.fiml.PatternMoments`, by full-information ML.

    ``standard_errors=False`` skips the observed information of a full-information
    fit (its most expensive part) when only the fit is needed; SEs are then NaN.
    """
    if isinstance(moments, PatternMoments):
        return _fit_fiml(table, moments, tol=tol, max_iter=max_iter,
                         standard_errors=standard_errors)
    struct = _Structure(table, moments.names)
    S, m, n, p = moments.cov, moments.mean, moments.n, struct.p
    ms = struct.meanstructure
    df = p * (p + 1) // 2 + (p if ms else 0) - struct.q

    def value(th: np.ndarray) -> float:
        return _discrepancy(S, m, *struct.implied(th), ms)

    def terms(th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Sigma, mu = struct.implied(th)
        W = np.linalg.inv(Sigma)
        d = m - mu if ms else np.zeros(p)
        G = W - W @ (S + np.outer(d, d)) @ W
        dS, dm = struct.jacobian(th)
        flat = dS.reshape(len(dS), -1)
        grad = flat @ G.ravel() - (2 * dm @ (W @ d) if ms else 0.0)
        H = (W @ dS @ W).reshape(len(dS), -1) @ flat.T + (2 * dm @ W @ dm.T if ms else 0.0)
        return grad, H

    theta, f, status, reason, it, H = _fisher_scoring(_start(struct, table, moments), value,
                                                      terms, tol, max_iter)
    cov_theta = None
    if status == "ok":
        status, reason = _identified(H)
    if status == "ok":
        cov_theta = np.linalg.inv(H) * 2.0 / n
    out = _estimates(table, struct, theta, cov_theta)
    Sigma, mu = struct.implied(theta)
    _, P, T, _, _ = struct.matrices(theta)
    fit = None
    if status == "ok":
        status, reason = _admissible(T, P)
        fit = fit_indices(S, Sigma, n, df, sample_mean=m if ms else None,
                          implied_mean=mu if ms else None)
    return MLFit(status=status, reason=reason, table=out, n=n, npar=struct.q, df=df, fmin=f / 2,
                 loglik=_loglik(S, m, Sigma, mu, n, ms), fit=fit, iterations=it, theta=theta,
                 information=H, implied_cov=Sigma, implied_mean=mu, factors=struct.factors,
                 observed=struct.observed)


def _fisher_scoring(theta: np.ndarray, value, terms, tol: float, max_iter: int):
    """Minimize ``value`` by Fisher scoring with step halving: ``terms(theta)`` gives
    the gradient and the expected information. Returns theta, F, status, reason,
    iterations and the last information matrix."""
    f = value(theta)
    status, reason, it = "not_converged", "", 0
    H = np.full((len(theta), len(theta)), np.nan)
    for it in range(1, max_iter + 1):
        if not math.isfinite(f):
            reason = "the model-implied covariance matrix is not positive definite at the start"
            break
        grad, H = terms(theta)
        if np.max(np.abs(grad)) < tol:
            status = "ok"
            break
        try:
            step = np.linalg.solve(H, grad)
        except np.linalg.LinAlgError:
            status, reason = "not_identified", ("the information matrix is singular: the model "
                                                "is not identified")
            break
        alpha, improved = 1.0, False
        for _ in range(30):
            cand = theta - alpha * step
            fc = value(cand)
            if fc <= f + 1e-14:
                improved = True
                break
            alpha /= 2
        if not improved:
            if np.max(np.abs(grad)) < 1e-6:
                status = "ok"
            else:
                reason = f"no further improvement (largest gradient {np.max(np.abs(grad)):.2g})"
            break
        theta, f = cand, fc
    else:
        reason = f"did not converge in {max_iter} iterations"
    return theta, f, status, reason, it, H


def _identified(H: np.ndarray) -> tuple[str, str]:
    eig = np.linalg.eigvalsh(H)
    if eig.min() <= 1e-10 * max(eig.max(), 1.0):
        return "not_identified", "the information matrix is singular: the model is not identified"
    return "ok", ""


def _admissible(T: np.ndarray, P: np.ndarray) -> tuple[str, str]:
    heywood = _heywood(T, P)
    return ("heywood", heywood) if heywood else ("ok", "")


def _estimates(table: pd.DataFrame, struct: _Structure, theta: np.ndarray,
               cov_theta: np.ndarray | None) -> pd.DataFrame:
    """The parameter table with est, se, z, pvalue, std_all and std_se."""
    out = table.copy()
    out["est"] = struct.values(theta)
    q = struct.q
    se = np.sqrt(np.clip(np.diag(cov_theta), 0, None)) if cov_theta is not None else np.full(q, np.nan)
    free = out["free"].to_numpy() > 0
    out["se"] = np.where(free, se[np.clip(out["free"].to_numpy() - 1, 0, None)], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["z"] = np.where(free, out["est"] / out["se"], np.nan)
    out["pvalue"] = np.where(free, 2 * stats.norm.sf(np.abs(out["z"])), np.nan)
    _add_standardized(out, struct, theta, cov_theta)
    return out


def _loglik(S, m, Sigma, mu, n, ms) -> float:
    """lavaan's logl: the normal log-likelihood (means saturated without a mean structure)."""
    p = S.shape[0]
    _, logdet = np.linalg.slogdet(Sigma)
    W = np.linalg.inv(Sigma)
    q = np.sum(W * S)
    if ms:
        d = m - mu
        q += d @ W @ d
    return float(-n / 2 * (p * _LOG_2PI + logdet + q))


def _heywood(T: np.ndarray, P: np.ndarray) -> str:
    problems = []
    neg = np.flatnonzero(np.diag(T) < 0)
    if len(neg):
        problems.append(f"{len(neg)} negative residual variance(s)")
    if P.size and (np.any(np.diag(P) < 0) or np.linalg.eigvalsh(P).min() < -1e-10):
        problems.append("the latent covariance matrix is not positive definite")
    return ("inadmissible solution: " + "; ".join(problems)) if problems else ""


def _standardized(struct: _Structure, theta: np.ndarray) -> np.ndarray:
    """lavaan's std.all of every row: loadings and factor (co)variances standardized by
    the model-implied SDs of items and factors, residual variances by the item
    variances, residual covariances as residual correlations, means by the SDs."""
    L, P, T, nu, al = struct.matrices(theta)
    values = struct.values(theta)
    Sigma = L @ P @ L.T + T
    with np.errstate(invalid="ignore", divide="ignore"):
        sx = np.sqrt(np.diag(Sigma))
        sf = np.sqrt(np.diag(P))
        std = np.full(len(values), np.nan)
        for k, (kind, i, j) in enumerate(zip(struct.kind, struct.row, struct.col)):
            v = values[k]
            if kind == "L":
                std[k] = v * sf[j] / sx[i]
            elif kind == "P":
                std[k] = v / (sf[i] * sf[j])
            elif kind == "T" and i == j:
                std[k] = v / sx[i] ** 2
            elif kind == "T":  # residual covariance -> residual correlation (lavaan)
                std[k] = v / math.sqrt(T[i, i] * T[j, j]) if T[i, i] > 0 and T[j, j] > 0 else np.nan
            elif kind == "N":
                std[k] = v / sx[i]
            elif kind == "A":
                std[k] = v / sf[i]
    return std


def _add_standardized(out: pd.DataFrame, struct: _Structure, theta: np.ndarray,
                      cov_theta: np.ndarray | None) -> None:
    """Columns std_all and std_se (delta method, numeric Jacobian, as lavaan's
    standardizedSolution)."""
    std = _standardized(struct, theta)
    out["std_all"] = std
    se = np.full(len(std), np.nan)
    if cov_theta is not None:
        J = np.zeros((len(std), len(theta)))
        for k in range(len(theta)):
            h = 1e-6 * max(1.0, abs(theta[k]))
            up, down = theta.copy(), theta.copy()
            up[k] += h
            down[k] -= h
            J[:, k] = (_standardized(struct, up) - _standardized(struct, down)) / (2 * h)
        se = np.sqrt(np.clip(np.einsum("ik,kl,il->i", J, cov_theta, J), 0, None))
    out["std_se"] = se


def score_tests(fit: MLFit, table: pd.DataFrame, moments: Moments, rows: list[int]) -> pd.DataFrame:
    """Score (Lagrange multiplier) tests of adding a free increment to each row.

    ``table`` is the fitted table, optionally extended with extra fixed rows (e.g.
    cross-loadings fixed at 0); ``rows`` are the positions to test. For a fixed row
    this is the modification index; for a row that shares a label (an equality
    constraint) it is the test of releasing that row from the constraint. With the
    gradient ``g_k`` of F and the expected Hessian ``H``:
    ``LM = (N/2) g_k^2 / (H_kk - H_kf H_ff^-1 H_fk)`` (1 df) and the expected parameter
    change ``EPC = -g_k / (H_kk - H_kf H_ff^-1 H_fk)``.
    """
    struct = _Structure(table, moments.names)
    theta = fit.theta
    mats = struct.matrices(theta)
    Sigma, mu = struct.implied(theta)
    if isinstance(moments, PatternMoments):
        dS, dm = struct.jacobian(theta)
        extra = [struct.row_derivative(k, mats) for k in rows]
        _, _, Hff, ex = fiml_terms(moments.patterns, Sigma, mu, moments.n, dS, dm, extra)
        Hff_inv = np.linalg.inv(Hff)
        g = np.array([e[0] for e in ex])
        schur = np.array([hkk - hkf @ Hff_inv @ hkf for _, hkk, hkf in ex])
        return _score_frame(table, rows, g, schur, moments.n)
    W = np.linalg.inv(Sigma)
    ms = struct.meanstructure
    d = moments.mean - mu if ms else np.zeros(struct.p)
    G = W - W @ (moments.cov + np.outer(d, d)) @ W
    dS, dm = struct.jacobian(theta)
    Hff_inv = np.linalg.inv(fit.information)
    WdSW = (W @ dS @ W).reshape(len(dS), -1)
    Wd = W @ d
    g_all, schur_all = [], []
    for start in range(0, len(rows), 500):  # candidates in chunks: vectorized, bounded memory
        chunk = rows[start:start + 500]
        pairs = [struct.row_derivative(k, mats) for k in chunk]
        A = np.stack([a for a, _ in pairs])
        B = np.stack([b for _, b in pairs])
        Af = A.reshape(len(A), -1)
        g = Af @ G.ravel() - (2 * B @ Wd if ms else 0.0)
        hkk = np.sum((W @ A @ W) * A, axis=(1, 2)) + (2 * np.einsum("ci,ij,cj->c", B, W, B) if ms else 0.0)
        hkf = Af @ WdSW.T + (2 * B @ W @ dm.T if ms else 0.0)
        g_all.append(g)
        schur_all.append(hkk - np.einsum("cf,fg,cg->c", hkf, Hff_inv, hkf))
    return _score_frame(table, rows, np.concatenate(g_all), np.concatenate(schur_all), moments.n)


def _score_frame(table: pd.DataFrame, rows: list[int], g: np.ndarray, schur: np.ndarray,
                 n: int) -> pd.DataFrame:
    ok = schur > 1e-12
    safe = np.where(ok, schur, 1.0)
    mi = np.where(ok, n / 2 * g * g / safe, np.nan)
    out = table.iloc[rows][["lhs", "op", "rhs", "label"]].reset_index(drop=True)
    out["mi"] = mi
    out["epc"] = np.where(ok, -g / safe, np.nan)
    out["pvalue"] = np.where(ok, stats.chi2.sf(np.where(ok, mi, 0.0), 1), np.nan)
    return out


def _fit_fiml(table: pd.DataFrame, pm: PatternMoments, *, tol: float, max_iter: int,
              standard_errors: bool) -> MLFit:
    """Full-information ML: the same Fisher scoring on the pattern-wise likelihood;
    standard errors from the observed information (the numerical Jacobian of the
    analytic gradient), as lavaan's default for ``missing = "ml"``."""
    struct = _Structure(table, pm.names)
    if not struct.meanstructure:
        raise ValueError("full-information ML needs a mean structure (intercept rows)")
    n, p, q = pm.n, struct.p, struct.q
    df = p * (p + 1) // 2 + p - q

    def value(th: np.ndarray) -> float:
        sigma, mu = struct.implied(th)
        return fiml_value(pm.patterns, sigma, mu, n)

    def terms(th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sigma, mu = struct.implied(th)
        dS, dm = struct.jacobian(th)
        _, grad, H, _ = fiml_terms(pm.patterns, sigma, mu, n, dS, dm)
        return grad, H

    theta, f, status, reason, it, H = _fisher_scoring(_start(struct, table, pm), value, terms,
                                                      tol, max_iter)
    cov_theta = None
    if status == "ok" and not standard_errors:
        status, reason = _identified(H)
    elif status == "ok":
        h_obs = np.zeros((q, q))
        for k in range(q):
            step_k = 1e-5 * max(1.0, abs(theta[k]))
            up, down = theta.copy(), theta.copy()
            up[k] += step_k
            down[k] -= step_k
            h_obs[:, k] = (terms(up)[0] - terms(down)[0]) / (2 * step_k)
        h_obs = (h_obs + h_obs.T) / 2
        status, reason = _identified(h_obs)
        if status == "ok":
            cov_theta = np.linalg.inv(h_obs) * 2.0 / n
    out = _estimates(table, struct, theta, cov_theta)
    sigma, mu = struct.implied(theta)
    _, P, T, _, _ = struct.matrices(theta)
    loglik = -n / 2 * f - 0.5 * _LOG_2PI * sum(pat.n * len(pat.observed) for pat in pm.patterns)
    fit = None
    if status == "ok":
        status, reason = _admissible(T, P)
        fit = fit_indices(pm.cov, sigma, n, df, sample_mean=pm.mean, implied_mean=mu,
                          chi2=n * (f - pm.f_saturated), baseline=pm.independence_chi2())
    return MLFit(status=status, reason=reason, table=out, n=n, npar=q, df=df, fmin=f / 2,
                 loglik=loglik, fit=fit, iterations=it, theta=theta, information=H,
                 implied_cov=sigma, implied_mean=mu, factors=struct.factors,
                 observed=struct.observed)
