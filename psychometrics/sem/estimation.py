"""Maximum-likelihood estimation of a factor model: Fisher scoring on the objective.

Complete data: minimizes lavaan's ML discrepancy on the sample moments
(:mod:`~psychometrics.sem.objective`) by Fisher scoring with the analytic gradient
and the expected information, with step halving. ``chi2 = N F``; standard errors
from the expected information with N, as lavaan's defaults
(``information = "expected"``, ``likelihood = "normal"``).

Missing data (:class:`~psychometrics.sem.moments.PatternMoments`): full-information
ML. The steps use the exact gradient (accumulated over patterns in the saturated
space) and, as the step matrix, the observed information where it is positive
definite (Newton steps: quadratic convergence near the optimum) or else the expected
FIML information. Where those cost too much per step (many items and patterns), the
complete-data expected information at the current Sigma: a positive-definite
approximation that changes the path (more, cheaper steps), not the optimum
(convergence is judged on the exact gradient). Standard errors come from the
analytic observed information, lavaan's default for ``missing = "ml"``
(:mod:`~psychometrics.sem.information`).

Equality constraints are shared labels (one parameter). Residual variances are not
bounded: a Heywood case shows as a negative estimate. ``cov_theta = H^-1 2 / N``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from psychometrics.sem import information
from psychometrics.sem._blas import one_blas_thread
from psychometrics.sem.fit_indices import FitIndices, fit_indices
from psychometrics.sem.implied import Structure, Table, column_of
from psychometrics.sem.moments import GroupMoments, Moments, PatternMoments
from psychometrics.sem.objective import FIMLPoint, fiml_point, ml_discrepancy, ml_gradient
from psychometrics.sem.standardized import estimates_table

_LOG_2PI = math.log(2 * math.pi)

#: FIML steps use the observed (else the expected) FIML information while it costs at
#: most this many multiply-adds per step ((patterns + parameters) p^4); larger models use
#: the complete-data expected information at the current Sigma. Measured: 10 items, 12
#: patterns: 7 Newton steps 13 ms against 24 cheap steps 34 ms; 20 items, 31 patterns:
#: 9 Newton steps 92 ms against 32 cheap steps 64 ms.
_EXACT_SCORING_COST = 5e6

#: The objective F at theta.
Value = Callable[[np.ndarray], float]
#: The gradient of F and a positive-definite scoring matrix at theta.
Terms = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
#: The FIML objective's saturated pieces at theta (None where a Sigma_oo is not
#: positive definite).
PointAt = Callable[[np.ndarray], FIMLPoint | None]
#: An information matrix at theta.
InformationAt = Callable[[np.ndarray], np.ndarray]
#: A fit's log-likelihood, or its fit indices, at the implied (Sigma, mu).
LoglikAt = Callable[[np.ndarray, np.ndarray], float]
FitAt = Callable[[np.ndarray, np.ndarray], FitIndices]


class GroupTerms(Protocol):
    """:data:`Terms` of one group of a multi-group FIML model: ``check=False`` returns
    the observed information even where it is not positive definite."""

    def __call__(self, th: np.ndarray, check: bool = True) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True, slots=True)
class MLFit:
    """An ML fit: the parameter table with estimates, its fit, and its state.

    ``status`` is ``"ok"``, ``"not_converged"``, ``"not_identified"`` or
    ``"heywood"`` (a negative variance or a non-positive-definite latent
    covariance); ``reason`` says what happened. ``fit`` is None unless the model
    converged. ``information`` is the matrix the standard errors come from (expected
    for complete data, observed for FIML; for FIML without standard errors, the
    scoring matrix of the last step).
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
    #: Several groups: the labels and, per group, the implied (Sigma, mu);
    #: ``implied_cov``/``implied_mean`` are then the first group's.
    group_labels: tuple[str, ...] = ()
    group_n: tuple[int, ...] = ()
    implied_groups: tuple[tuple[np.ndarray, np.ndarray], ...] = field(default=(), repr=False)

    @property
    def converged(self) -> bool:
        return self.status in ("ok", "heywood")

    @property
    def aic(self) -> float:
        return -2 * self.loglik + 2 * self.npar

    @property
    def bic(self) -> float:
        return -2 * self.loglik + self.npar * math.log(self.n)


