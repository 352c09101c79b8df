"""Reliability of a scale: Cronbach's alpha (with a CI), omega total, item analysis.

All on the scale's items after reverse keying. Formulas (k items, C their
covariance matrix with denominator n - 1, R their correlation matrix):

- raw alpha ``= k/(k-1) * (1 - tr(C) / sum(C))``; standardized alpha, the same on R
  (``psych::alpha``: ``raw_alpha``, ``std.alpha``).
- Feldt's interval (``psych::alpha.ci``): with ``df1 = n - 1``,
  ``df2 = (n - 1)(k - 1)``, ``[1 - (1 - alpha) F(1 - a/2; df1, df2),
  1 - (1 - alpha) F(a/2; df1, df2)]``.
- Bootstrap interval (on request): percentile interval of raw alpha over
  ``n_boot`` resamples of persons, seeded and vectorized.
- Omega total (``semTools::compRelSEM`` on a one-factor ``lavaan::cfa``, its default
  ``obs.var = TRUE``): ``(sum lambda)^2 / (1' S 1)`` with lambda the ML loadings of
  the congeneric model (one factor, its variance fixed at 1, fitted by the one ML
  engine, :func:`psychometrics.sem.fit_ml`) and S the sample covariance.
- Item analysis: n, mean, SD (n - 1), % floor and ceiling, % missing (of the
  rows), item-rest correlation (``psych::alpha``'s ``r.drop``), alpha if the item
  is deleted; an item that correlates negatively with the rest is flagged (a
  likely keying error).

Missing data: ``missing="listwise"`` (default) uses the persons who answered every
item of the scale; ``"pairwise"`` uses all pairs (as ``psych::alpha``'s default),
``n`` is then the number of persons with at least two answers. The rule and both
``n_total`` and ``n`` are reported. For complete data the two agree with
``psych::alpha``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from psychometrics import _distributions
from psychometrics.polychoric import polychoric
from psychometrics.results import NAN_INTERVAL, Interval, json_object
from psychometrics.sem import FitIndices, Moments, Row, build_table, covariance_problem, fit_ml

Missing = Literal["listwise", "pairwise"]

#: Ordinal alpha and omega are computed for response scales with at most this many
#: categories (psych::polychoric refuses more than 8).
MAX_ORDINAL_CATEGORIES = 7

#: The bounds of the bootstrap resamples live in psychometrics.options (MIN_N_BOOT,
#: MAX_N_BOOT), imported here.
from psychometrics.options import MAX_N_BOOT, MIN_N_BOOT  # noqa: E402

#: The one-factor model "fits poorly" for omega's note below these (Hu & Bentler 1999).
POOR_FIT_CFI, POOR_FIT_RMSEA = 0.95, 0.08


@dataclass(frozen=True, slots=True)
class CongenericFit:
    """A fitted one-factor model.

    ``status`` is ``"ok"``, ``"not_identified"`` (fewer than 3 indicators),
    ``"not_positive_definite"``, ``"not_converged"`` or ``"heywood"`` (a residual
    variance below 0, or a standardized loading above 1); ``reason`` says what happened.
    """

    status: str
    reason: str
    n: int
    loadings: np.ndarray
    residual_variances: np.ndarray
    fit: FitIndices | None

    @property
    def std_loadings(self) -> np.ndarray:
        return np.asarray(self.loadings / np.sqrt(self.loadings ** 2 + self.residual_variances))


def fit_congeneric(sample_cov: np.ndarray, n: int) -> CongenericFit:
    """The one-factor model ``Sigma = lambda lambda' + diag(theta)`` (factor variance 1,
    lavaan's ``std.lv = TRUE``) fitted by ML to ``sample_cov`` (denominator N) of ``n``
    cases. Residual variances are not bounded: a Heywood case is reported, not hidden."""
    s = np.asarray(sample_cov, dtype=float)
    p = s.shape[0]
    nan = np.full(p, np.nan)
    if p < 3:
        return CongenericFit("not_identified", f"a one-factor model needs at least 3 items; "
                             f"this scale has {p}", n, nan, nan, None)
    problem = covariance_problem(s)
    if problem and problem[0] == "no_variance":
        return CongenericFit("not_identified", "an item has no variance", n, nan, nan, None)
    if problem:
        return CongenericFit(*problem, n, nan, nan, None)
    names = tuple(f"x{j}" for j in range(p))
    rows = ([Row("f", "=~", x) for x in names] + [Row("f", "~~", "f", value=1.0)]
            + [Row(x, "~~", x) for x in names])
    ml = fit_ml(build_table(rows), Moments(s, np.zeros(p), n, names))
    if not ml.converged:
        return CongenericFit(ml.status, f"the one-factor ML fit: {ml.reason}", n, nan, nan, None)
    est = ml.table["est"].to_numpy()
    lam, theta = est[:p], est[p + 1:]
    if lam.sum() < 0:  # the sign of a factor is arbitrary; make it point up
        lam = -lam
    status, reason = "ok", ""
    std = lam / np.sqrt(np.abs(lam ** 2 + theta))
    if np.any(theta < 0) or np.any(np.abs(std) > 1):
        status = "heywood"
        reason = "inadmissible solution: a residual variance is negative (Heywood case)"
    return CongenericFit(status, reason, n, lam, theta, ml.fit)


@dataclass(frozen=True, slots=True)
class AlphaResult:
    """Cronbach's alpha (raw and standardized) with its confidence interval.

    Returned by :func:`cronbach_alpha`; ``to_dict()`` gives plain JSON types
    (NaN as ``None``).

    Attributes
    ----------
    status, reason : str
        ``"ok"`` (``reason`` may still note e.g. an item without variance), or why
        alpha is missing: ``"too_few_items"``, ``"no_data"``, ``"too_few_cases"``,
        ``"no_variance"``.
    n_total, n : int
        Rows given, and the persons alpha rests on (complete cases for
        ``"listwise"``; persons with at least two answers for ``"pairwise"``).
    n_items : int
    missing_rule : str
        ``"listwise"`` or ``"pairwise"``.
    alpha, alpha_std : float
        Raw alpha (on covariances) and standardized alpha (on correlations).
    ci : Interval
        ``(low, high)``; NaN ends when it cannot be computed.
    ci_method : str
        ``"Feldt"`` or a description of the bootstrap (resamples, seed).
    level : float
        The interval's confidence level.
    """

    status: str
    reason: str
    n_total: int
    n: int
    n_items: int
    missing_rule: str
    alpha: float
    alpha_std: float
    ci: Interval
    ci_method: str
    level: float

    def to_dict(self) -> dict[str, Any]:
        return json_object({
            "status": self.status, "reason": self.reason, "n_total": self.n_total,
            "n": self.n, "n_items": self.n_items, "missing_rule": self.missing_rule,
            "alpha": self.alpha, "alpha_std": self.alpha_std, "alpha_ci": self.ci.to_list(),
            "alpha_ci_method": self.ci_method, "level": self.level})


@dataclass(frozen=True, slots=True)
class OmegaResult:
    """Omega total from the congeneric model, with that model's fit.

    Returned by :func:`omega_total`.

    Attributes
    ----------
    status, reason : str
        ``"ok"``, or why omega is missing (``"not_identified"``,
        ``"too_few_cases"``, ``"not_positive_definite"``, ``"not_converged"``,
        ``"heywood"``).
    n : int
        Complete cases used.
    omega_total : float
    note : str
        Set when the one-factor model fits poorly (CFI < .95 or RMSEA > .08).
    model : CongenericFit or None
        The fitted one-factor model (loadings, residual variances, fit indices).
    """

    status: str
    reason: str
    n: int
    omega_total: float
    note: str
    model: CongenericFit | None = field(repr=False, default=None)

    def to_dict(self) -> dict[str, Any]:
        fit = self.model.fit.to_dict() if self.model is not None and self.model.fit else None
        return json_object({"status": self.status, "reason": self.reason, "n": self.n,
                            "omega_total": self.omega_total, "note": self.note,
                            "one_factor_fit": fit})


@dataclass(frozen=True, slots=True)
class OrdinalReliability:
    """Ordinal alpha and omega from polychoric correlations (Zumbo, Gadermann &
    Zeisser 2007): the reliability of the continuous responses assumed to underlie
    the Likert answers, not of the observed sum score.

    Returned by :func:`ordinal_reliability`.

    Attributes
    ----------
    status, reason : str
        ``"ok"`` (``reason`` says why ordinal omega may still be missing), or
        ``"not_ordinal"``, ``"too_few_cases"``, ``"too_few_items"``,
        ``"no_variance"``.
    n : int
        Persons who answered every item.
    alpha, omega : float
        Ordinal alpha and ordinal omega.
    polychoric : ndarray
        The polychoric correlation matrix.
    label : str
        What these coefficients are the reliability of.
    """

    status: str
    reason: str
    n: int
    alpha: float
    omega: float
    polychoric: np.ndarray = field(repr=False)
    label: str = ("ordinal (polychoric) reliability: of the latent continuous responses, "
                  "not of the observed scale score")

    def to_dict(self) -> dict[str, Any]:
        return json_object({"status": self.status, "reason": self.reason, "n": self.n,
                            "ordinal_alpha": self.alpha, "ordinal_omega": self.omega,
                            "label": self.label})


def ordinal_reliability(items: pd.DataFrame | np.ndarray, *, low: int, high: int) -> OrdinalReliability:
    """Ordinal alpha and omega of keyed integer items on ``low..high``.

    Ordinal alpha is standardized alpha on the polychoric matrix R (two-step ML
    with each item's thresholds from its own answers, pairs on the persons who
    answered both, :mod:`psychometrics.polychoric`); ordinal omega is
    ``(sum lambda)^2 / (1' R 1)`` from the one-factor ML model fitted to R, with
    ``n`` the persons who answered every item. R is not smoothed when it is not
    positive definite (psych smooths): ordinal omega is then missing, with the
    reason. These are the reliabilities of the latent continuous responses, not of
    the observed scale score.

    In R: ``psych::alpha(psych::polychoric(x)$rho)$total$raw_alpha`` and
    ``semTools::compRelSEM(lavaan::cfa(model, sample.cov = R, sample.nobs = n,
    std.lv = TRUE))``.

    Parameters
    ----------
    items : DataFrame or ndarray, shape (n_persons, k)
        Keyed integer answers, NaN where missing.
    low, high : int
        The response scale; at most ``MAX_ORDINAL_CATEGORIES`` (7) categories.

    Returns
    -------
    OrdinalReliability
        Ordinal alpha and omega with status and reason; with more than 7
        categories, status ``"not_ordinal"`` and no numbers.

    Raises
    ------
    ValueError
        ``items`` cannot be converted to a 2-D float array.

    References
    ----------
    Zumbo, B. D., Gadermann, A. M., & Zeisser, C. (2007). Ordinal versions of
    coefficients alpha and theta for Likert rating scales. Journal of Modern
    Applied Statistical Methods, 6, 21-29.

    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation
    coefficient. Psychometrika, 44, 443-460.

    Examples
    --------
    >>> from instruments import keyed_items, read_responses
    >>> from psychometrics import ordinal_reliability
    >>> from psychometrics.example_study import example_data_path
    >>> r = read_responses(example_data_path(), "tse", id_column="teacher",
    ...                    wave_column="wave")
    >>> x = keyed_items(r, "tse_engagement")[(r.keys["wave"] == "T0").to_numpy()]
    >>> o = ordinal_reliability(x, low=1, high=7)
    >>> o.status, o.n, round(o.alpha, 3), round(o.omega, 3)
    ('ok', 77, 0.901, 0.9)
    """
    x = np.asarray(items, dtype=float)
    k = x.shape[1]
    complete = int((~np.isnan(x).any(axis=1)).sum())
    empty = np.full((k, k), np.nan)
    if high - low + 1 > MAX_ORDINAL_CATEGORIES:
        return OrdinalReliability("not_ordinal", f"{high - low + 1} response categories; "
                                  f"ordinal reliability is computed for at most "
                                  f"{MAX_ORDINAL_CATEGORIES}", complete, math.nan, math.nan, empty)
    if k < 2 or complete <= k:
        return OrdinalReliability("too_few_cases" if k >= 2 else "too_few_items",
                                  f"{complete} complete cases for {k} items", complete,
                                  math.nan, math.nan, empty)
    r = polychoric(x, low, high)
    if not np.isfinite(r).all():
        return OrdinalReliability("no_variance", "an item has no variance; its polychoric "
                                  "correlations are undefined", complete, math.nan, math.nan, r)
    alpha = float(_alpha_from_cov(r))
    if k < 3:
        return OrdinalReliability("ok", "ordinal omega is not identified with 2 items",
                                  complete, alpha, math.nan, r)
    model = fit_congeneric(r, complete)
    if model.status != "ok":
        return OrdinalReliability("ok", f"ordinal omega: {model.reason}", complete, alpha,
                                  math.nan, r)
    omega = float(model.loadings.sum() ** 2 / r.sum())
    return OrdinalReliability("ok", "", complete, alpha, omega, r)


@dataclass(frozen=True, slots=True)
class ScaleReliability:
    """Alpha, omega total and the item analysis of one scale at one wave.

    Returned by :func:`scale_reliability`; ``to_dict()`` is the scale's
    ``reliability`` entry of results.json, ``to_frame()`` the item analysis.

    Attributes
    ----------
    alpha : AlphaResult
    omega : OmegaResult
    items : DataFrame
        The item analysis, one row per item (see :func:`item_analysis`).
    ordinal : OrdinalReliability or None
        Ordinal alpha and omega, when asked for.
    status : str
        The status of alpha.
    """

    alpha: AlphaResult
    omega: OmegaResult
    items: pd.DataFrame = field(repr=False)
    ordinal: OrdinalReliability | None = None

    @property
    def status(self) -> str:
        return self.alpha.status

    def to_frame(self) -> pd.DataFrame:
        return self.items

    def to_dict(self) -> dict[str, Any]:
        a, o = self.alpha, self.omega
        return json_object({
            "status": a.status, "reason": a.reason,
            "n": a.n, "n_total": a.n_total, "missing_rule": a.missing_rule,
            "alpha": a.alpha, "alpha_std": a.alpha_std, "alpha_ci": a.ci.to_list(),
            "alpha_ci_method": a.ci_method,
            "omega_total": o.omega_total, "omega": o.to_dict(),
            "ordinal": None if self.ordinal is None else self.ordinal.to_dict(),
            "items": self.items.to_dict(orient="index"),
        })

    def summary(self) -> str:
        a, o = self.alpha, self.omega
        return (f"alpha {a.alpha:.3f} [{a.ci.low:.3f}, {a.ci.high:.3f}] ({a.ci_method}), "
                f"omega {o.omega_total:.3f}, n {a.n}/{a.n_total} ({a.missing_rule})")


# -- alpha ---------------------------------------------------------------------------

def _alpha_from_cov(c: np.ndarray) -> np.ndarray:
    """Alpha of one covariance matrix (a 0-d array) or of a stack of them."""
    k = c.shape[-1]
    total = c.sum(axis=(-2, -1))
    trace = np.trace(c, axis1=-2, axis2=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(k / (k - 1) * (1.0 - trace / total))


def _covariance(x: np.ndarray, missing: Missing) -> tuple[np.ndarray, int]:
    """Covariance (n - 1) of the columns of ``x`` and the n it rests on."""
    if missing == "listwise":
        complete = x[~np.isnan(x).any(axis=1)]
        n = len(complete)
        if n < 2:
            return np.full((x.shape[1],) * 2, np.nan), n
        return np.cov(complete, rowvar=False, ddof=1), n
    cov = pd.DataFrame(x).cov(min_periods=2).to_numpy()
    n = int(((~np.isnan(x)).sum(axis=1) >= 2).sum())
    return cov, n


def feldt_interval(alpha: float, n: int, k: int, level: float = 0.95) -> Interval:
    """Feldt's analytic interval for alpha (as ``psych::alpha.ci``).

    With ``df1 = n - 1`` and ``df2 = (n - 1)(k - 1)``:
    ``[1 - (1 - alpha) F(1 - a/2; df1, df2), 1 - (1 - alpha) F(a/2; df1, df2)]``,
    ``a = 1 - level``; NaN ends when alpha is not finite or ``n < 2`` or ``k < 2``.

    Examples
    --------
    >>> from psychometrics.reliability import feldt_interval
    >>> [round(v, 4) for v in feldt_interval(0.8861, 77, 4).to_list()]
    [0.838, 0.9226]
    """
    if not math.isfinite(alpha) or n < 2 or k < 2:
        return NAN_INTERVAL
    a = 1 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return Interval(1 - (1 - alpha) * _distributions.f_ppf(1 - a / 2, df1, df2),
                    1 - (1 - alpha) * _distributions.f_ppf(a / 2, df1, df2))


def bootstrap_interval(
    x: np.ndarray, n_boot: int = 2000, level: float = 0.95, seed: int | None = 0,
    progress: Callable[[int, int], None] | None = None, chunk: int = 250,
) -> Interval:
    """Percentile bootstrap interval of raw alpha; ``x`` must be complete (n x k).

    Vectorized over resamples in chunks; ``progress(done, total)`` is called after
    each chunk.
    """
    _check_n_boot(n_boot)
    rng = np.random.default_rng(seed)
    n = x.shape[0]
    if n < 2:
        return NAN_INTERVAL
    out = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        sample = x[rng.integers(0, n, size=(b, n))]  # (b, n, k)
        centred = sample - sample.mean(axis=1, keepdims=True)
        cov = np.einsum("bni,bnj->bij", centred, centred) / (n - 1)
        out[start:start + b] = _alpha_from_cov(cov)
        if progress is not None:
            progress(start + b, n_boot)
    a = (1 - level) / 2
    return Interval(float(np.nanquantile(out, a)), float(np.nanquantile(out, 1 - a)))


def _check_n_boot(n_boot: Any) -> None:
    from instruments.options import Integer, check_options

    check_options("the bootstrap", {"n_boot": n_boot}, {"n_boot": Integer(MIN_N_BOOT, MAX_N_BOOT)})


def cronbach_alpha(
    items: pd.DataFrame | np.ndarray, *, missing: Missing = "listwise",
    ci: Literal["feldt", "bootstrap"] = "feldt", level: float = 0.95,
    n_boot: int = 2000, seed: int | None = 0,
    progress: Callable[[int, int], None] | None = None,
) -> AlphaResult:
    """Cronbach's alpha of keyed items (rows = persons), with a confidence interval.

    Raw alpha is ``k/(k-1) * (1 - tr(C) / sum(C))`` with C the items' covariance
    matrix (denominator n - 1); standardized alpha is the same on their correlation
    matrix. Feldt's interval (default) uses ``df1 = n - 1``, ``df2 = (n - 1)(k - 1)``;
    the bootstrap interval is the percentile interval of raw alpha over ``n_boot``
    resamples of the complete cases (seeded). A statistic that cannot be computed
    is NaN with a ``status`` and ``reason``.

    In R: ``psych::alpha(x)$total$raw_alpha`` and ``std.alpha`` (complete data, or
    ``"pairwise"``); the interval ``psych::alpha.ci(alpha, n, n.var = k)``.

    Parameters
    ----------
    items : DataFrame or ndarray, shape (n_persons, k)
        Keyed answers (reverse-keyed items already reversed), NaN where missing.
    missing : {"listwise", "pairwise"}
        Persons who answered every item, or every pair of items (as
        ``psych::alpha``; ``n`` is then the persons with at least two answers).
    ci : {"feldt", "bootstrap"}
        The interval.
    level : float
        Its confidence level.
    n_boot : int
        Bootstrap resamples, at least ``MIN_N_BOOT`` (1,000).
    seed : int or None
        Seed of the bootstrap.
    progress : callable, optional
        ``progress(done, total)``, called as the bootstrap proceeds.

    Returns
    -------
    AlphaResult
        ``alpha``, ``alpha_std``, ``ci``, ``n``, ``n_total``, ``status``,
        ``reason``.

    Raises
    ------
    OptionError
        ``ci="bootstrap"`` with ``n_boot`` outside [1000, 1000000].
    ValueError
        ``ci`` is neither ``"feldt"`` nor ``"bootstrap"``.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16, 297-334.

    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
    coefficient alpha. Applied Psychological Measurement, 11, 93-103.

    Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap.
    Chapman & Hall.

    Examples
    --------
    >>> import numpy as np
    >>> from psychometrics import cronbach_alpha
    >>> x = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4], [5, 4, 5]], float)
    >>> round(cronbach_alpha(x).alpha, 6)  # In R: psych::alpha(x)$total$raw_alpha
    0.933333

    One scale of the bundled example study, at its first wave:

    >>> from instruments import keyed_items, read_responses
    >>> from psychometrics.example_study import example_data_path
    >>> r = read_responses(example_data_path(), "tse", id_column="teacher",
    ...                    wave_column="wave")
    >>> x = keyed_items(r, "tse_engagement")[(r.keys["wave"] == "T0").to_numpy()]
    >>> a = cronbach_alpha(x)
    >>> a.n, a.n_total, round(a.alpha, 4), round(a.alpha_std, 4)
    (77, 93, 0.8861, 0.8894)
    >>> [round(v, 3) for v in a.ci.to_list()]  # In R: psych::alpha.ci(0.8861, 77, n.var = 4)
    [0.838, 0.923]
    >>> round(cronbach_alpha(x, missing="pairwise").alpha, 4)
    0.8792
    """
    if ci == "bootstrap":
        _check_n_boot(n_boot)
    x = np.asarray(items, dtype=float)
    n_total, k = x.shape
    rule = missing
    if k < 2:
        return _alpha_missing("too_few_items", f"alpha needs at least 2 items; got {k}",
                              n_total, 0, k, rule, ci, level)
    answered = (~np.isnan(x)).any(axis=1).sum()
    if answered == 0:
        return _alpha_missing("no_data", "no answers to any item of the scale",
                              n_total, 0, k, rule, ci, level)
    cov, n = _covariance(x, missing)
    if n < 2:
        return _alpha_missing("too_few_cases", f"{n} case(s) with answers to the items "
                              f"({rule}); alpha needs at least 2", n_total, n, k, rule, ci, level)
    if n < k:
        return _alpha_missing("too_few_cases", f"n = {n} ({rule}) is smaller than the number "
                              f"of items ({k}); alpha would rest on a singular covariance "
                              "matrix", n_total, n, k, rule, ci, level)
    var = np.diag(cov)
    if not np.isfinite(cov).all() or cov.sum() <= 0:
        return _alpha_missing("no_variance", "the items' total has no variance",
                              n_total, n, k, rule, ci, level)
    alpha = float(_alpha_from_cov(cov))
    constant = var <= 0
    status, reason = "ok", ""
    if constant.any():
        reason = f"{int(constant.sum())} item(s) without variance; standardized alpha is undefined"
        alpha_std = math.nan
    else:
        sd = np.sqrt(var)
        alpha_std = float(_alpha_from_cov(cov / np.outer(sd, sd)))
    if ci == "bootstrap":
        complete = x[~np.isnan(x).any(axis=1)]
        interval = bootstrap_interval(complete, n_boot, level, seed, progress)
        method = f"percentile bootstrap ({n_boot} resamples of complete cases, seed {seed})"
    elif ci == "feldt":
        interval = feldt_interval(alpha, n, k, level)
        method = "Feldt"
    else:
        raise ValueError(f"The 'ci' parameter must be 'feldt' or 'bootstrap'. Got {ci!r} instead.")
    return AlphaResult(status, reason, n_total, n, k, rule, alpha, alpha_std, interval,
                       method, level)


def _alpha_missing(status: str, reason: str, n_total: int, n: int, k: int, rule: str, ci: str,
                   level: float) -> AlphaResult:
    return AlphaResult(status, reason, n_total, n, k, rule, math.nan, math.nan, NAN_INTERVAL,
                       "Feldt" if ci == "feldt" else "percentile bootstrap", level)


# -- omega ---------------------------------------------------------------------------

def omega_total(items: pd.DataFrame | np.ndarray, *, missing: Missing = "listwise") -> OmegaResult:
    """McDonald's omega total from the one-factor ML model (listwise complete cases).

    ``(sum lambda)^2 / (1' S 1)`` with lambda the ML loadings of the congeneric
    model (factor variance 1; residual variances not bounded, so a Heywood case is
    reported, not hidden) and S the sample covariance matrix. Pairwise deletion is
    not used for a likelihood fit: omega always uses the complete cases (the
    ``missing`` argument is accepted for symmetry with :func:`cronbach_alpha` and
    not used). A note is set when the one-factor model fits poorly
    (CFI < .95 or RMSEA > .08; Hu & Bentler 1999).

    In R: ``semTools::compRelSEM(lavaan::cfa("f =~ x1 + x2 + ...", data = x,
    std.lv = TRUE))`` (its default ``obs.var = TRUE``).

    Parameters
    ----------
    items : DataFrame or ndarray, shape (n_persons, k)
        Keyed answers, NaN where missing.
    missing : {"listwise", "pairwise"}
        Not used: omega always rests on the complete cases.

    Returns
    -------
    OmegaResult
        ``omega_total``, ``n``, ``status``, ``reason``, ``note`` and the fitted
        one-factor model (``model``, with its fit indices).

    Raises
    ------
    ValueError
        ``items`` cannot be converted to a 2-D float array.

    References
    ----------
    McDonald, R. P. (1999). Test theory: A unified treatment. Erlbaum.

    Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance
    structure analysis. Structural Equation Modeling, 6, 1-55.

    Examples
    --------
    >>> from instruments import keyed_items, read_responses
    >>> from psychometrics import omega_total
    >>> from psychometrics.example_study import example_data_path
    >>> r = read_responses(example_data_path(), "tse", id_column="teacher",
    ...                    wave_column="wave")
    >>> x = keyed_items(r, "tse_engagement")[(r.keys["wave"] == "T0").to_numpy()]
    >>> o = omega_total(x)
    >>> o.status, o.n, round(o.omega_total, 3)  # In R: semTools::compRelSEM(fit)
    ('ok', 77, 0.891)
    >>> round(o.model.fit.cfi, 3), round(o.model.fit.rmsea, 3)
    (1.0, 0.0)
    """
    x = np.asarray(items, dtype=float)
    complete = x[~np.isnan(x).any(axis=1)]
    n, k = complete.shape
    if k < 3:
        return OmegaResult("not_identified", f"omega needs a one-factor model, which is not "
                           f"identified with {k} items", n, math.nan, "")
    if n <= k:
        return OmegaResult("too_few_cases", f"{n} complete cases for {k} items", n, math.nan, "")
    s = np.cov(complete, rowvar=False, ddof=0)
    model = fit_congeneric(s, n)
    if model.status not in ("ok",):
        return OmegaResult(model.status, model.reason, n, math.nan, "", model)
    omega = float(model.loadings.sum() ** 2 / s.sum())
    note = ""
    f = model.fit
    if f is not None and f.df > 0 and (f.cfi < POOR_FIT_CFI or f.rmsea > POOR_FIT_RMSEA):
        note = (f"the one-factor model fits poorly (CFI {f.cfi:.3f}, RMSEA {f.rmsea:.3f}); "
                "omega total assumes the items measure one factor")
    return OmegaResult("ok", "", n, omega, note, model)


# -- item analysis -------------------------------------------------------------------

def item_analysis(items: pd.DataFrame, *, low: int, high: int,
                  missing: Missing = "listwise") -> pd.DataFrame:
    """Per-item statistics of keyed items (columns = items, rows = persons).

    Returns a DataFrame indexed by item with ``n, mean, sd, pct_floor, pct_ceiling,
    pct_missing, item_rest_r, alpha_if_deleted, negative_item_rest``. With
    ``missing="listwise"`` every statistic but ``pct_missing`` (which is of all rows)
    rests on the persons who answered every item; with ``"pairwise"`` the means and
    SDs use every answer to the item and the correlations all pairs.
    """
    x_all = items.to_numpy(dtype=float)
    n_rows, k = x_all.shape
    pct_missing = 100 * np.isnan(x_all).mean(axis=0) if n_rows else np.full(k, np.nan)
    # Listwise: every statistic rests on the same persons (those who answered all).
    x = x_all[~np.isnan(x_all).any(axis=1)] if missing == "listwise" else x_all
    n_rows = x.shape[0]
    answered = ~np.isnan(x)
    n = answered.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(np.where(answered, x, np.nan), axis=0) if n_rows else np.full(k, np.nan)
        sd = np.array([np.std(x[answered[:, j], j], ddof=1) if n[j] > 1 else np.nan
                       for j in range(k)])
        pct_floor = 100 * (x == low).sum(axis=0) / np.where(n > 0, n, np.nan)
        pct_ceiling = 100 * (x == high).sum(axis=0) / np.where(n > 0, n, np.nan)
    cov, n_used = _covariance(x, missing) if n_rows else (np.full((k, k), np.nan), 0)
    rest_r = np.full(k, np.nan)
    alpha_del = np.full(k, np.nan)
    if n_used >= 2 and k >= 2:
        total_cov = cov.sum(axis=1)  # cov(item, total)
        total_var = cov.sum()
        for j in range(k):
            rest_var = total_var - 2 * total_cov[j] + cov[j, j]
            cov_rest = total_cov[j] - cov[j, j]
            denom = math.sqrt(cov[j, j] * rest_var) if cov[j, j] > 0 and rest_var > 0 else math.nan
            rest_r[j] = cov_rest / denom if denom == denom else math.nan
            if k >= 3:
                keep = np.arange(k) != j
                alpha_del[j] = _alpha_from_cov(cov[np.ix_(keep, keep)])
    frame = pd.DataFrame({
        "n": n.astype(int), "mean": mean, "sd": sd, "pct_floor": pct_floor,
        "pct_ceiling": pct_ceiling, "pct_missing": pct_missing,
        "item_rest_r": rest_r, "alpha_if_deleted": alpha_del,
        "negative_item_rest": rest_r < 0,
    }, index=pd.Index(items.columns, name="item"))
    return frame


def scale_reliability(
    items: pd.DataFrame, *, low: int, high: int, missing: Missing = "listwise",
    ci: Literal["feldt", "bootstrap"] = "feldt", n_boot: int = 2000, seed: int | None = 0,
    progress: Callable[[int, int], None] | None = None, ordinal: bool = False,
) -> ScaleReliability:
    """Alpha (with CI), omega total and item analysis of one scale's keyed items;
    with ``ordinal=True`` also ordinal alpha and omega (polychoric).

    The item analysis gives per item n, mean, SD, % floor and ceiling, % missing,
    the item-rest correlation (``psych::alpha``'s ``r.drop``), alpha if the item is
    deleted, and flags a negative item-rest correlation (a likely keying error).

    In R: ``psych::alpha(x)`` (``total``, ``alpha.drop``, ``item.stats$r.drop``)
    and ``semTools::compRelSEM`` on the one-factor ``lavaan::cfa``.

    Parameters
    ----------
    items : DataFrame, shape (n_persons, k)
        Keyed answers, one column per item, NaN where missing.
    low, high : int
        The response scale (for % floor and ceiling and ordinal reliability).
    missing : {"listwise", "pairwise"}
        Missing-data rule of alpha and the item analysis (omega always uses
        complete cases).
    ci : {"feldt", "bootstrap"}
        The interval of alpha.
    n_boot : int
        Bootstrap resamples (``ci="bootstrap"``), at least 1,000.
    seed : int or None
        Seed of the bootstrap.
    progress : callable, optional
        ``progress(done, total)`` during the bootstrap.
    ordinal : bool
        Also compute ordinal alpha and omega (:func:`ordinal_reliability`).

    Returns
    -------
    ScaleReliability
        ``alpha`` (AlphaResult), ``omega`` (OmegaResult), ``items`` (the item
        analysis) and ``ordinal``.

    Raises
    ------
    OptionError
        ``n_boot`` out of range with ``ci="bootstrap"``.
    ValueError
        ``ci`` is not one of its values.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16, 297-334.

    McDonald, R. P. (1999). Test theory: A unified treatment. Erlbaum.

    Revelle, W. psych: Procedures for Psychological, Psychometric, and Personality
    Research. R package; ``alpha``.

    Examples
    --------
    >>> from instruments import keyed_items, read_responses
    >>> from psychometrics import scale_reliability
    >>> from psychometrics.example_study import example_data_path
    >>> r = read_responses(example_data_path(), "tse", id_column="teacher",
    ...                    wave_column="wave")
    >>> x = keyed_items(r, "tse_engagement")[(r.keys["wave"] == "T0").to_numpy()]
    >>> rel = scale_reliability(x, low=1, high=7)
    >>> rel.summary()
    'alpha 0.886 [0.838, 0.923] (Feldt), omega 0.891, n 77/93 (listwise)'
    >>> rel.items["item_rest_r"].round(3).to_dict()
    {'TSE01': 0.702, 'TSE02': 0.75, 'TSE03': 0.784, 'TSE04': 0.793}
    """

    alpha = cronbach_alpha(items, missing=missing, ci=ci, n_boot=n_boot, seed=seed,
                           progress=progress)
    omega = omega_total(items)
    table = item_analysis(items, low=low, high=high, missing=missing)
    polychoric = ordinal_reliability(items, low=low, high=high) if ordinal else None
    return ScaleReliability(alpha=alpha, omega=omega, items=table, ordinal=polychoric)
