"""Fit statistics of ML covariance-structure models, as lavaan defines them.

With ``S`` the sample covariance matrix (denominator N, as lavaan's ML uses),
``Sigma`` the model-implied one, ``p`` observed variables and ``N`` cases:

- ML discrepancy ``F = log|Sigma| + tr(S Sigma^-1) - log|S| - p`` (defined once, in
  :mod:`psychometrics.sem.objective`); the test statistic is ``chi2 = N * F``
  (lavaan's ``likelihood = "normal"``).
- Baseline (independence) model: every variable its own variance, no covariances:
  ``F_B = sum(log diag S) - log|S|``, ``df_B = p (p - 1) / 2``.
- ``CFI = 1 - max(chi2 - df, 0) / max(chi2_B - df_B, chi2 - df, 0)``;
  ``TLI = (chi2_B/df_B - chi2/df) / (chi2_B/df_B - 1)``.
- ``RMSEA = sqrt(max(chi2 - df, 0) / (df * N))`` (N, not N - 1); its 90% CI from
  the noncentral chi-square, as lavaan: the noncentrality ``lambda`` with
  ``P(chi2; df, lambda) = 0.95`` (lower) and ``0.05`` (upper), ``sqrt(lambda/(df N))``.
- ``SRMR`` (lavaan's default, Bentler's): the root mean square of
  ``(s_ij - sigma_ij) / sqrt(s_ii s_jj)`` over the ``p (p + 1) / 2`` distinct elements.

These functions hold the definitions once; models of every kind call them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from psychometrics.results import NAN_INTERVAL, Interval
from psychometrics.sem.objective import ml_discrepancy


@dataclass(frozen=True, slots=True)
class FitIndices:
    """Global fit of one model (ML). ``chi2 = N * F_ML``; RMSEA uses N."""

    n: int
    chi2: float
    df: int
    pvalue: float
    baseline_chi2: float
    baseline_df: int
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci: Interval
    srmr: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n, "chi2": self.chi2, "df": self.df, "pvalue": self.pvalue,
            "baseline_chi2": self.baseline_chi2, "baseline_df": self.baseline_df,
            "cfi": self.cfi, "tli": self.tli, "rmsea": self.rmsea,
            "rmsea_ci": self.rmsea_ci.to_list(), "srmr": self.srmr,
        }


def baseline_chi2(sample_cov: np.ndarray, n: int) -> tuple[float, int]:
    """Chi-square and df of the independence model (free variances only)."""
    p = sample_cov.shape[0]
    _, logdet_s = np.linalg.slogdet(sample_cov)
    f = float(np.sum(np.log(np.diag(sample_cov))) - logdet_s)
    return n * f, p * (p - 1) // 2


def rmsea_ci(chi2: float, df: int, n: int, level: float = 0.90) -> Interval:
    """lavaan's RMSEA confidence interval from the noncentral chi-square."""
    if df <= 0 or not math.isfinite(chi2):
        return NAN_INTERVAL
    upper_p, lower_p = (1 + level) / 2, (1 - level) / 2

    def ncp_for(prob: float) -> float:
        # P(chi2; df, lambda) falls with lambda: bisect for the lambda where it is prob
        def f(lam: float) -> float:
            return float(special.chndtr(chi2, df, lam) - prob)

        if f(0.0) < 0:  # even a central chi-square puts chi2 below this quantile
            return 0.0
        lo, hi = 0.0, max(chi2, 1.0)
        while f(hi) > 0:
            lo, hi = hi, hi * 2
        while hi - lo > 1e-12 * max(1.0, hi):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if f(mid) > 0 else (lo, mid)
        return (lo + hi) / 2

    lo = ncp_for(upper_p)
    hi = ncp_for(lower_p)
    return Interval(math.sqrt(lo / (df * n)), math.sqrt(hi / (df * n)))


def srmr(sample_cov: np.ndarray, implied_cov: np.ndarray,
         sample_mean: np.ndarray | None = None, implied_mean: np.ndarray | None = None) -> float:
    """Bentler's SRMR over the distinct elements (diagonal included) and, with a mean
    structure, the mean residuals standardized by the observed SDs."""
    sd = np.sqrt(np.diag(sample_cov))
    resid = (sample_cov - implied_cov) / np.outer(sd, sd)
    rows, cols = np.tril_indices(sample_cov.shape[0])
    squares = list(resid[rows, cols] ** 2)
    if sample_mean is not None and implied_mean is not None:
        squares += list(((sample_mean - implied_mean) / sd) ** 2)
    return float(np.sqrt(np.mean(squares)))