def _start(struct: Structure, table: Table, cov: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Start values: loadings sqrt(var/2), residuals var/2, factor (co)variances 1/0,
    intercepts the sample means, latent means 0; explicit ``start`` wins."""
    var = np.maximum(np.diag(cov), 0.0)
    kind, i, j = struct.kind, struct.row, struct.col
    v = np.zeros(len(kind))
    v = np.where(kind == "L", np.sqrt(np.maximum(var[np.minimum(i, len(var) - 1)], 1e-8) / 2), v)
    v = np.where((kind == "T") & (i == j), var[np.minimum(i, len(var) - 1)] / 2, v)
    v = np.where((kind == "P") & (i == j), 1.0, v)
    v = np.where(kind == "N", mean[np.minimum(i, len(mean) - 1)], v)
    if "start" in table:
        given = np.asarray(column_of(table, "start"), dtype=float)
        v = np.where(np.isfinite(given), given, v)
    theta = np.zeros(struct.q)
    for index, row in zip(struct.free_index, struct.free_rows):  # the last row of a label wins
        theta[index] = v[row]
    return theta


def fit_ml(table: pd.DataFrame, moments: Moments | PatternMoments | GroupMoments, *,
           tol: float = 1e-10, max_iter: int = 500, standard_errors: bool = True) -> MLFit:
    """Fit the model in ``table`` to ``moments`` by ML (Fisher scoring); with
    :class:`~psychometrics.sem.moments.PatternMoments`, by full-information ML; with
    :class:`~psychometrics.sem.moments.GroupMoments`, as a multi-group model
    (:mod:`~psychometrics.sem.multigroup`).

    ``standard_errors=False`` skips the observed information of a full-information
    fit when only the fit is needed; SEs are then NaN.
    """
    with one_blas_thread():
        if isinstance(moments, GroupMoments):
            from psychometrics.sem.multigroup import fit_groups
            return fit_groups(table, moments, tol=tol, max_iter=max_iter,
                              standard_errors=standard_errors)
        if isinstance(moments, PatternMoments):
            return _fit_fiml(table, moments, tol=tol, max_iter=max_iter,
                             standard_errors=standard_errors)
        return _fit_complete(table, moments, tol=tol, max_iter=max_iter)


def _complete_objective(struct: Structure, moments: Moments) -> tuple[Value, Terms]:
    """``value(theta)`` (the ML discrepancy) and ``terms(theta)`` (its gradient and the
    expected information) of one group's complete data."""
    S, m = moments.cov, moments.mean
    ms = struct.meanstructure

    def value(th: np.ndarray) -> float:
        Sigma, mu = struct.implied(th)
        return ml_discrepancy(S, Sigma, m if ms else None, mu if ms else None)

    def terms(th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Sigma, mu = struct.implied(th)
        G, g, W = ml_gradient(S, m if ms else None, Sigma, mu)
        dS, dm = struct.jacobian(th)
        grad = dS @ G.ravel() + (dm @ g if ms else 0.0)
        return grad, information.expected_complete(W, dS, dm if ms else None)

    return value, terms


def _fit_complete(table: pd.DataFrame, moments: Moments, *, tol: float, max_iter: int) -> MLFit:
    struct = Structure(table, moments.names)
    S, m, n, p = moments.cov, moments.mean, moments.n, struct.p
    ms = struct.meanstructure
    df = p * (p + 1) // 2 + (p if ms else 0) - struct.q
    value, terms = _complete_objective(struct, moments)
    theta, f, status, reason, it, H = _fisher_scoring(_start(struct, table, S, m), value,
                                                      terms, tol, max_iter)
    cov_theta = None
    if status == "ok":
        status, reason, cov_theta = _covariance(H, n)
    return _result(table, struct, n, df, theta, f, (status, reason, it), H,
                   cov_theta, lambda sigma, mu: _loglik(S, m, sigma, mu, n, ms),
                   lambda sigma, mu: fit_indices(S, sigma, n, df, sample_mean=m if ms else None,
                                                 implied_mean=mu if ms else None, chi2=n * f))


def _covariance(H: np.ndarray, n: int) -> tuple[str, str, np.ndarray | None]:
    """Status, reason and the covariance matrix of the estimates, ``H^-1 2 / N``."""
    status, reason = _identified(H)
    return status, reason, (np.linalg.inv(H) * 2.0 / n if status == "ok" else None)


def _result(table: pd.DataFrame, struct: Structure, n: int, df: int, theta: np.ndarray,
            f: float, state: tuple[str, str, int], H: np.ndarray, cov_theta: np.ndarray | None,
            loglik: LoglikAt, fit_of: FitAt) -> MLFit:
    """The MLFit at the estimates: estimates table, admissibility, fit indices (only for
    a converged, identified model)."""
    status, reason, it = state
    out = estimates_table(table, struct, theta, cov_theta)
    sigma, mu = struct.implied(theta)
    _, P, T, _, _ = struct.matrices(theta)
    fit = None
    if status == "ok":
        status, reason = _admissible(T, P)
        fit = fit_of(sigma, mu)
    return MLFit(status=status, reason=reason, table=out, n=n, npar=struct.q, df=df, fmin=f / 2,
                 loglik=loglik(sigma, mu), fit=fit, iterations=it, theta=theta, information=H,
                 implied_cov=sigma, implied_mean=mu, factors=struct.factors,
                 observed=struct.observed)


def _fisher_scoring(theta: np.ndarray, value: Value, terms: Terms, tol: float,
                    max_iter: int) -> tuple[np.ndarray, float, str, str, int, np.ndarray]:
    """Minimize ``value`` by Fisher scoring with step halving: ``terms(theta)`` gives
    the gradient and a positive-definite scoring matrix. Returns theta, F, status,
    reason, iterations and the last scoring matrix."""
    f = value(theta)
    status, reason, it = "not_converged", "", 0
    H = np.full((len(theta), len(theta)), np.nan)
    while it < max_iter:
        it += 1
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
    if not np.all(np.isfinite(H)):
        return "not_identified", "the information matrix could not be computed"
    eig = np.linalg.eigvalsh(H)
    if eig.min() <= 1e-10 * max(eig.max(), 1.0):
        return "not_identified", "the information matrix is singular: the model is not identified"
    return "ok", ""


def _admissible(T: np.ndarray, P: np.ndarray) -> tuple[str, str]:
    problems = []
    neg = np.flatnonzero(np.diag(T) < 0)
    if len(neg):
        problems.append(f"{len(neg)} negative residual variance(s)")
    if P.size and (np.any(np.diag(P) < 0) or np.linalg.eigvalsh(P).min() < -1e-10):
        problems.append("the latent covariance matrix is not positive definite")
    if problems:
        return "heywood", "inadmissible solution: " + "; ".join(problems)
    return "ok", ""


def _loglik(S: np.ndarray, m: np.ndarray, Sigma: np.ndarray, mu: np.ndarray, n: int,
            ms: bool) -> float:
    """lavaan's logl: the normal log-likelihood (means saturated without a mean structure)."""
    p = S.shape[0]
    _, logdet = np.linalg.slogdet(Sigma)
    W = np.linalg.inv(Sigma)
    q = np.sum(W * S)
    if ms:
        d = m - mu
        q += d @ W @ d
    return float(-n / 2 * (p * _LOG_2PI + logdet + q))


def fiml_observed_information(struct: Structure, pm: PatternMoments, theta: np.ndarray,
                              point: FIMLPoint | None = None) -> np.ndarray:
    """The analytic observed information (Hessian of F) of a FIML model at ``theta``
    (``point``: the objective there, when already computed)."""
    if point is None:
        point = fiml_point(pm.stacked, *struct.implied(theta), pm.n)
    if point is None:
        return np.full((struct.q, struct.q), np.nan)
    dS, dm = struct.jacobian(theta)
    second = struct.second_order(theta, point.G, point.g)
    return information.fiml_observed(point, pm.stacked.n / pm.n, dS, dm, second)


def fiml_gradient(struct: Structure, pm: PatternMoments, theta: np.ndarray) -> np.ndarray:
    """The analytic gradient of the FIML objective at ``theta``."""
    sigma, mu = struct.implied(theta)
    point = _defined(fiml_point(pm.stacked, sigma, mu, pm.n))
    dS, dm = struct.jacobian(theta)
    grad: np.ndarray = dS @ point.G.ravel() + dm @ point.g
    return grad


def _defined(point: FIMLPoint | None) -> FIMLPoint:
    """``point``, which the caller knows to exist (F is finite there)."""
    if point is None:
        raise ValueError("the FIML objective is not defined here: some model-implied "
                         "Sigma_oo is not positive definite")
    return point


def _fiml_objective(struct: Structure, pm: PatternMoments
                    ) -> tuple[Value, GroupTerms, PointAt, InformationAt, InformationAt]:
    """``value``, ``terms`` (gradient and step matrix), ``point_at`` (the objective's
    saturated pieces, the last one kept), the expected and the observed information of
    one group's full-information likelihood."""
    n, p, q = pm.n, struct.p, struct.q
    st = pm.stacked
    last: dict[bytes, FIMLPoint | None] = {}
    # the observed information of the last step: at convergence, the standard errors'
    last_hess: dict[bytes, np.ndarray] = {}

    def point_at(th: np.ndarray) -> FIMLPoint | None:
        # the point of an accepted step is where the next gradient is taken: keep one
        key = th.tobytes()
        if key not in last:
            last.clear()
            last[key] = fiml_point(st, *struct.implied(th), n)
        return last[key]

    def value(th: np.ndarray) -> float:
        point = point_at(th)
        return math.inf if point is None else point.f

    weights = st.n / n
    exact = (len(weights) + q) * p ** 4 <= _EXACT_SCORING_COST

    def terms(th: np.ndarray, check: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and step matrix; ``check=False`` returns the observed information
        unchecked (a group of a multi-group model: the sum is what must be positive
        definite)."""
        sigma, _ = struct.implied(th)
        point = _defined(point_at(th))
        dS, dm = struct.jacobian(th)
        grad = dS @ point.G.ravel() + dm @ point.g
        if exact:
            # Newton steps on the observed information where it is positive definite
            # (near the optimum: quadratic convergence), else scoring on the expected.
            hess = information.fiml_observed(point, weights, dS, dm,
                                             struct.second_order(th, point.G, point.g))
            last_hess.clear()
            last_hess[th.tobytes()] = hess
            if not check:
                return grad, hess
            try:
                np.linalg.cholesky(hess)
                return grad, hess
            except np.linalg.LinAlgError:
                return grad, information.fiml_expected(point, weights, dS, dm)
        return grad, information.expected_complete(np.linalg.inv(sigma), dS, dm)

    def expected(th: np.ndarray) -> np.ndarray:
        """The expected information (the fallback step matrix)."""
        dS, dm = struct.jacobian(th)
        if exact:
            return information.fiml_expected(_defined(point_at(th)), weights, dS, dm)
        return information.expected_complete(np.linalg.inv(struct.implied(th)[0]), dS, dm)

    def observed(th: np.ndarray) -> np.ndarray:
        """The observed information; the last step's where it was taken at ``th``."""
        kept = last_hess.get(th.tobytes())
        return kept if kept is not None else fiml_observed_information(struct, pm, th,
                                                                       point_at(th))

    return value, terms, point_at, expected, observed


def _fit_fiml(table: pd.DataFrame, pm: PatternMoments, *, tol: float, max_iter: int,
              standard_errors: bool) -> MLFit:
    """Full-information ML: Fisher scoring on the pattern-wise likelihood; standard
    errors from the analytic observed information."""
    struct = Structure(table, pm.names)
    if not struct.meanstructure:
        raise ValueError("full-information ML needs a mean structure (intercept rows)")
    n, p, q = pm.n, struct.p, struct.q
    df = p * (p + 1) // 2 + p - q
    st = pm.stacked
    value, terms, _, _, observed = _fiml_objective(struct, pm)
    theta, f, status, reason, it, H = _fisher_scoring(_start(struct, table, pm.cov, pm.mean),
                                                      value, terms, tol, max_iter)
    cov_theta = None
    if status == "ok" and not standard_errors:
        status, reason = _identified(H)
    elif status == "ok":
        H = observed(theta)
        status, reason, cov_theta = _covariance(H, n)
    constant = 0.5 * _LOG_2PI * float(st.n @ st.mask.sum(axis=1))
    return _result(table, struct, n, df, theta, f, (status, reason, it), H, cov_theta,
                   lambda sigma, mu: -n / 2 * f - constant,
                   lambda sigma, mu: fit_indices(pm.cov, sigma, n, df, sample_mean=pm.mean,
                                                 implied_mean=mu, chi2=n * (f - pm.f_saturated),
                                                 baseline=pm.independence_chi2()))
