"""The size of non-invariance and what it does to an observed change.

For an item whose loading or intercept was released at a later (focal) wave ``F``,
with the first wave as reference ``R``, the model's expected item score at latent
level eta is ``nu + lambda eta`` at each wave. Their difference
``D(eta) = (nu_F - nu_R) + (lambda_F - lambda_R) eta`` is what the non-invariance
adds to the item at that wave. Integrated over the focal latent distribution
``eta ~ N(alpha_F, psi_F)``:

- ``mean_bias = E[D] = (nu_F - nu_R) + (lambda_F - lambda_R) alpha_F``, in response
  units, signed (positive: the item is answered higher at the later wave than an
  invariant item would be);
- ``dMACS = sqrt(E[D^2]) / SD_pooled`` with ``E[D^2] = mean_bias^2 +
  (lambda_F - lambda_R)^2 psi_F`` and ``SD_pooled`` the item's pooled SD over the two
  waves (Nye & Drasgow 2011, with the later wave as focal group). Nye, Bradburn,
  Olenick, Bialko & Drasgow (2019) read .2, .4 and .6 as small, medium and large.

The bias of a scale score's observed change between waves a and b is, for a scale
scored as the mean of its k items, ``sum_i (mean_bias_i(b) - mean_bias_i(a)) / k``
(``mean_bias`` is 0 at the reference wave and for invariant items).

References: Nye & Drasgow (2011), Journal of Applied Psychology 96, 966-980; Nye et al.
(2019), Organizational Research Methods 22, 678-709.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from psychometrics.results import json_object


@dataclass(frozen=True, slots=True)
class NonInvariance:
    """One released parameter and its size.

    Attributes
    ----------
    item, wave : str
        The item and the (later) wave where its parameter was released.
    parameter : str
        ``"loading"``, ``"intercept"`` or ``"loading+intercept"``.
    dmacs : float
        ``sqrt(E[D^2]) / SD_pooled`` (Nye & Drasgow 2011).
    mean_bias : float
        ``E[D]`` in response units, signed.
    delta_loading, delta_intercept : float
        ``lambda_F - lambda_R`` and ``nu_F - nu_R``.
    """


    item: str
    wave: str
    parameter: str  # "loading", "intercept" or "loading+intercept"
    dmacs: float
    mean_bias: float
    delta_loading: float
    delta_intercept: float
    #: Across groups: the focal group (against the reference group at the same wave).
    group: str = ""

    def to_dict(self) -> dict[str, Any]:
        return json_object({"item": self.item, "wave": self.wave, "parameter": self.parameter,
                            "dmacs": self.dmacs, "mean_bias": self.mean_bias,
                            "delta_loading": self.delta_loading,
                            "delta_intercept": self.delta_intercept,
                            **({"group": self.group} if self.group else {})})


def dmacs(d_intercept: float, d_loading: float, mean_focal: float, var_focal: float,
          sd_pooled: float) -> tuple[float, float]:
    """``(dMACS, mean_bias)`` of one item at one focal wave (formulas above)."""
    bias = d_intercept + d_loading * mean_focal
    second = bias ** 2 + d_loading ** 2 * var_focal
    size = math.sqrt(second) / sd_pooled if sd_pooled > 0 else math.nan
    return size, bias


def pooled_sd(a: np.ndarray, b: np.ndarray) -> float:
    """Pooled within-wave SD of two samples of an item (missing answers ignored)."""
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) + len(b) <= 2:
        return math.nan
    ss = ((len(a) - 1) * a.var(ddof=1) if len(a) > 1 else 0.0) + \
         ((len(b) - 1) * b.var(ddof=1) if len(b) > 1 else 0.0)
    return math.sqrt(ss / (len(a) + len(b) - 2))


def noninvariance_sizes(table: pd.DataFrame, released: Sequence[tuple[str, str, str]],
                        wide: pd.DataFrame, items: Sequence[str], waves: Sequence[str],
                        column: Callable[[str, str], str],
                        factor: Callable[[str], str]) -> tuple[NonInvariance, ...]:
    """Sizes of the released loadings and intercepts in the fitted ``table``.

    ``released`` holds (kind, item, wave); ``wide`` the data (columns ``column(item,
    wave)``), ``column`` and ``factor`` name the model's variables.
    """
    est = {(r.lhs, r.op, r.rhs): r.est for r in table.itertuples(index=False)}
    kinds: dict[tuple[str, str], set[str]] = {}
    for kind, item, wave in released:
        if kind in ("loading", "intercept"):
            kinds.setdefault((item, wave), set()).add(kind)
    out = []
    ref = waves[0]
    for (item, wave), what in kinds.items():
        f_r, f_f = factor(ref), factor(wave)
        c_r, c_f = column(item, ref), column(item, wave)
        d_l = est[(f_f, "=~", c_f)] - est[(f_r, "=~", c_r)]
        d_n = est[(c_f, "~1", "")] - est[(c_r, "~1", "")]
        size, bias = dmacs(d_n, d_l, est[(f_f, "~1", "")], est[(f_f, "~~", f_f)],
                           pooled_sd(wide[c_r].to_numpy(float), wide[c_f].to_numpy(float)))
        out.append(NonInvariance(item, wave, "+".join(sorted(what, reverse=True)), size,
                                 bias, d_l, d_n))
    order = {w: k for k, w in enumerate(waves)}
    return tuple(sorted(out, key=lambda x: (order[x.wave], list(items).index(x.item))))


def change_bias(sizes: Sequence[NonInvariance], n_items: int, wave_from: str,
                wave_to: str) -> float:
    """Expected bias of the observed change of a mean-scored scale from ``wave_from``
    to ``wave_to`` caused by the released parameters, in response units."""
    at = {w: sum(s.mean_bias for s in sizes if s.wave == w) for w in (wave_from, wave_to)}
    return (at[wave_to] - at[wave_from]) / n_items