def cfi_tli(chi2: float, df: int, baseline_chi2: float, baseline_df: int) -> tuple[float, float]:
    """CFI and TLI of a model against a baseline model (lavaan's definitions): CFI = TLI =
    1 for a saturated model (df 0); TLI is NaN when the baseline's chi2/df is 1.

    >>> cfi_tli(10.0, 8, 200.0, 10)
    (0.9894736842105263, 0.9868421052631579)
    """
    if df == 0:
        return 1.0, 1.0
    d_model = max(chi2 - df, 0.0)
    d_base = max(baseline_chi2 - baseline_df, chi2 - df, 0.0)
    cfi = 1.0 - d_model / d_base if d_base > 0 else 1.0
    if baseline_df > 0 and baseline_chi2 / baseline_df != 1:
        tli = ((baseline_chi2 / baseline_df) - (chi2 / df)) / ((baseline_chi2 / baseline_df) - 1.0)
    else:
        tli = math.nan
    return cfi, tli


def fit_indices(sample_cov: np.ndarray, implied_cov: np.ndarray, n: int, df: int,
                sample_mean: np.ndarray | None = None,
                implied_mean: np.ndarray | None = None, *, chi2: float | None = None,
                baseline: tuple[float, int] | None = None) -> FitIndices:
    """All global fit indices of an ML model (with a mean structure when the means
    are given; the baseline model then has free means, which it fits exactly).

    With missing data (full-information ML) the caller passes ``chi2`` and the
    ``baseline`` (chi2, df), and the EM estimates as the sample moments for SRMR.
    """
    if chi2 is None:
        chi2 = n * ml_discrepancy(sample_cov, implied_cov, sample_mean, implied_mean)
    sr = srmr(sample_cov, implied_cov, sample_mean, implied_mean)
    b_chi2, b_df = baseline if baseline is not None else baseline_chi2(sample_cov, n)
    pvalue = float(special.chdtrc(df, chi2)) if df > 0 else math.nan
    if df == 0:
        # A saturated model: lavaan reports CFI = TLI = 1 and RMSEA = 0 (CI 0, 0).
        return FitIndices(n=n, chi2=chi2, df=0, pvalue=math.nan, baseline_chi2=b_chi2,
                          baseline_df=b_df, cfi=1.0, tli=1.0, rmsea=0.0,
                          rmsea_ci=Interval(0.0, 0.0), srmr=sr)
    cfi, tli = cfi_tli(chi2, df, b_chi2, b_df)
    d_model = max(chi2 - df, 0.0)
    return FitIndices(
        n=n, chi2=chi2, df=df, pvalue=pvalue, baseline_chi2=b_chi2, baseline_df=b_df,
        cfi=cfi, tli=tli, rmsea=math.sqrt(d_model / (df * n)), rmsea_ci=rmsea_ci(chi2, df, n),
        srmr=sr,
    )


def fit_indices_groups(sample_covs: Sequence[np.ndarray], implied_covs: Sequence[np.ndarray],
                       ns: Sequence[int], df: int,
                       sample_means: Sequence[np.ndarray] | None = None,
                       implied_means: Sequence[np.ndarray] | None = None, *, chi2: float,
                       baseline: tuple[float, int]) -> FitIndices:
    """Global fit of a multi-group model, as lavaan: ``chi2`` and the ``baseline``
    (chi2, df) summed over the groups; ``RMSEA = sqrt(G) sqrt(max(chi2 - df, 0) /
    (df N))`` with its CI scaled alike; SRMR the groups' SRMRs weighted by n_g / N."""
    n, G = int(sum(ns)), len(ns)
    sr = float(sum(ng * srmr(S, Sig, None if sample_means is None else sample_means[g],
                             None if implied_means is None else implied_means[g])
                   for g, (ng, S, Sig) in enumerate(zip(ns, sample_covs, implied_covs))) / n)
    b_chi2, b_df = baseline
    if df == 0:
        return FitIndices(n=n, chi2=chi2, df=0, pvalue=math.nan, baseline_chi2=b_chi2,
                          baseline_df=b_df, cfi=1.0, tli=1.0, rmsea=0.0,
                          rmsea_ci=Interval(0.0, 0.0), srmr=sr)
    cfi, tli = cfi_tli(chi2, df, b_chi2, b_df)
    ci = rmsea_ci(chi2, df, n)
    scale = math.sqrt(G)
    return FitIndices(
        n=n, chi2=chi2, df=df, pvalue=float(special.chdtrc(df, chi2)), baseline_chi2=b_chi2,
        baseline_df=b_df, cfi=cfi, tli=tli,
        rmsea=scale * math.sqrt(max(chi2 - df, 0.0) / (df * n)),
        rmsea_ci=Interval(scale * ci.low, scale * ci.high), srmr=sr)
