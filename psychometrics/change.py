"""Change in scale scores between waves, produced only where measurement is invariant.

For a scale and a pair of waves (from -> to), among the persons with a scale score
at both (n):

- observed change ``D = x_to - x_from``: mean difference with its 95% t interval,
  paired t test (``t.test(x_to, x_from, paired = TRUE)``), Wilcoxon signed-rank test
  as a robustness check;
- effect sizes for repeated measures (Lakens 2013): ``d_z = mean(D) / sd(D)`` and
  ``d_av = mean(D) / ((sd_from + sd_to) / 2)``; every SD with denominator n - 1 (R's
  ``sd()``). The CI of d_z inverts the noncentral t of ``t = d_z sqrt(n)``; the CI
  of d_av is that interval rescaled by ``sd(D) / mean SD`` (approximate: the ratio
  is treated as fixed);
- reliable change (Jacobson & Truax 1991): ``RCI = D / (sqrt(2) SD_from sqrt(1 - r))``
  with SD_from the SD at the first wave of these n persons and r the reliability
  (Cronbach's alpha, or omega total) at the first wave; each person is classed
  improved (RCI > 1.96 in the scale's good direction), deteriorated, or unchanged;
  the shares are of the n persons;
- the latent mean change from the invariance result.

The gate: a change is computed only when the scale's invariance level is partial
scalar, scalar, partial strict or strict; otherwise its status is ``"blocked"``, the
reason names the step that failed and why, and no statistic is written.
``ignore_invariance=True`` computes the observed change anyway, marked
``"unverified"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from instruments.scoring import mean_of_answered
from psychometrics import _distributions
from psychometrics._solvers import find_root
from psychometrics.results import NAN_INTERVAL, Interval, json_object

RCI_CUT = 1.959963984540054
Z975 = 1.959963984540054


class _Labels(TypedDict):
    """The labels every :class:`ChangeResult` of one call to :func:`observed_change` shares."""

    scale: str
    wave_from: str
    wave_to: str
    reliability_kind: str
    higher_is_better: bool


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """Observed change of one scale between two waves (or why there is none).

    Returned by :func:`observed_change`; ``to_dict()`` is an entry of a scale's
    ``change`` in results.json. A change blocked by the invariance gate has status
    ``"blocked"``, the failed step as its reason, and no statistic.

    Attributes
    ----------
    scale, wave_from, wave_to : str
    status, reason : str
        ``"ok"``, ``"blocked"``, ``"too_few_cases"`` or ``"no_variance"``.
    n : int
        Persons with a score at both waves.
    mean_diff, mean_diff_ci : float, Interval
        Mean of ``x_to - x_from`` and its 95% t interval.
    sd_diff : float
    t, df, p : float, int, float
        The paired t test.
    wilcoxon_v, wilcoxon_p : float
        The Wilcoxon signed-rank test (V as R reports it).
    d_z, d_z_ci : float, Interval
        ``mean(D) / sd(D)`` with its noncentral-t interval.
    d_av, d_av_ci : float, Interval
        ``mean(D) / ((sd_from + sd_to) / 2)`` with its (approximate) interval.
    reliability, reliability_kind : float, str
        The first wave's reliability used for the reliable-change index.
    rci_improved, rci_unchanged, rci_deteriorated : float
        Shares of the n persons in each reliable-change class.
    higher_is_better : bool
    classes : DataFrame
        Per person: ``id``, ``diff``, ``rci``, ``rci_class``.
    latent : dict or None
        The latent mean change from the invariance result.
    unverified : bool
        Computed with ``ignore_invariance=True`` past a failed gate.
    bias_from_noninvariance : float
        The part of ``mean_diff`` the released parameters are expected to cause.
    invariant_items : dict or None
        The same change on the items whose parameters stayed equal.

    Examples
    --------
    >>> import numpy as np
    >>> from psychometrics import observed_change
    >>> x0 = np.array([3.0, 3.5, 2.5, 4.0, 3.0, 3.5, 2.0, 4.5])
    >>> x1 = np.array([3.5, 4.0, 2.5, 4.5, 4.0, 3.5, 3.0, 4.5])
    >>> c = observed_change(x0, x1, np.arange(8), scale="agree", wave_from="T0",
    ...                     wave_to="T1", reliability=0.8)
    >>> c.key, c.to_dict()["status"], c.to_dict()["n"]
    ('T0->T1', 'ok', 8)
    """

    scale: str
    wave_from: str
    wave_to: str
    status: str
    reason: str
    n: int = 0
    mean_diff: float = math.nan
    mean_diff_ci: Interval = NAN_INTERVAL
    sd_diff: float = math.nan
    t: float = math.nan
    df: int = 0
    p: float = math.nan
    wilcoxon_v: float = math.nan
    wilcoxon_p: float = math.nan
    d_z: float = math.nan
    d_z_ci: Interval = NAN_INTERVAL
    d_av: float = math.nan
    d_av_ci: Interval = NAN_INTERVAL
    reliability: float = math.nan
    reliability_kind: str = "alpha"
    rci_improved: float = math.nan
    rci_unchanged: float = math.nan
    rci_deteriorated: float = math.nan
    higher_is_better: bool = True
    classes: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    latent: dict[str, Any] | None = None
    unverified: bool = False
    #: Expected bias of ``mean_diff`` (response units) from the released parameters.
    bias_from_noninvariance: float = math.nan
    #: The observed change on the items whose parameters stayed equal across waves.
    invariant_items: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return f"{self.wave_from}->{self.wave_to}"

    def to_dict(self) -> dict[str, Any]:
        """The change as plain JSON types (NaN as ``None``); the per-person classes
        are left out (they go to ``change.csv``).

        Returns
        -------
        dict
        """
        return json_object({
            "status": self.status, "reason": self.reason, "unverified": self.unverified,
            "n": self.n, "mean_diff": self.mean_diff, "mean_diff_ci": self.mean_diff_ci.to_list(),
            "sd_diff": self.sd_diff, "t": self.t, "df": self.df if self.n else None, "p": self.p,
            "wilcoxon_v": self.wilcoxon_v, "wilcoxon_p": self.wilcoxon_p,
            "d_z": self.d_z, "d_z_ci": self.d_z_ci.to_list(), "d_av": self.d_av,
            "d_av_ci": self.d_av_ci.to_list(), "rci_reliability": self.reliability,
            "rci_reliability_kind": self.reliability_kind,
            "higher_is_better": self.higher_is_better,
            "rci_improved": self.rci_improved, "rci_unchanged": self.rci_unchanged,
            "rci_deteriorated": self.rci_deteriorated, "latent": self.latent,
            "bias_from_noninvariance": self.bias_from_noninvariance,
            "invariant_items": self.invariant_items,
        })


def noncentral_t_interval(t_obs: float, df: int, level: float = 0.95) -> Interval:
    """Noncentrality parameters whose t distribution puts ``t_obs`` at the upper and
    lower (1 - level)/2 tails (the MBESS-style interval for a standardized mean): each
    the root of ``cdf(ncp) - p`` by Brent's method to 1e-12
    (:func:`psychometrics._solvers.find_root`)."""
    if not math.isfinite(t_obs) or df < 1:
        return NAN_INTERVAL
    if t_obs < 0:  # scipy's nct.cdf gives NaN far in the left tail; use the symmetry
        flipped = noncentral_t_interval(-t_obs, df, level)
        return Interval(-flipped.high, -flipped.low)
    a = (1 - level) / 2

    def cdf(ncp: float) -> float:
        value = _distributions.nct_cdf(t_obs, df, ncp)
        if math.isnan(value):  # scipy fails far in a tail: the value there is 1 or 0
            return 1.0 if ncp < t_obs else 0.0
        return value

    def solve(prob: float) -> float:
        def f(ncp: float) -> float:
            return cdf(ncp) - prob

        lo, hi = t_obs - 10.0, t_obs + 10.0
        while f(lo) < 0:
            lo -= 10.0
        while f(hi) > 0:
            hi += 10.0
        return find_root(f, lo, hi, xtol=1e-12).root

    return Interval(solve(1 - a), solve(a))


def observed_change(x_from: np.ndarray, x_to: np.ndarray, ids: np.ndarray, *, scale: str,
                    wave_from: str, wave_to: str, reliability: float,
                    reliability_kind: str = "alpha", higher_is_better: bool = True) -> ChangeResult:
    """Observed change between two waves for persons with both scores (vectorized).

    For the n persons with a score at both waves, ``D = x_to - x_from``: the mean
    difference with its 95% t interval, the paired t test, the Wilcoxon signed-rank
    test (zeros dropped, continuity correction), ``d_z = mean(D) / sd(D)`` with the
    noncentral-t interval, ``d_av = mean(D) / ((sd_from + sd_to) / 2)`` with that
    interval rescaled by ``sd(D) / mean SD`` (approximate), and the reliable-change
    index ``RCI = D / (sqrt(2) SD_from sqrt(1 - r))`` with each person classed
    improved (RCI > 1.96 in the scale's good direction), deteriorated or unchanged.
    Every SD has denominator n - 1. This function does not apply the invariance
    gate; :func:`validate` does.

    In R: ``t.test(x_to, x_from, paired = TRUE)``; ``wilcox.test(x_to, x_from,
    paired = TRUE)``; ``MBESS::ci.sm`` for the interval of d_z.

    Parameters
    ----------
    x_from, x_to : ndarray
        Scale scores at the two waves, aligned by person, NaN where missing.
    ids : ndarray
        The persons' ids (for ``classes``).
    scale, wave_from, wave_to : str
        Labels of the result.
    reliability : float
        The first wave's reliability for the RCI (NaN: no RCI, said in ``reason``).
    reliability_kind : str
        What ``reliability`` is (``"alpha"`` or ``"omega"``).
    higher_is_better : bool
        The scale's good direction.

    Returns
    -------
    ChangeResult
        The statistics, the per-person classes, ``status`` and ``reason``; with
        fewer than 3 persons status ``"too_few_cases"``.

    References
    ----------
    Lakens, D. (2013). Calculating and reporting effect sizes to facilitate
    cumulative science: a practical primer for t-tests and ANOVAs. Frontiers in
    Psychology, 4, 863.

    Jacobson, N. S., & Truax, P. (1991). Clinical significance: A statistical
    approach to defining meaningful change in psychotherapy research. Journal of
    Consulting and Clinical Psychology, 59, 12-19.

    Examples
    --------
    >>> import numpy as np
    >>> from psychometrics import observed_change
    >>> x0 = np.array([3.0, 3.5, 2.5, 4.0, 3.0, 3.5, 2.0, 4.5])
    >>> x1 = np.array([3.5, 4.0, 2.5, 4.5, 4.0, 3.5, 3.0, 4.5])
    >>> c = observed_change(x0, x1, np.arange(8), scale="agree", wave_from="T0",
    ...                     wave_to="T1", reliability=0.8)
    >>> round(c.mean_diff, 4), [round(v, 4) for v in c.mean_diff_ci.to_list()]
    (0.4375, [0.0887, 0.7863])
    >>> round(c.t, 4), c.df, round(c.p, 4)  # In R: t.test(x1, x0, paired = TRUE)
    (2.9656, 7, 0.0209)
    >>> round(c.d_z, 3), round(c.d_av, 3), c.rci_improved
    (1.049, 0.581, 0.25)
    """

    both = ~np.isnan(x_from) & ~np.isnan(x_to)
    a, b, who = x_from[both], x_to[both], ids[both]
    n = len(a)
    base: _Labels = {"scale": scale, "wave_from": wave_from, "wave_to": wave_to,
                     "reliability_kind": reliability_kind, "higher_is_better": higher_is_better}
    if n < 3:
        return ChangeResult(status="too_few_cases", reason=f"{n} persons with a score at both "
                            "waves; at least 3 are needed", n=n, **base)
    d = b - a
    mean, sd_d = float(d.mean()), float(d.std(ddof=1))
    sd_a, sd_b = float(a.std(ddof=1)), float(b.std(ddof=1))
    df = n - 1
    if sd_d == 0:
        return ChangeResult(status="no_variance", reason="every person changed by the same "
                            "amount; t and d_z are undefined", n=n, mean_diff=mean, **base)
    se = sd_d / math.sqrt(n)
    t = mean / se
    p = float(2 * _distributions.t_sf(abs(t), df))
    q = _distributions.t_ppf(0.975, df)
    ci = Interval(mean - q * se, mean + q * se)
    if np.all(d == 0):
        w_v, w_p = math.nan, math.nan
    else:
        w_v, w_p = _wilcoxon_v(d), _distributions.wilcoxon_p(b, a)
    ncp = noncentral_t_interval(t, df)
    d_z = mean / sd_d
    d_z_ci = Interval(ncp.low / math.sqrt(n), ncp.high / math.sqrt(n))
    sd_av = (sd_a + sd_b) / 2
    d_av = mean / sd_av if sd_av > 0 else math.nan
    ratio = sd_d / sd_av if sd_av > 0 else math.nan
    d_av_ci = Interval(d_z_ci.low * ratio, d_z_ci.high * ratio)
    classes = pd.DataFrame({"id": who, "diff": d})
    rci_status = ""
    if math.isfinite(reliability) and reliability < 1 and sd_a > 0:
        se_diff = math.sqrt(2) * sd_a * math.sqrt(1 - reliability)
        rci = d / se_diff
        good = rci if higher_is_better else -rci
        cls = np.where(good > RCI_CUT, "improved", np.where(good < -RCI_CUT, "deteriorated",
                                                            "unchanged"))
        classes = classes.assign(rci=rci, rci_class=cls)
        shares = {c: float(np.mean(cls == c)) for c in ("improved", "unchanged", "deteriorated")}
    else:
        rci_status = " (reliable change not computed: the baseline reliability is missing)"
        shares = dict.fromkeys(("improved", "unchanged", "deteriorated"), math.nan)
    return ChangeResult(status="ok", reason=rci_status.strip(" ()"), n=n, mean_diff=mean,
                        mean_diff_ci=ci, sd_diff=sd_d, t=t, df=df, p=p, wilcoxon_v=w_v,
                        wilcoxon_p=w_p, d_z=d_z, d_z_ci=d_z_ci, d_av=d_av, d_av_ci=d_av_ci,
                        reliability=reliability, rci_improved=shares["improved"],
                        rci_unchanged=shares["unchanged"],
                        rci_deteriorated=shares["deteriorated"], classes=classes, **base)


def _wilcoxon_v(d: np.ndarray) -> float:
    """R's V: the sum of the ranks of the positive differences (zeros dropped)."""
    nz = d[d != 0]
    ranks = _distributions.rank_average(np.abs(nz))[0]
    return float(ranks[nz > 0].sum())


def invariant_items_change(items: pd.DataFrame, waves: np.ndarray, ids: np.ndarray,
                           invariant: list[str], *, min_answered: float,
                           wave_from: str, wave_to: str) -> dict[str, Any]:
    """The observed change on the invariant items only: each person's mean of the
    answered invariant items (keyed), scored when at least ``ceil(min_answered * k)``
    of the k are answered (the scale's own rule), compared between the waves as
    :func:`observed_change` does."""
    need = max(1, math.ceil(min_answered * len(invariant) - 1e-9))
    score, _ = mean_of_answered(items[invariant].to_numpy(dtype=float), need)
    frame = pd.DataFrame({"id": ids, "wave": waves, "score": score})
    wide = frame.pivot(index="id", columns="wave", values="score")
    res = observed_change(wide[wave_from].to_numpy(), wide[wave_to].to_numpy(),
                          wide.index.to_numpy(), scale="", wave_from=wave_from, wave_to=wave_to,
                          reliability=math.nan)
    return json_object({"items": list(invariant), "n_required": need, "status": res.status,
                        "reason": res.reason if res.status != "ok" else "", "n": res.n,
                        "mean_diff": res.mean_diff, "mean_diff_ci": res.mean_diff_ci.to_list(),
                        "d_z": res.d_z, "d_z_ci": res.d_z_ci.to_list()})


def blocked(scale: str, wave_from: str, wave_to: str, reason: str) -> ChangeResult:
    return ChangeResult(scale=scale, wave_from=wave_from, wave_to=wave_to, status="blocked",
                        reason=reason)


# -- nested data and attrition ----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ClusterSummary:
    """ICC(1) of a variable over clusters and the design effect it implies."""

    icc1: float
    n_clusters: int
    mean_cluster_size: float
    design_effect: float

    def to_dict(self) -> dict[str, Any]:
        return json_object({"icc1": self.icc1, "n_clusters": self.n_clusters,
                            "mean_cluster_size": self.mean_cluster_size,
                            "design_effect": self.design_effect,
                            "naive_p_too_optimistic": bool(self.design_effect > 2)
                            if math.isfinite(self.design_effect) else None})


def icc1(values: np.ndarray, clusters: np.ndarray) -> ClusterSummary:
    """ICC(1) from a one-way ANOVA (``psych::ICC``-style ICC1 with unequal sizes:
    ``(MSB - MSW) / (MSB + (k0 - 1) MSW)``, ``k0 = (N - sum n_j^2 / N) / (J - 1)``) and
    the design effect ``1 + (k0 - 1) ICC``."""
    ok = ~np.isnan(values)
    v, c = values[ok], clusters[ok]
    groups = pd.Series(v).groupby(c)
    nj = groups.size().to_numpy()
    j, n = len(nj), len(v)
    if j < 2 or n - j < 1:
        return ClusterSummary(math.nan, j, float(n / j) if j else math.nan, math.nan)
    means = groups.mean().to_numpy()
    grand = v.mean()
    ssb = float(np.sum(nj * (means - grand) ** 2))
    ssw = float(np.sum((v - groups.transform("mean").to_numpy()) ** 2))
    msb, msw = ssb / (j - 1), ssw / (n - j)
    k0 = (n - np.sum(nj ** 2) / n) / (j - 1)
    icc = (msb - msw) / (msb + (k0 - 1) * msw) if (msb + (k0 - 1) * msw) > 0 else math.nan
    return ClusterSummary(float(icc), j, float(k0), float(1 + (k0 - 1) * icc))


def cluster_robust_se(d: np.ndarray, clusters: np.ndarray) -> float:
    """CR1 cluster-robust SE of the mean of ``d``:
    ``sqrt(J / (J - 1) * sum_j (sum_i in j (d_i - mean))^2) / n``."""
    ok = ~np.isnan(d)
    d, c = d[ok], clusters[ok]
    resid = pd.Series(d - d.mean()).groupby(c).sum().to_numpy()
    j, n = len(resid), len(d)
    if j < 2:
        return math.nan
    return float(math.sqrt(j / (j - 1) * np.sum(resid ** 2)) / n)


def attrition(baseline: pd.DataFrame, completers: np.ndarray, scales: list[str]) -> dict[str, Any]:
    """Completers vs persons seen at the first wave only: counts and the standardized
    mean difference (completers minus dropouts, pooled SD with n - 1) per scale."""
    out: dict[str, Any] = {"n_completers": int(completers.sum()),
                           "n_first_wave_only": int((~completers).sum()), "smd": {}}
    for s in scales:
        a = baseline.loc[completers, s].dropna().to_numpy()
        b = baseline.loc[~completers, s].dropna().to_numpy()
        if len(a) < 2 or len(b) < 2:
            out["smd"][s] = None
            continue
        pooled = math.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1))
                           / (len(a) + len(b) - 2))
        out["smd"][s] = (a.mean() - b.mean()) / pooled if pooled > 0 else None
    return json_object(out)
