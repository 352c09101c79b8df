"""Robust ML (MLR): sandwich standard errors, the Yuan-Bentler scaled chi2, robust
CFI/TLI/RMSEA and scaled difference tests, as lavaan 0.6.14's ``estimator = "MLR"``.

Everything is computed in the saturated space ``(vech Sigma, mu)`` (``mu`` only with a
mean structure; without one the means are the sample means) from the case-wise scores
of the normal log-likelihood. For a person with answered items o, ``W = Sigma_oo^-1``
(padded with zeros) and ``v = W (x - mu)``, the score is ``v`` for ``mu`` and
``(v v' - W) / 2`` for ``Sigma`` (off-diagonal entries doubled in vech). With
``Delta`` the Jacobian of ``(vech Sigma, mu)`` in the parameters, per person:

- ``B0 = (1/N) sum_i Delta' z_i z_i' Delta``: first-order information at the model's
  moments (lavaan's ``information.meat = "first.order"``, ``h1.information =
  "structured"``);
- ``E``: the observed information, the Hessian of ``-loglik / N`` (lavaan's default
  ``information = "observed"``, ``observed.information = "hessian"`` for MLR, with
  complete and with missing data);
- sandwich: ``cov(theta) = E^-1 B0 E^-1 / N`` (Huber-White);
- Yuan-Bentler (Mplus variant, lavaan's ``test = "yuan.bentler.mplus"``):
  ``c = [tr(A1^-1 B1) - tr(E^-1 B0)] / df``, with ``A1`` the observed and ``B1`` the
  first-order information of the unrestricted model at its own estimates (the sample
  moments; the EM moments with missing data); ``chi2_scaled = chi2 / c``.

Robust fit indices (Brosseau-Liard & Savalei 2014; Brosseau-Liard, Savalei & Li 2012),
with ``c`` and ``c_B`` the scaling factors of the model and of the baseline model:
``CFI = 1 - max(T - c df, 0) / max(T - c df, T_B - c_B df_B, 0)``,
``TLI = 1 - (T - c df) df_B / ((T_B - c_B df_B) df)``,
``RMSEA = sqrt(max(T / (N df) - c / N, 0))``, its CI from the noncentral chi2 of
``T / c``, times ``sqrt(c)``. With missing answers lavaan 0.6.14 replaces T, c, T_B and
c_B by the FIML-corrected ones (``lav_fit_fiml_corrected``, version V3; Zhang &
Savalei 2020): ``T`` is the complete-data chi2 of the model against the EM moments and
``c = tr(U Wm^-1 Wc Wm^-1 U Gamma) / df`` with ``Wm`` the observed information of the
unrestricted FIML model, ``Wc`` the complete-data information at the EM moments,
``Gamma = Wm^-1 Jm Wm^-1`` (``Jm`` its first-order information) and
``U = Wm - Wm Delta (Delta' Wm Delta)^-1 Delta' Wm``.

Scaled difference tests (:func:`scaled_difference`): Satorra-Bentler (2001),
``cd = (df0 c0 - df1 c1) / (df0 - df1)``, ``T = (T0 - T1) / cd``, as ``lavTestLRT``
for MLR; where ``cd < 0`` (lavaan gives NA) Satorra-Bentler (2010), where ``c1`` is
replaced by the scaling factor of the less restricted model evaluated at the more
restricted model's estimates.

References: Yuan & Bentler (2000), Sociological Methodology 30; Satorra & Bentler (2001,
2010), Psychometrika 66, 75; Brosseau-Liard & Savalei (2014), Multivariate Behavioral
Research 49; Savalei (2018), Educational and Psychological Measurement 78; Zhang &
Savalei (2020), Educational and Psychological Measurement 80.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from psychometrics.results import NAN_INTERVAL, Interval
from psychometrics.sem import information
from psychometrics.sem._blas import one_blas_thread
from psychometrics.sem.estimation import MLFit, fit_ml
from psychometrics.sem.fit_indices import rmsea_ci
from psychometrics.sem.implied import Structure
from psychometrics.sem.moments import Moments, PatternMoments, Stacked
from psychometrics.sem.objective import FIMLPoint, fiml_point, ml_discrepancy, padded_inverse
from psychometrics.sem.partable import Row, build_table
from psychometrics.sem.standardized import estimates_table

__all__ = [
    "ROBUST_FIELDS",
    "Prepared",
    "RobustFit",
    "ScaledDifference",
    "Space",
    "independence_table",
    "robust_fields",
    "robust_fit",
    "scaled_difference",
]


#: The MLR fields of a model block in results.json (lavaan's names, ``_`` for ``.``).
ROBUST_FIELDS = ("chi2_scaled", "scaling_factor", "pvalue_scaled", "cfi_robust", "tli_robust",
                 "rmsea_robust", "rmsea_robust_ci")


def robust_fields(robust: RobustFit | None) -> dict[str, Any]:
    """The MLR fields of a model block: null where there is no admissible fit."""
    if robust is None:
        return {k: ([None, None] if k == "rmsea_robust_ci" else None) for k in ROBUST_FIELDS}
    return {k: v for k, v in robust.to_dict().items() if k != "estimator"}


@dataclass(frozen=True, slots=True)
class RobustFit:
    """The MLR statistics of one fitted model; NaN where they could not be computed
    (``status`` and ``reason`` say why)."""

    status: str
    reason: str
    df: int
    chi2: float
    scaling_factor: float
    chi2_scaled: float
    pvalue_scaled: float
    cfi_robust: float
    tli_robust: float
    rmsea_robust: float
    rmsea_robust_ci: Interval
    #: Scaling factor of the baseline model in the robust CFI/TLI (with missing
    #: answers the FIML-corrected one).
    baseline_scaling_factor: float
    table: pd.DataFrame | None = field(repr=False, default=None)
    cov_theta: np.ndarray | None = field(repr=False, default=None)
    #: The statistic and scaling factor behind the robust indices (with missing
    #: answers the FIML-corrected ones, lavaan's XX3 and c.hat3; else chi2 and c).
    index_chi2: float = math.nan
    index_scaling: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        return {"estimator": "MLR", "chi2_scaled": self.chi2_scaled,
                "scaling_factor": self.scaling_factor, "pvalue_scaled": self.pvalue_scaled,
                "cfi_robust": self.cfi_robust, "tli_robust": self.tli_robust,
                "rmsea_robust": self.rmsea_robust,
                "rmsea_robust_ci": self.rmsea_robust_ci.to_list(),
                "robust_status": self.status, "robust_reason": self.reason}


class Space:
    """The saturated space of ``p`` items: ``vech Sigma`` (lower triangle, row-major)
    and, with a mean structure, ``mu``. Holds the raw data and the pattern of every row."""

    def __init__(self, data: pd.DataFrame, meanstructure: bool):
        x = data.to_numpy(dtype=float)
        seen = ~np.isnan(x)
        keep = seen.any(axis=1)
        self.x, self.seen = x[keep], seen[keep]
        self.n, self.p = self.x.shape
        self.names = tuple(map(str, data.columns))
        self.meanstructure = meanstructure
        self.masks, self.pattern = np.unique(self.seen, axis=0, return_inverse=True)
        self.pattern = self.pattern.ravel()
        # the patterns for padded_inverse, which reads only their masks (no statistics)
        K = len(self.masks)
        self._patterns = Stacked(self.masks, np.zeros(K), np.zeros((K, self.p)),
                                 np.zeros((K, self.p, self.p)))
        self.complete = bool(self.seen.all())
        self.rows, self.cols = np.tril_indices(self.p)
        self.k = len(self.rows) + (self.p if meanstructure else 0)
        self.sample_mean = np.nanmean(np.where(self.seen, self.x, np.nan), axis=0)

    def delta(self, dS: np.ndarray, dm: np.ndarray) -> np.ndarray:
        """A Jacobian (q, p*p), (q, p) in this space: (k, q)."""
        q, p = dS.shape[0], self.p
        parts = [dS.reshape(q, p, p)[:, self.rows, self.cols]]
        if self.meanstructure:
            parts.append(dm)
        return np.hstack(parts).T

    def unit_jacobian(self) -> tuple[np.ndarray, np.ndarray]:
        """The saturated model's own Jacobian: one direction per element of the space."""
        p, s = self.p, len(self.rows)
        dS = np.zeros((self.k, p, p))
        idx = np.arange(s)
        dS[idx, self.rows, self.cols] = 1.0
        dS[idx, self.cols, self.rows] = 1.0
        dm = np.zeros((self.k, p))
        if self.meanstructure:
            dm[s + np.arange(p), np.arange(p)] = 1.0
        return dS.reshape(self.k, p * p), dm

    def scores(self, sigma: np.ndarray, mu: np.ndarray) -> np.ndarray | None:
        """Case-wise scores of the log-likelihood at (Sigma, mu), (N, k); None when some
        Sigma_oo is not positive definite."""
        inv = padded_inverse(self._patterns, sigma)
        if inv is None:
            return None
        W = inv[1][self.pattern]                              # (N, p, p)
        d = np.where(self.seen, self.x - mu, 0.0)
        v = np.einsum("nij,nj->ni", W, d)
        M = 0.5 * (v[:, self.rows] * v[:, self.cols] - W[:, self.rows, self.cols])
        M = np.where(self.rows == self.cols, M, 2.0 * M)
        return np.hstack([M, v]) if self.meanstructure else M

    def point(self, sigma: np.ndarray, mu: np.ndarray,
              moments: Moments | PatternMoments) -> tuple[FIMLPoint | None, np.ndarray]:
        """The FIML objective's point (gradient, W, U, v per pattern) at (Sigma, mu);
        complete data are one pattern."""
        if isinstance(moments, PatternMoments):
            return fiml_point(moments.stacked, sigma, mu, moments.n), moments.stacked.n / moments.n
        st = _one_pattern(moments)
        return fiml_point(st, sigma, mu, moments.n), np.ones(1)


