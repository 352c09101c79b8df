"""Change by group, and the group difference in mean change, gated by groups x time invariance.

For a scale, a pair of waves (from -> to) and the persons with a scale score at both:

- per group, the observed change of :func:`psychometrics.change.observed_change`;
- for each later group g against the reference group r, the difference in mean change
  ``mean(D_g) - mean(D_r)`` with Welch's t test (``t.test(D_g, D_r, var.equal =
  FALSE)``): ``se = sqrt(s_g^2/n_g + s_r^2/n_r)``, Welch-Satterthwaite df, a 95% t
  interval; and Hedges' g of the change scores, ``g = J (mean(D_g) - mean(D_r)) / s_p``
  with the pooled SD ``s_p = sqrt(((n_g - 1) s_g^2 + (n_r - 1) s_r^2) / (n_g + n_r -
  2))`` and ``J = 1 - 3 / (4 (n_g + n_r) - 9)`` (Hedges & Olkin 1985).

The gate: a difference in change between groups means something only on a common
metric, so it is computed only when the groups x time invariance level (the
longitudinal model fitted across groups with equalities across groups and waves) is
partial scalar or higher; otherwise the status is ``"blocked"`` with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from psychometrics import _distributions
from psychometrics.change import ChangeResult
from psychometrics.results import NAN_INTERVAL, Interval, json_object


@dataclass(frozen=True, slots=True)
class GroupDifference:
    """A later group's mean change minus the reference group's."""

    group: str
    reference: str
    status: str
    reason: str
    n: int = 0
    n_reference: int = 0
    mean_diff: float = math.nan
    ci: Interval = NAN_INTERVAL
    se: float = math.nan
    t: float = math.nan
    df: float = math.nan
    p: float = math.nan
    hedges_g: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        return json_object({
            "group": self.group, "reference": self.reference, "status": self.status,
            "reason": self.reason, "n": self.n, "n_reference": self.n_reference,
            "mean_change_diff": self.mean_diff, "mean_change_diff_ci": self.ci.to_list(),
            "se": self.se, "welch_t": self.t, "welch_df": self.df, "p": self.p,
            "hedges_g": self.hedges_g})


def welch_difference(d_group: np.ndarray, d_ref: np.ndarray, group: str,
                     reference: str) -> GroupDifference:
    """Welch's t and Hedges' g of ``d_group`` against ``d_ref`` (formulas above).

    >>> # In R: t.test(c(1, 2, 3, 4), c(0, 1, 1, 2))  # t = 1.963961, df = 5.068966
    >>> r = welch_difference(np.array([1., 2, 3, 4]), np.array([0., 1, 1, 2]), "b", "a")
    >>> round(r.t, 4), round(r.df, 4), round(r.hedges_g, 4)
    (1.964, 5.069, 1.2076)
    """
    a, b = np.asarray(d_group, float), np.asarray(d_ref, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    n1, n2 = len(a), len(b)
    if n1 < 2 or n2 < 2:
        return GroupDifference(group, reference, status="too_few_cases", reason=f"{n1} and "
                               f"{n2} persons with a change score; at least 2 per group are "
                               "needed", n=n1, n_reference=n2)
    v1, v2 = a.var(ddof=1), b.var(ddof=1)
    diff = float(a.mean() - b.mean())
    se = math.sqrt(v1 / n1 + v2 / n2)
    if se == 0:
        return GroupDifference(group, reference, status="no_variance",
                               reason="the change scores do not vary", n=n1, n_reference=n2,
                               mean_diff=diff)
    df = (v1 / n1 + v2 / n2) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    t = diff / se
    q = float(_distributions.t_ppf(0.975, df))
    pooled = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    g = (1 - 3 / (4 * (n1 + n2) - 9)) * diff / pooled if pooled > 0 else math.nan
    return GroupDifference(group, reference, status="ok", reason="", n=n1, n_reference=n2,
                           mean_diff=diff, ci=Interval(diff - q * se, diff + q * se), se=se,
                           t=t, df=float(df), p=float(2 * _distributions.t_sf(abs(t), df)), hedges_g=g)


@dataclass(frozen=True, slots=True)
class ChangeByGroup:
    """Change of one scale between two waves per group, and the group differences."""

    scale: str
    wave_from: str
    wave_to: str
    status: str
    reason: str
    level: str
    groups: dict[str, ChangeResult]
    differences: dict[str, GroupDifference]

    def to_dict(self) -> dict[str, Any]:
        return json_object({
            "status": self.status, "reason": self.reason, "group_invariance_level": self.level,
            "groups": {g: c.to_dict() for g, c in self.groups.items()},
            "difference": {g: d.to_dict() for g, d in self.differences.items()}})
