"""Factor models of ordered items by diagonally weighted least squares (lavaan's WLSMV).

The model (lavaan's LISREL form for latent responses ``y*``): ``y* = nu + Lambda eta + e``,
``Sigma* = Lambda Psi Lambda' + Theta``, ``mu* = nu + Lambda alpha``; the observed item
falls in category k when ``tau_k-1 < y* <= tau_k``. With scale factors ``D``, the model
implies the polychoric correlations ``D Sigma* D`` (unit diagonal) and the standardized
thresholds ``D_i (tau_ik - mu*_i)``. Two parameterizations, as lavaan's:

- ``"delta"`` (default): the scale factors are parameters (rows ``y ~*~ y``, fixed at 1
  unless freed) and the residual variances follow, ``theta_ii = 1/D_i^2 - (Lambda Psi
  Lambda')_ii`` (their rows in the table are ignored);
- ``"theta"``: the residual variances are parameters and ``D_i = 1/sqrt(Sigma*_ii)``.

Table rows beyond :mod:`~psychometrics.sem.partable`'s: ``item | tk`` (threshold k) and
``item ~*~ item`` (scale factor). Rows that share a ``free`` number are one parameter.

Estimation: minimize ``F = sum w (s - sigma(theta))^2`` over the thresholds and
polychorics ``s`` with ``w = 1 / diag(NACOV)`` (:mod:`~psychometrics.sem.ordinal`) by
Gauss-Newton; the Jacobian ``J`` of ``sigma`` by complex-step differentiation (exact to
rounding). ``chi2 = (N - 1) F`` (lavaan 0.6.14's statistic for ordered items, checked
against it). With ``H = J'WJ``:

- robust standard errors ``cov = H^-1 J'W Gamma W J H^-1 / (N - 1)`` (``Gamma`` = NACOV;
  N - 1 as lavaan 0.6.14);
- the mean-and-variance adjusted test (lavaan's ``"scaled.shifted"``): with
  ``U = W - W J H^-1 J' W`` and ``UG = U Gamma``, ``a = sqrt(df / tr(UG^2))``,
  ``shift = df - a tr(UG)``, ``chi2_scaled = a chi2 + shift`` (``= chi2 / scaling_factor
  + shift`` with ``scaling_factor = 1/a``), on df degrees of freedom;
- unscaled CFI/TLI from chi2 and the baseline's, ``RMSEA = sqrt(max(chi2 - df, 0) /
  (df (N - 1)))`` (N - 1 in every RMSEA, as lavaan 0.6.14 for ordered items), and the
  p of the unscaled chi2 (lavaan's "standard" column);
- the baseline (independence) model has free thresholds and zero correlations; CFI and
  TLI "scaled" use both models' scaled statistics, ``RMSEA_scaled = sqrt(max(chi2_scaled
  - df, 0) / (df (N - 1)))``, as lavaan 0.6.14;
- SRMR: the correlation residuals below the diagonal, squared, summed and divided by
  ``p (p + 1) / 2`` (the zero diagonal residuals counted, thresholds not), as lavaan.

The table's residual-variance rows (delta) and scale-factor rows (theta) carry the
values that the other parameters imply (lavaan's parameterEstimates shows the fixed 1
for the former).

Robust CFI/TLI/RMSEA (Savalei 2021; lavaan 0.6.14's ``lav_fit_catml_dwls``): the
normal-theory ML discrepancy of the polychoric matrix ``R`` at the DWLS estimates,
``XX3 = N [log|Sigma| + tr(R Sigma^-1) - log|R| - p]``, with the correction
``c3 = tr(M' V M Gamma_c) / df``, ``M = I - J_c H^-1 J_c' W_c`` (``_c``: the correlation
rows), ``V`` the expected normal-theory information of the correlations at Sigma
(``V[(ij),(kl)] = s^ik s^jl + s^il s^jk``); the baseline ``XX3_0 = -N log|R|`` on
``p (p - 1) / 2`` df with ``c3_0 = tr(Gamma_c) / df_0``. Then ``RMSEA_robust =
sqrt(max(XX3 / ((N - 1) df) - c3 / (N - 1), 0))``, ``CFI_robust = 1 - max(XX3 - c3 df, 0) /
max(XX3 - c3 df, XX3_0 - c3_0 df_0, 0)`` and TLI likewise, as lavaan. lavaan 0.6.14
reports them only for models without equality constraints and a positive-definite
``R``; elsewhere they are missing, with the reason.

References: Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using
weighted least squares and quadratic estimating equations in latent variable modeling
with categorical and continuous outcomes. Asparouhov, T., & Muthen, B. (2010). Simple
second order chi-square correction.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np
import pandas as pd
from scipy import special

from psychometrics.sem.fit_indices import cfi_tli
from psychometrics.sem.ordinal import OrdinalMoments, lower_pairs

PARAMETERIZATIONS = ("delta", "theta")
ROBUST_MISSING_REASON = "no fit numbers: the model did not converge or is not admissible"
_EQUALITY_REASON = ("lavaan 0.6.14 reports the robust CFI/TLI/RMSEA of ordered items only for "
                    "models without equality constraints")


class _FitNumbers(TypedDict):
    """The fit numbers of a :class:`DWLSFit` (None when they cannot be computed)."""

    chi2: float | None
    pvalue: float | None
    cfi: float | None
    tli: float | None
    rmsea: float | None
    baseline_df: int | None
    chi2_scaled: float | None
    pvalue_scaled: float | None
    scaling_factor: float | None
    shift_parameter: float | None
    baseline_chi2: float | None
    baseline_chi2_scaled: float | None
    cfi_scaled: float | None
    tli_scaled: float | None
    rmsea_scaled: float | None
    srmr: float | None


class _RobustNumbers(TypedDict):
    """The robust CFI/TLI/RMSEA of a :class:`DWLSFit` and why they are (not) there."""

    cfi_robust: float | None
    tli_robust: float | None
    rmsea_robust: float | None
    robust_reason: str


def _no_fit() -> _FitNumbers:
    return {"chi2": None, "pvalue": None, "cfi": None, "tli": None, "rmsea": None,
            "baseline_df": None, "chi2_scaled": None, "pvalue_scaled": None,
            "scaling_factor": None, "shift_parameter": None, "baseline_chi2": None,
            "baseline_chi2_scaled": None, "cfi_scaled": None, "tli_scaled": None,
            "rmsea_scaled": None, "srmr": None}


def _no_robust(reason: str) -> _RobustNumbers:
    return {"cfi_robust": None, "tli_robust": None, "rmsea_robust": None, "robust_reason": reason}


class OrdinalModel:
    """Where each row of a table sits in Lambda, Psi, Theta, nu, alpha, tau, D."""

    def __init__(self, table: pd.DataFrame, om: OrdinalMoments, parameterization: str = "delta"):
        if parameterization not in PARAMETERIZATIONS:
            raise ValueError("The 'parameterization' parameter must be one of "
                             f"{PARAMETERIZATIONS}. Got {parameterization!r} instead.")
        self.parameterization = parameterization
        self.observed = om.names
        ov = {v: i for i, v in enumerate(self.observed)}
        nth = om.n_thresholds
        self.th_start = np.concatenate([[0], np.cumsum(nth)]).astype(int)
        self.th_item = np.repeat(np.arange(len(nth)), nth)
        lhs, op, rhs = (table[c].to_numpy() for c in ("lhs", "op", "rhs"))
        self.factors = tuple(dict.fromkeys(lhs[op == "=~"]))
        fi = {f: i for i, f in enumerate(self.factors)}
        self.p, self.m, self.nth = len(self.observed), len(self.factors), int(self.th_start[-1])
        kinds, rows, cols = [], [], []
        for a, o, b in zip(lhs, op, rhs):
            if o == "=~":
                k, r, c = "L", ov[b], fi[a]
            elif o == "~~" and a in fi:
                k, r, c = "P", fi[a], fi[b]
            elif o == "~~":
                k, r, c = "T", ov[a], ov[b]
            elif o == "~1" and a in fi:
                k, r, c = "A", fi[a], 0
            elif o == "~1":
                k, r, c = "N", ov[a], 0
            elif o == "|":
                kk = int(str(b).lstrip("t")) - 1
                if not 0 <= kk < nth[ov[a]]:
                    raise ValueError(f"threshold {a} | {b}: item {a} has {nth[ov[a]]} thresholds")
                k, r, c = "H", self.th_start[ov[a]] + kk, 0
            elif o == "~*~":
                k, r, c = "D", ov[a], 0
            else:
                raise ValueError(f"unsupported parameter {a} {o} {b}")
            kinds.append(k)
            rows.append(r)
            cols.append(c)
        self.kind = np.array(kinds, dtype="<U1")
        self.row = np.array(rows, dtype=int)
        self.col = np.array(cols, dtype=int)
        self.free: np.ndarray = table["free"].to_numpy(dtype=int)
        self.fixed: np.ndarray = table["value"].to_numpy(dtype=float)
        ignored = (self.kind == "T") & (self.row == self.col) if parameterization == "delta" \
            else self.kind == "D"
        if np.any(ignored & (self.free > 0)):
            what = "residual variances" if parameterization == "delta" else "scale factors"
            raise ValueError(f"free {what} are not parameters under the {parameterization} "
                             "parameterization")
        self.q = int(self.free.max()) if len(self.free) else 0
        self.free_rows = np.flatnonzero(self.free > 0)
        self.free_index = self.free[self.free_rows] - 1
        self._sel = {k: np.flatnonzero((self.kind == k) & ~ignored)
                     for k in ("L", "P", "T", "N", "A", "H", "D")}
        self.rows, self.cols = lower_pairs(self.p)

    def values(self, theta: np.ndarray) -> np.ndarray:
        v = self.fixed.astype(theta.dtype)
        v[self.free_rows] = theta[self.free_index]
        return v

    def matrices(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        v = self.values(theta)
        dt = theta.dtype
        L = np.zeros((self.p, self.m), dt)
        P = np.zeros((self.m, self.m), dt)
        T = np.zeros((self.p, self.p), dt)
        nu = np.zeros(self.p, dt)
        al = np.zeros(self.m, dt)
        tau = np.zeros(self.nth, dt)
        d = np.ones(self.p, dt)
        s = self._sel
        L[self.row[s["L"]], self.col[s["L"]]] = v[s["L"]]
        for k, M in (("P", P), ("T", T)):
            M[self.row[s[k]], self.col[s[k]]] = v[s[k]]
            M[self.col[s[k]], self.row[s[k]]] = v[s[k]]
        nu[self.row[s["N"]]] = v[s["N"]]
        al[self.row[s["A"]]] = v[s["A"]]
        tau[self.row[s["H"]]] = v[s["H"]]
        d[self.row[s["D"]]] = v[s["D"]]
        common = L @ P @ L.T
        if self.parameterization == "delta":
            T[np.arange(self.p), np.arange(self.p)] = 1.0 / d ** 2 - np.diag(common)
        star = common + T
        if self.parameterization == "theta":
            d = 1.0 / np.sqrt(np.diag(star))
        return {"L": L, "P": P, "T": T, "nu": nu, "alpha": al, "tau": tau, "D": d,
                "Sigma_star": star, "mu_star": nu + L @ al}

    def implied(self, theta: np.ndarray) -> np.ndarray:
        """Model-implied (thresholds, correlations) in the order of ``wls_obs``."""
        mats = self.matrices(theta)
        d, star = mats["D"], mats["Sigma_star"]
        th = d[self.th_item] * (mats["tau"] - mats["mu_star"][self.th_item])
        cor = (d[:, None] * star * d[None, :])[self.rows, self.cols]
        return np.concatenate([th, cor])

    def jacobian(self, theta: np.ndarray,
                 fun: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
        """d fun / d theta by complex steps (exact to rounding), (len(fun), q)."""
        fun = self.implied if fun is None else fun
        h = 1e-30
        z = theta.astype(complex)
        cols = []
        for a in range(self.q):
            z[a] += 1j * h
            cols.append(fun(z).imag / h)
            z[a] = theta[a]
        return np.array(cols).T

    def standardized_loadings(self, theta: np.ndarray) -> np.ndarray:
        """std.all of every loading row: ``lambda sd(eta) / sd(y*)``."""
        mats = self.matrices(theta)
        sel = self._sel["L"]
        v = self.values(theta)[sel]
        sf = np.sqrt(np.diag(mats["P"]))[self.col[sel]]
        sy = np.sqrt(np.diag(mats["Sigma_star"]))[self.row[sel]]
        return np.asarray(v * sf / sy)

    def start(self, om: OrdinalMoments, table: pd.DataFrame) -> np.ndarray:
        """Loadings .7, factor variances and scale factors 1, residual variances (theta)
        1, thresholds the sample thresholds, everything else 0; ``start`` wins."""
        k = self.kind
        v = np.zeros(len(k))
        v[k == "L"] = 0.7
        v[(k == "P") & (self.row == self.col)] = 1.0
        v[(k == "T") & (self.row == self.col)] = 1.0
        v[k == "D"] = 1.0
        v[k == "H"] = om.th_vector[self.row[k == "H"]]
        if "start" in table:
            given = table["start"].to_numpy(dtype=float)
            v = np.where(np.isfinite(given), given, v)
        theta = np.zeros(self.q)
        theta[self.free_index] = v[self.free_rows]
        return theta


@dataclass(frozen=True, slots=True)
class DWLSFit:
    """A WLSMV fit (DWLS estimates, robust SEs, scaled-shifted test) of ordered items.

    ``status`` is ``"ok"``, ``"not_converged"``, ``"not_identified"`` or ``"heywood"``
    (under delta: an implied residual variance of y* below 0; a non-positive-definite
    latent covariance); fit numbers are None unless ``"ok"``. ``robust_reason`` says
    why the robust indices are missing.
    """

    status: str
    reason: str
    table: pd.DataFrame = field(repr=False)
    n: int
    npar: int
    df: int
    parameterization: str
    chi2: float | None
    pvalue: float | None
    cfi: float | None
    tli: float | None
    rmsea: float | None
    baseline_df: int | None
    chi2_scaled: float | None
    pvalue_scaled: float | None
    scaling_factor: float | None
    shift_parameter: float | None
    baseline_chi2: float | None
    baseline_chi2_scaled: float | None
    cfi_scaled: float | None
    tli_scaled: float | None
    rmsea_scaled: float | None
    srmr: float | None
    iterations: int
    thresholds: dict[str, list[float]] = field(repr=False)
    theta: np.ndarray = field(repr=False)
    jacobian: np.ndarray = field(repr=False)
    cov_theta: np.ndarray | None = field(repr=False)
    cfi_robust: float | None = None
    tli_robust: float | None = None
    rmsea_robust: float | None = None
    robust_reason: str = ROBUST_MISSING_REASON
    estimator: str = "WLSMV"

    @property
    def converged(self) -> bool:
        return self.status in ("ok", "heywood")

    def fit_dict(self) -> dict[str, Any]:
        keys = ("estimator", "parameterization", "n", "npar", "df", "chi2", "pvalue", "cfi",
                "tli", "rmsea", "baseline_df", "chi2_scaled",
                "pvalue_scaled", "scaling_factor", "shift_parameter", "baseline_chi2",
                "baseline_chi2_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled",
                "cfi_robust", "tli_robust", "rmsea_robust", "srmr")
        out = {k: getattr(self, k) for k in keys}
        out["robust_reason"] = self.robust_reason
        return out


def _scaled_shifted(UG: np.ndarray, stat: float, df: int) -> tuple[float, float, float]:
    """(chi2_scaled, scaling_factor, shift) from ``U Gamma``, lavaan's scaled.shifted."""
    tr1 = float(np.trace(UG))
    tr2 = float(np.sum(UG * UG.T))
    a = math.sqrt(df / tr2)
    shift = df - a * tr1
    return a * stat + shift, 1.0 / a, shift


