"""Confirmatory factor analysis of ordered items by WLSMV (lavaan's ``ordered = TRUE``).

One factor per scale, its items loading on it, factors correlated, factor variances
fixed at 1 (``std.lv = TRUE``), delta parameterization; thresholds and polychorics
(:mod:`psychometrics.sem.ordinal`), DWLS with robust SEs and the scaled-shifted test
(:mod:`psychometrics.sem.dwls`). Missing answers ``"pairwise"`` (default) or
``"listwise"`` (lavaan 0.6.14's own default for WLSMV). An item answered in fewer than
two categories cannot be modelled: the model is then refused with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from psychometrics.results import json_object
from psychometrics.sem import Row, build_table, to_lavaan
from psychometrics.sem.dwls import DWLSFit, fit_dwls
from psychometrics.sem.ordinal import MISSING, ordinal_moments

MIN_CASES_PER_PARAMETER = 5


def ordinal_cfa_rows(factors: Mapping[str, Sequence[str]],
                     n_thresholds: Mapping[str, int]) -> list[Row]:
    """Rows of a correlated-factors CFA of ordered items (std.lv, delta)."""
    rows = [Row(f, "=~", item) for f, items in factors.items() for item in items]
    for items in factors.values():
        for item in items:
            rows += [Row(item, "|", f"t{k}") for k in range(1, n_thresholds[item] + 1)]
            rows += [Row(item, "~1", value=0.0), Row(item, "~~", item, value=1.0),
                     Row(item, "~*~", item, value=1.0)]
    names = list(factors)
    for a, fa in enumerate(names):
        rows += [Row(fa, "~~", fa, value=1.0), Row(fa, "~1", value=0.0)]
        rows += [Row(fa, "~~", fb) for fb in names[a + 1:]]
    return rows


@dataclass(frozen=True, slots=True)
class OrdinalCFAResult:
    """A WLSMV CFA: the fit, standardized loadings with SEs, thresholds.

    Attributes
    ----------
    name : str
        The model's name (a scale and wave, or the instrument and wave).
    status, reason : str
        ``"ok"``, or why there are no numbers (``"blocked"`` when an item was answered
        in fewer than two categories, ``"too_few_cases"``, a failed fit).
    n_total, n : int
        Rows given; persons used.
    fit : DWLSFit or None
        The DWLS fit (estimates, robust SEs, scaled-shifted test, indices).
    syntax : str
        The lavaan syntax of the model, with its thresholds.
    notes : tuple of str
        Cautions (few cases per parameter, pairwise n).
    missing_rule : {"pairwise", "listwise"}
    estimator : str
        ``"WLSMV"``.

    Examples
    --------
    A fitted result: :func:`fit_cfa_ordinal`. One that cannot be fitted keeps its status
    and reason and has no numbers:

    >>> import pandas as pd
    >>> from psychometrics import fit_cfa_ordinal
    >>> data = pd.DataFrame({"a": [1, 2, 3, 2], "b": [2, 2, 2, 2], "c": [1, 3, 2, 3]})
    >>> res = fit_cfa_ordinal(data, {"f": ["a", "b", "c"]})
    >>> res.status, res.fit is None
    ('blocked', True)
    >>> res.reason
    'b answered in fewer than two categories: an ordered item without variation cannot be modelled'
    """

    name: str
    status: str
    reason: str
    n_total: int
    n: int
    fit: DWLSFit | None = field(repr=False, default=None)
    syntax: str = field(repr=False, default="")
    notes: tuple[str, ...] = ()
    missing_rule: str = "pairwise"
    estimator: str = "WLSMV"

    def to_dict(self) -> dict[str, Any]:
        f = self.fit
        ok = f is not None and self.status == "ok"
        out = {"status": self.status, "reason": self.reason, "notes": list(self.notes),
               "estimator": self.estimator, "n": self.n, "n_total": self.n_total,
               "missing_rule": self.missing_rule, "rmsea_ci": [None, None],
               "aic": None, "bic": None}
        numbers = f.fit_dict() if f is not None else {}
        numbers.pop("n", None)
        if not ok:  # an inadmissible or failed model gets no fit numbers
            numbers = {k: (v if k in ("estimator", "parameterization", "npar", "df",
                                      "robust_reason") else None) for k, v in numbers.items()}
        out.update(numbers)
        t = f.table if f is not None else pd.DataFrame(columns=["op", "rhs", "lhs"])
        load = t[t["op"] == "=~"]
        out["loadings_std"] = {r: (float(v) if ok else None)
                               for r, v in zip(load["rhs"], load.get("std_all", []))}
        out["loadings_std_se"] = {r: (float(v) if ok else None)
                                  for r, v in zip(load["rhs"], load.get("std_se", []))}
        out["thresholds"] = f.thresholds if (ok and f is not None) else None
        factors = list(dict.fromkeys(load["lhs"]))
        cor = t[(t["op"] == "~~") & t["lhs"].isin(factors) & (t["lhs"] != t["rhs"])]
        out["factor_correlations"] = ([{"lhs": a, "rhs": b, "std_all": float(e), "se": float(s)}
                                       for a, b, e, s in zip(cor["lhs"], cor["rhs"], cor["est"],
                                                             cor["se"])] if ok else [])
        return json_object(out)

    def summary(self) -> str:
        if self.fit is None or self.status != "ok":
            return f"{self.name}: {self.status} ({self.reason})"
        f = self.fit
        return (f"{self.name} (WLSMV): scaled chi2({f.df}) = {f.chi2_scaled:.2f}, p = "
                f"{f.pvalue_scaled:.3f}, CFI {f.cfi_scaled:.3f}, TLI {f.tli_scaled:.3f}, "
                f"RMSEA {f.rmsea_scaled:.3f}, SRMR {f.srmr:.3f}, n {self.n}")


def fit_cfa_ordinal(data: pd.DataFrame, factors: Mapping[str, Sequence[str]],
                    name: str = "cfa", *, missing: str = "pairwise") -> OrdinalCFAResult:
    """Fit a CFA of ordered items (one factor per entry of ``factors``) by WLSMV.

    Two steps, as lavaan: thresholds and polychoric correlations with their
    asymptotic covariance matrix (Muthén 1984), then diagonally weighted least
    squares on them (delta parameterization, std.lv identification), robust
    (sandwich) standard errors and the mean-and-variance adjusted test
    (``scaled = chi2 / scaling_factor + shift_parameter``).

    In R: ``lavaan::cfa(model, data, ordered = TRUE, estimator = "WLSMV",
    std.lv = TRUE, missing = "pairwise")``.

    Parameters
    ----------
    data : DataFrame
        The items as integer categories (NaN where unanswered).
    factors : mapping of str to sequence of str
        Each factor and its items.
    name : str
        The model's name in results and in the lavaan syntax.
    missing : {"pairwise", "listwise"}
        Each polychoric from the persons who answered both items (lavaan's
        ``missing = "pairwise"``), or only persons who answered every item
        (lavaan 0.6.14's own default for WLSMV).

    Returns
    -------
    OrdinalCFAResult

    Raises
    ------
    ValueError
        ``missing`` is not one of its allowed values.

    References
    ----------
    Muthén, B. (1984). A general structural equation model with dichotomous,
    ordered categorical, and continuous latent variable indicators. Psychometrika,
    49, 115-132.

    Asparouhov, T., & Muthén, B. (2010). Simple second order chi-square correction.
    Mplus technical appendix.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from psychometrics import fit_cfa_ordinal
    >>> rng = np.random.default_rng(1)
    >>> f = rng.standard_normal(300)
    >>> x = 0.7 * f[:, None] + np.sqrt(0.51) * rng.standard_normal((300, 4))
    >>> data = pd.DataFrame(np.digitize(x, [-1.0, 0.0, 1.0]) + 1, columns=list("abcd"))
    >>> res = fit_cfa_ordinal(data, {"f": ["a", "b", "c", "d"]})
    >>> d = res.to_dict()
    >>> res.status, round(d["chi2"], 3), round(d["chi2_scaled"], 3), d["df"]
    ('ok', 2.316, 4.308, 2)
    >>> [round(v, 3) for v in d["loadings_std"].values()]  # lavaan: 0.737 0.671 0.664 0.683
    [0.737, 0.671, 0.664, 0.683]
    """
    if missing not in MISSING:
        raise ValueError(f"The 'missing' parameter of fit_cfa_ordinal must be one of "
                         f"{', '.join(MISSING)}. Got {missing!r} instead.")
    items = [it for its in factors.values() for it in its]
    x = data[items].to_numpy(float)
    n_total = len(x)
    used = ~np.isnan(x).any(axis=1) if missing == "listwise" else ~np.isnan(x).all(axis=1)
    base: dict[str, Any] = {"name": name, "n_total": n_total, "n": int(used.sum()), "missing_rule": missing}
    counts = {it: len(np.unique(x[used, j][~np.isnan(x[used, j])])) for j, it in enumerate(items)}
    flat = [it for it, c in counts.items() if c < 2]
    if flat:
        return OrdinalCFAResult(status="blocked", reason=f"{', '.join(flat)} answered in fewer "
                                "than two categories: an ordered item without variation cannot "
                                "be modelled", **base)
    om = ordinal_moments(x, items, missing=missing)
    if om.pair_n is not None and np.any(om.pair_n[np.tril_indices(len(items), -1)] < 2):
        return OrdinalCFAResult(status="too_few_cases", reason="some pair of items was answered "
                                "together by fewer than 2 persons", **base)
    n_th = dict(zip(items, om.n_thresholds))
    table = build_table(ordinal_cfa_rows(factors, n_th))
    syntax = to_lavaan(table, header=f"{name}: fit with lavaan(model, data, ordered = TRUE, "
                       f"estimator = 'WLSMV', missing = '{missing}')")
    fit = fit_dwls(table, om)
    notes = []
    if fit.npar and om.n / fit.npar < MIN_CASES_PER_PARAMETER:
        notes.append(f"{om.n / fit.npar:.1f} cases per free parameter (fewer than "
                     f"{MIN_CASES_PER_PARAMETER}): the estimates are unstable")
    if missing == "pairwise" and om.pair_n is not None and om.pair_n.min() < om.n:
        notes.append(f"pairwise: each polychoric from the persons who answered both items "
                     f"({om.pair_n.min()} to {om.pair_n.max()} of {om.n})")
    reason = fit.reason
    if fit.status == "ok" and fit.df == 0:
        reason = ("just identified (df = 0): the model reproduces the polychorics exactly, so "
                  "its fit cannot be tested; chi2 is 0 and CFI, TLI and RMSEA are undefined")
    return OrdinalCFAResult(status=fit.status, reason=reason, fit=fit, syntax=syntax,
                            notes=tuple(notes), **base)