def _one_pattern(moments: Moments) -> Stacked:
    """Complete-data moments as one missing-data pattern (for the observed information)."""
    p = len(moments.names)
    return Stacked(np.ones((1, p), dtype=bool), np.array([float(moments.n)]),
                   moments.mean[None, :], moments.cov[None, :, :])


def _model_mean(space: Space, struct: Structure, mu: np.ndarray) -> np.ndarray:
    return mu if space.meanstructure else space.sample_mean


def _observed_information(struct: Structure, space: Space, moments: Moments | PatternMoments,
                          theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Per-person observed information (Hessian of -loglik / N) in the parameters at
    ``theta``, with the parameters' Jacobian (dS, dm)."""
    sigma, mu = struct.implied(theta)
    mu = _model_mean(space, struct, mu)
    point, weights = space.point(sigma, mu, moments)
    if point is None:
        return None
    dS, dm = struct.jacobian(theta)
    second = struct.second_order(theta, point.G, point.g)
    return information.fiml_observed(point, weights, dS, dm, second) / 2.0, dS, dm


def _h1_parts(space: Space,
              moments: Moments | PatternMoments) -> tuple[np.ndarray, np.ndarray] | None:
    """``A1`` (observed information) and ``B1`` (first-order) of the unrestricted model
    at its estimates, per person, in the saturated space."""
    sigma, mu = moments.cov, moments.mean if space.meanstructure else space.sample_mean
    z = space.scores(sigma, mu)
    if z is None:
        return None
    B1 = z.T @ z / space.n
    dS, dm = space.unit_jacobian()
    if isinstance(moments, PatternMoments):
        point, weights = space.point(sigma, mu, moments)
        if point is None:
            return None
        no_second_order = np.zeros((space.k, space.k))  # the saturated model is linear
        A1 = information.fiml_observed(point, weights, dS, dm, no_second_order) / 2.0
    else:  # at the sample moments the observed information is the expected one
        A1 = information.expected_complete(np.linalg.inv(sigma), dS,
                                           dm if space.meanstructure else None) / 2.0
    return A1, B1


def _trace_h0(struct: Structure, space: Space, moments: Moments | PatternMoments,
              theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray] | None:
    """``tr(E^-1 B0)``, ``E^-1`` and ``B0`` of a model at ``theta``."""
    got = _observed_information(struct, space, moments, theta)
    if got is None:
        return None
    E, dS, dm = got
    sigma, mu = struct.implied(theta)
    z = space.scores(sigma, _model_mean(space, struct, mu))
    if z is None:
        return None
    s = z @ space.delta(dS, dm)
    B0 = s.T @ s / space.n
    try:
        E_inv = np.linalg.inv(E)
    except np.linalg.LinAlgError:
        return None
    return float(np.sum(E_inv * B0.T)), E_inv, B0


def independence_table(names: Iterable[str], meanstructure: bool) -> pd.DataFrame:
    """lavaan's baseline model: every item its own variance (and mean)."""
    rows = [Row(v, "~~", v) for v in names]
    if meanstructure:
        rows += [Row(v, "~1") for v in names]
    return build_table(rows)


class Prepared:
    """What every model fitted to the same data shares (computed once, reused by each
    :func:`robust_fit` of a sequence): the saturated space, the unrestricted model's
    information ``A1`` and ``B1`` and ``tr(A1^-1 B1)``, and, lazily, the baseline
    model's statistics and the FIML-correction's matrices."""

    def __init__(self, moments: Moments | PatternMoments, data: pd.DataFrame,
                 meanstructure: bool, baseline_table: pd.DataFrame | None = None):
        self.moments = moments
        self.fiml = isinstance(moments, PatternMoments)
        self.space = Space(data[list(moments.names)], meanstructure)
        self.baseline_table = baseline_table
        self.h1 = _h1_parts(self.space, moments)
        self.tr1: float = math.nan
        if self.h1 is not None:
            try:
                self.tr1 = float(np.trace(np.linalg.solve(*self.h1)))
            except np.linalg.LinAlgError:
                self.h1 = None
        self._corrected: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._corrected_done = False
        self._baseline: tuple[float, int, float] | None = None

    def corrected_parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """FIML correction: ``Wm``, ``Gamma`` and ``Wm^-1 Wc Wm^-1`` (None if singular,
        or without the unrestricted model's information); computed once."""
        if not self._corrected_done:
            self._corrected = self._correction()
            self._corrected_done = True
        return self._corrected

    def _correction(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        if self.h1 is None:
            return None
        Wm, Jm = self.h1
        try:
            Wmi = np.linalg.inv(Wm)
        except np.linalg.LinAlgError:
            return None
        dS_u, dm_u = self.space.unit_jacobian()
        Wc = information.expected_complete(np.linalg.inv(self.moments.cov), dS_u, dm_u) / 2.0
        return Wm, Wmi @ Jm @ Wmi, Wmi @ Wc @ Wmi

    def k_of(self, delta: np.ndarray) -> float:
        """``tr(U Wm^-1 Wc Wm^-1 U Gamma)`` of a model with Jacobian ``delta``; NaN
        without the FIML correction (:meth:`corrected_parts` None)."""
        parts = self.corrected_parts()
        if parts is None:
            return math.nan
        Wm, gamma, middle = parts
        WD = Wm @ delta
        U = Wm - WD @ np.linalg.solve(delta.T @ WD, WD.T)
        return float(np.sum((U @ middle @ U) * gamma.T))

    def baseline(self) -> tuple[float, int, float]:
        """chi2 (FIML-corrected with missing answers), df and scaling factor of the
        baseline model (lavaan's independence model unless another table was given)."""
        if self._baseline is None:
            self._baseline = self._fit_baseline()
        return self._baseline

    def _fit_baseline(self) -> tuple[float, int, float]:
        m, space = self.moments, self.space
        table = self.baseline_table
        if table is None:
            table = independence_table(m.names, space.meanstructure)
        fit_b = fit_ml(table, m, standard_errors=False)
        if fit_b.fit is None or fit_b.df <= 0:
            return math.nan, 0, math.nan
        struct = Structure(table, m.names)
        if self.fiml:
            if self.corrected_parts() is None:
                return math.nan, 0, math.nan
            bs, bm = struct.implied(fit_b.theta)
            Tb = m.n * ml_discrepancy(m.cov, bs, m.mean, bm)
            return Tb, fit_b.df, self.k_of(space.delta(*struct.jacobian(fit_b.theta))) / fit_b.df
        h0 = _trace_h0(struct, space, m, fit_b.theta)
        if h0 is None:
            return math.nan, 0, math.nan
        c = (self.tr1 - h0[0]) / fit_b.df
        return fit_b.fit.chi2, fit_b.df, (c if c > 0 else math.nan)


def robust_fit(fit: MLFit, table: pd.DataFrame, moments: Moments | PatternMoments,
               data: pd.DataFrame, *, baseline: bool = True,
               baseline_table: pd.DataFrame | None = None,
               prepared: Prepared | None = None) -> RobustFit:
    """MLR statistics of ``fit`` (a converged :func:`~psychometrics.sem.fit_ml` of
    ``table`` on ``moments``); ``data`` holds the rows the moments came from, columns
    in the moments' order (missing answers as NaN for full-information ML).

    ``baseline=False`` skips the robust CFI/TLI (they need the baseline model's scaling
    factor); ``baseline_table`` replaces lavaan's independence model as the baseline
    (e.g. a longitudinal null model). ``prepared`` (a :class:`Prepared` of the same
    moments and data) shares the unrestricted and baseline models' work between the
    models of a sequence. In R: ``lavaan(model, data, estimator = "MLR"[,
    missing = "ml"])``.
    """
    with one_blas_thread():
        struct = Structure(table, moments.names)
        if prepared is None:
            prepared = Prepared(moments, data, struct.meanstructure, baseline_table)
        return _robust_fit(fit, table, struct, prepared, baseline)


def _nan_result(fit: MLFit, status: str, reason: str) -> RobustFit:
    chi2 = fit.fit.chi2 if fit.fit is not None else math.nan
    return RobustFit(status, reason, fit.df, chi2, math.nan, math.nan, math.nan, math.nan,
                     math.nan, math.nan, NAN_INTERVAL, math.nan)


def _robust_fit(fit: MLFit, table: pd.DataFrame, struct: Structure, prep: Prepared,
                baseline: bool) -> RobustFit:
    if fit.fit is None or not fit.converged:
        return _nan_result(fit, "not_computed", "the model has no admissible ML solution")
    moments, space = prep.moments, prep.space
    h0 = _trace_h0(struct, space, moments, fit.theta)
    if prep.h1 is None or h0 is None:
        return _nan_result(fit, "not_computed", "an information matrix could not be computed")
    tr0, E_inv, B0 = h0
    n, df, chi2 = fit.n, fit.df, fit.fit.chi2
    cov_theta = E_inv @ B0 @ E_inv / n
    robust_table = estimates_table(table, struct, fit.theta, cov_theta)
    c = (prep.tr1 - tr0) / df if df > 0 else math.nan
    if not (c > 0):
        c = math.nan
    scaled = chi2 / c if df > 0 else math.nan
    pvalue = float(special.chdtrc(df, scaled)) if math.isfinite(scaled) else math.nan
    status, reason = "ok", ""
    if df == 0:
        status, reason = "saturated", "df = 0: no test statistic to scale"
    elif not math.isfinite(c):
        status, reason = "not_computed", "the scaling factor is not positive"
    cb = T = cc = math.nan
    cfi = tli = rmsea = math.nan
    ci = NAN_INTERVAL
    if df > 0 and math.isfinite(c):
        if prep.fiml:
            # lavaan 0.6.14's FIML-corrected (V3) statistic and scaling factor
            if prep.corrected_parts() is not None:
                T = n * ml_discrepancy(moments.cov, fit.implied_cov, moments.mean,
                                       fit.implied_mean)
                cc = prep.k_of(space.delta(*struct.jacobian(fit.theta))) / df
        else:
            T, cc = chi2, c
        if math.isfinite(T) and math.isfinite(cc):
            rmsea = math.sqrt(max(T / (n * df) - cc / n, 0.0))
            base_ci = rmsea_ci(T / cc, df, n)
            ci = Interval(math.sqrt(cc) * base_ci.low, math.sqrt(cc) * base_ci.high)
            if baseline:
                Tb, dfb, cb = prep.baseline()
                if math.isfinite(cb):
                    cfi, tli = robust_cfi_tli(T, df, Tb, dfb, cc, cb)
    return RobustFit(status, reason, df, chi2, c, scaled, pvalue, cfi, tli, rmsea, ci, cb,
                     robust_table, cov_theta, T, cc)


def robust_cfi_tli(chi2: float, df: int, chi2_b: float, df_b: int, c: float,
                   c_b: float) -> tuple[float, float]:
    """Robust CFI and TLI (Brosseau-Liard & Savalei 2014), as lavaan's ``cfi.robust``.

    >>> [round(v, 6) for v in robust_cfi_tli(30.0, 10, 300.0, 15, 1.2, 1.1)]
    [0.936508, 0.904762]
    """
    if c == 1.0 or c_b == 1.0:  # lavaan then uses the unscaled formula
        c = c_b = 1.0
    t1 = max(chi2 - c * df, 0.0)
    t2 = max(chi2 - c * df, chi2_b - c_b * df_b, 0.0)
    cfi = 1.0 if math.isclose(t1, 0.0, abs_tol=1.5e-8) and math.isclose(t2, 0.0, abs_tol=1.5e-8) \
        else 1.0 - t1 / t2
    u1 = (chi2 - c * df) * df_b
    u2 = (chi2_b - c_b * df_b) * df
    tli = 1.0 - u1 / u2 if abs(u2) > 0 else 1.0
    return cfi, tli


@dataclass(frozen=True, slots=True)
class ScaledDifference:
    """A scaled chi2 difference test: statistic, df, p, the difference's scaling
    factor and the method (``"satorra.bentler.2001"`` or ``"satorra.bentler.2010"``)."""

    chi2: float
    df: int
    pvalue: float
    scaling_factor: float
    method: str
    note: str = ""


def scaled_difference(chi2_0: float, df_0: int, c_0: float, chi2_1: float, df_1: int,
                      c_1: float, c_10: Callable[[], float] | None = None,
                      method: str = "satorra.bentler.2001") -> ScaledDifference:
    """Satorra-Bentler (2001) scaled difference of a restricted model (0) against a
    less restricted one (1), as ``lavTestLRT`` for MLR; where its scaling factor is
    negative (lavaan: NA), Satorra-Bentler (2010) with ``c_10()``, the scaling factor
    of model 1 at model 0's estimates (called only then). ``method =
    "satorra.bentler.2010"`` uses the 2010 test always (``lavTestLRT(method = ...)``).

    >>> d = scaled_difference(30.0, 12, 1.2, 20.0, 10, 1.1)
    >>> round(d.chi2, 6), d.df, d.method
    (5.882353, 2, 'satorra.bentler.2001')
    """
    m = df_0 - df_1
    if m <= 0:
        return ScaledDifference(chi2_0 - chi2_1, m, math.nan, math.nan, "none",
                                "the models have the same degrees of freedom")
    c1 = 1.0 if df_1 == 0 else c_1
    cd = (df_0 * c_0 - df_1 * c1) / m
    always_2010 = method == "satorra.bentler.2010"
    method, note = "satorra.bentler.2001", ""
    if (always_2010 or not cd > 0) and c_10 is not None:
        c10 = 1.0 if df_1 == 0 else c_10()
        cd = (df_0 * c_0 - df_1 * c10) / m
        method = "satorra.bentler.2010"
        note = "" if always_2010 else (
            "the Satorra-Bentler (2001) scaling factor of the difference is negative "
            "(lavaan: NA); Satorra-Bentler (2010) is used")
    if not cd > 0:
        return ScaledDifference(math.nan, m, math.nan, math.nan, method,
                                "the scaling factor of the difference is not positive")
    t = (chi2_0 - chi2_1) / cd
    return ScaledDifference(t, m, float(special.chdtrc(m, max(t, 0.0))), cd, method, note)


def scaling_at(table: pd.DataFrame, moments: Moments | PatternMoments, data: pd.DataFrame,
               theta: np.ndarray, df: int, prepared: Prepared | None = None) -> float:
    """The Yuan-Bentler scaling factor of the model ``table`` at a given ``theta`` (not
    its estimates): ``c_10`` of the Satorra-Bentler (2010) difference test."""
    with one_blas_thread():
        struct = Structure(table, moments.names)
        if prepared is None:
            prepared = Prepared(moments, data, struct.meanstructure)
        h0 = _trace_h0(struct, prepared.space, moments, theta)
        if prepared.h1 is None or h0 is None or df <= 0:
            return math.nan
        return (prepared.tr1 - h0[0]) / df


def theta_from(table: pd.DataFrame, estimates: pd.DataFrame) -> np.ndarray:
    """The free parameters of ``table`` set to the estimates of another model's table
    (matched by lhs, op, rhs): the less restricted model at the restricted estimates."""
    est = estimates.set_index(["lhs", "op", "rhs"])["est"]
    q = int(table["free"].max())
    theta = np.zeros(q)
    for r in table.itertuples(index=False):
        if r.free > 0:
            theta[r.free - 1] = est[(r.lhs, r.op, r.rhs)]
    return theta