def _u_gamma(J: np.ndarray, w: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    WJ = w[:, None] * J
    H = J.T @ WJ
    U = np.diag(w) - WJ @ np.linalg.solve(H, WJ.T)
    return np.asarray(U @ gamma)


def baseline(om: OrdinalMoments) -> tuple[float, float, int]:
    """chi2, scaled chi2 and df of the independence model (free thresholds, no
    correlations), as lavaan's baseline for ordered items."""
    w = om.wls_vd
    nth = om.th_vector.size
    r = om.cor_vector
    stat = (om.n - 1) * float(np.sum(w[nth:] * r ** 2))
    df = r.size
    J = np.zeros((w.size, nth))
    J[np.arange(nth), np.arange(nth)] = 1.0
    scaled, _, _ = _scaled_shifted(_u_gamma(J, w, om.nacov), stat, df)
    return stat, scaled, df


_SINGULAR = "J'WJ is singular: the model is not identified"


def fit_dwls(table: pd.DataFrame, om: OrdinalMoments, *, parameterization: str = "delta",
             tol: float = 1e-10, max_iter: int = 300) -> DWLSFit:
    """Fit the model in ``table`` to the ordinal statistics ``om`` by DWLS (WLSMV)."""
    model = OrdinalModel(table, om, parameterization)
    n = om.n
    df = om.wls_obs.size - model.q
    theta, f, status, reason, it, J = _minimize(model, om, model.start(om, table), tol, max_iter)
    cov = None
    if status == "ok":
        status, reason, J, cov = _sandwich(model, om, theta)
    out = _estimates_table(table, model, theta, cov)
    thresholds = {name: out.loc[(out.op == "|") & (out.lhs == name), "est"].tolist()
                  for name in om.names}
    fit = _no_fit()
    robust = _no_robust(ROBUST_MISSING_REASON)
    if status == "ok":
        problems = _inadmissible(model, theta)
        if problems:
            status, reason = "heywood", "inadmissible solution: " + "; ".join(problems)
        else:
            fit = _fit_statistics(model, om, theta, J, df, (n - 1) * f)
            robust = _robust(model, om, theta, J, df)
    return DWLSFit(status=status, reason=reason, table=out, n=n, npar=model.q, df=df,
                   parameterization=parameterization, iterations=it, thresholds=thresholds,
                   theta=theta, jacobian=J, cov_theta=cov, **fit, **robust)


def _minimize(model: OrdinalModel, om: OrdinalMoments, theta: np.ndarray, tol: float,
              max_iter: int) -> tuple[np.ndarray, float, str, str, int, np.ndarray]:
    """Gauss-Newton steps with step halving from ``theta``: the estimates, the DWLS
    function there, status, reason, iterations and the last Jacobian."""
    s, w = om.wls_obs, om.wls_vd

    def value(th: np.ndarray) -> float:
        r = s - model.implied(th)
        return float(np.sum(w * r * r)) if np.all(np.isfinite(r)) else math.inf

    f = value(theta)
    status, reason, it = "not_converged", "", 0
    J = np.full((s.size, model.q), np.nan)
    for it in range(1, max_iter + 1):  # noqa: B007 -- `it` is read after the loop (iterations)
        if not math.isfinite(f):
            reason = "the model-implied correlations could not be computed at the start"
            break
        J = model.jacobian(theta)
        WJ = w[:, None] * J
        g = WJ.T @ (s - model.implied(theta))
        H = J.T @ WJ
        if np.max(np.abs(g)) < tol:
            status = "ok"
            break
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            status, reason = "not_identified", _SINGULAR
            break
        alpha = 1.0
        for _ in range(40):
            cand = theta + alpha * step
            fc = value(cand)
            if fc <= f + 1e-15:
                break
            alpha /= 2
        else:
            if np.max(np.abs(g)) < 1e-7:
                status = "ok"
            else:
                reason = f"no further improvement (largest gradient {np.max(np.abs(g)):.2g})"
            break
        theta, f = cand, fc
    else:
        reason = f"did not converge in {max_iter} iterations"
    return theta, f, status, reason, it, J


def _sandwich(model: OrdinalModel, om: OrdinalMoments,
              theta: np.ndarray) -> tuple[str, str, np.ndarray, np.ndarray | None]:
    """Status, reason, Jacobian and the robust covariance of the estimates at a solution
    (none when J'WJ is singular)."""
    J = model.jacobian(theta)
    WJ = om.wls_vd[:, None] * J
    H = J.T @ WJ
    eig = np.linalg.eigvalsh(H)
    if eig.min() <= 1e-10 * max(eig.max(), 1.0):
        return "not_identified", _SINGULAR, J, None
    Hinv = np.linalg.inv(H)
    return "ok", "", J, Hinv @ (WJ.T @ om.nacov @ WJ) @ Hinv / (om.n - 1)


def _inadmissible(model: OrdinalModel, theta: np.ndarray) -> list[str]:
    """What makes the solution at ``theta`` inadmissible (nothing when it is not)."""
    mats = model.matrices(theta)
    problems = []
    if np.any(np.diag(mats["T"]) < 0):
        problems.append("a negative residual variance of a latent response")
    if model.m and np.linalg.eigvalsh(mats["P"]).min() < -1e-10:
        problems.append("the latent covariance matrix is not positive definite")
    return problems


def _robust(model: OrdinalModel, om: OrdinalMoments, theta: np.ndarray, J: np.ndarray,
            df: int) -> _RobustNumbers:
    """lavaan 0.6.14's robust CFI, TLI and RMSEA for ordered items (or the reason why
    they are missing)."""
    if len(np.unique(model.free_index)) < len(model.free_index):
        return _no_robust(_EQUALITY_REASON)
    if df <= 0:
        return _no_robust("just identified (df = 0): no fit to test")
    R, p, n = om.cor, len(om.names), om.n
    if np.linalg.eigvalsh(R).min() < np.sqrt(np.finfo(float).eps):
        return _no_robust("the polychoric matrix is not positive definite")
    nth = om.th_vector.size
    rows, cols = lower_pairs(p)
    S = np.eye(p)
    S[rows, cols] = S[cols, rows] = model.implied(theta)[nth:]
    Si = np.linalg.inv(S)
    xx3 = n * (np.linalg.slogdet(S)[1] + np.sum(R * Si) - np.linalg.slogdet(R)[1] - p)
    V = Si[np.ix_(rows, rows)] * Si[np.ix_(cols, cols)] + Si[np.ix_(rows, cols)] * Si[np.ix_(cols, rows)]
    w = om.wls_vd
    Jc, wc, G = J[nth:], w[nth:], om.nacov[nth:, nth:]
    M = np.eye(len(rows)) - Jc @ np.linalg.solve(J.T @ (w[:, None] * J), Jc.T) * wc[None, :]
    c3 = float(np.trace(M.T @ V @ M @ G)) / df
    df0 = len(rows)
    xx0 = -n * np.linalg.slogdet(R)[1]
    c0 = float(np.trace(G)) / df0
    t1 = max(xx3 - c3 * df, 0.0)
    t2 = max(xx3 - c3 * df, xx0 - c0 * df0, 0.0)
    cfi = 1.0 if (math.isclose(t1, 0.0, abs_tol=1.5e-8) and math.isclose(t2, 0.0, abs_tol=1.5e-8)) \
        else 1.0 - t1 / t2
    u1, u2 = (xx3 - c3 * df) * df0, (xx0 - c0 * df0) * df
    tli = 1.0 - u1 / u2 if abs(u2) > 0 else 1.0
    rmsea = math.sqrt(max(xx3 / ((n - 1) * df) - c3 / (n - 1), 0.0))
    return {"cfi_robust": cfi, "tli_robust": tli, "rmsea_robust": rmsea,
            "robust_reason": "computed as lavaan 0.6.14 (lav_fit_catml_dwls, Savalei 2021)"}


def _fit_statistics(model: OrdinalModel, om: OrdinalMoments, theta: np.ndarray, J: np.ndarray,
                    df: int, chi2: float) -> _FitNumbers:
    n, w = om.n, om.wls_vd
    b_chi2, b_scaled, b_df = baseline(om)
    resid = (om.wls_obs - model.implied(theta))[om.th_vector.size:]
    p = len(om.names)
    srmr = float(np.sqrt(np.sum(resid ** 2) / (p * (p + 1) / 2)))
    if df <= 0:
        # just identified: the model reproduces the statistics (chi2 0 up to rounding);
        # its fit cannot be tested, so p, CFI, TLI and RMSEA are undefined
        return {"chi2": 0.0, "pvalue": None, "cfi": None, "tli": None, "rmsea": None,
                "baseline_df": b_df, "chi2_scaled": 0.0, "pvalue_scaled": None,
                "scaling_factor": None, "shift_parameter": None, "baseline_chi2": b_chi2,
                "baseline_chi2_scaled": b_scaled, "cfi_scaled": None, "tli_scaled": None,
                "rmsea_scaled": None, "srmr": srmr}
    scaled, c, shift = _scaled_shifted(_u_gamma(J, w, om.nacov), chi2, df)
    cfi, tli = cfi_tli(chi2, df, b_chi2, b_df)
    cfi_s, tli_s = cfi_tli(scaled, df, b_scaled, b_df)
    return {"chi2": chi2, "pvalue": float(special.chdtrc(df, chi2)), "cfi": cfi, "tli": tli,
            "rmsea": math.sqrt(max(chi2 - df, 0.0) / (df * (n - 1))), "baseline_df": b_df,
            "chi2_scaled": scaled, "pvalue_scaled": float(special.chdtrc(df, scaled)),
            "scaling_factor": c, "shift_parameter": shift, "baseline_chi2": b_chi2,
            "baseline_chi2_scaled": b_scaled, "cfi_scaled": cfi_s, "tli_scaled": tli_s,
            "rmsea_scaled": math.sqrt(max(scaled - df, 0.0) / (df * (n - 1))), "srmr": srmr}


def _estimates_table(table: pd.DataFrame, model: OrdinalModel, theta: np.ndarray,
                     cov: np.ndarray | None) -> pd.DataFrame:
    out = table.copy()
    est = model.values(theta)
    mats = model.matrices(theta)
    if model.parameterization == "delta":  # the residual variances that follow from D
        diag = (model.kind == "T") & (model.row == model.col)
        est[diag] = np.diag(mats["T"])[model.row[diag]]
    else:  # the scale factors that follow from Theta
        sel = model.kind == "D"
        est[sel] = mats["D"][model.row[sel]]
    out["est"] = est
    free = model.free > 0
    se = np.sqrt(np.clip(np.diag(cov), 0, None)) if cov is not None else np.full(model.q, np.nan)
    out["se"] = np.where(free, se[np.clip(model.free - 1, 0, None)], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["z"] = np.where(free, out["est"] / out["se"], np.nan)
    out["pvalue"] = np.where(free, 2 * special.ndtr(-np.abs(out["z"])), np.nan)
    std = np.full(len(out), np.nan)
    std_se = np.full(len(out), np.nan)
    sel = model._sel["L"]
    std[sel] = model.standardized_loadings(theta)
    if cov is not None:
        G = model.jacobian(theta, model.standardized_loadings)
        std_se[sel] = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", G, cov, G), 0, None))
    out["std_all"] = std
    out["std_se"] = std_se
    return out


@dataclass(frozen=True, slots=True)
class ScaledDifference:
    """A scaled-shifted chi-square difference test of nested WLSMV models."""

    delta_chi2: float
    delta_df: int
    delta_chi2_scaled: float
    delta_p_scaled: float
    delta_method: str = "satorra.2000"  # lavTestLRT's method for a scaled.shifted test (WLSMV)

    def to_dict(self) -> dict[str, Any]:
        return {"delta_chi2": self.delta_chi2, "delta_df": self.delta_df,
                "delta_chi2_scaled": self.delta_chi2_scaled,
                "delta_p_scaled": self.delta_p_scaled, "delta_method": self.delta_method}


def scaled_difference(less: DWLSFit, more: DWLSFit, om: OrdinalMoments) -> ScaledDifference:
    """lavaan's ``lavTestLRT(less, more)`` for WLSMV (Satorra 2000, ``A.method = "delta"``,
    scaled and shifted): with ``J1``, ``J0`` the Jacobians of the two models at their
    estimates, ``A`` spans the orthogonal complement of ``pinv(J1) J0`` (the
    restrictions, in the less constrained model's parameters), ``P = J1'WJ1``,

        U = W J1 P^-1 A' (A P^-1 A')^+ A P^-1 J1' W,   UG = U Gamma,

    ``a = sqrt(m / tr(UG^2))``, ``b = m - a tr(UG)``, ``T = a (chi2_more - chi2_less) + b``
    on ``m = df_more - df_less`` degrees of freedom.
    """
    if less.chi2 is None or more.chi2 is None:
        raise ValueError("both models must be fitted (status ok) to be compared")
    m = more.df - less.df
    if m <= 0:
        raise ValueError(f"the more constrained model must have more degrees of freedom "
                         f"(got {more.df} against {less.df})")
    J1, J0, w = less.jacobian, more.jacobian, om.wls_vd
    H = np.linalg.pinv(J1) @ J0
    u, sv, _ = np.linalg.svd(H, full_matrices=True)
    rank = int(np.sum(sv > 1e-8 * max(sv.max(), 1.0)))
    A = u[:, rank:].T
    WJ = w[:, None] * J1
    Pinv = np.linalg.inv(J1.T @ WJ)
    APA = A @ Pinv @ A.T
    middle = Pinv @ A.T @ np.linalg.pinv(APA) @ A @ Pinv
    UG = (WJ @ middle @ WJ.T) @ om.nacov
    tr1 = float(np.trace(UG))
    tr2 = float(np.sum(UG * UG.T))
    a = math.sqrt(m / tr2)
    diff = more.chi2 - less.chi2
    stat = a * diff + (m - a * tr1)
    return ScaledDifference(delta_chi2=diff, delta_df=m, delta_chi2_scaled=stat,
                            delta_p_scaled=float(special.chdtrc(m, stat)))
