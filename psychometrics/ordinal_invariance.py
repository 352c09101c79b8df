"""Longitudinal invariance of a scale whose items are ordered categories (WLSMV).

Models as ``semTools::measEq.syntax(ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016")``
builds them for items with three or more categories (Wu & Estabrook 2016), one factor
per wave, the same item's residuals covarying across every pair of waves:

- ``configural``: loadings and thresholds free at every wave; intercepts 0, scale
  factors 1 (delta), factor variances 1 and means 0;
- ``thresholds``: each item's thresholds equal across waves; at later waves the
  intercepts and scale factors (theta: residual variances) are free;
- ``metric``: + loadings equal; later waves' factor variances free;
- ``scalar``: + intercepts equal (0); later waves' factor means free;
- ``strict``: + residual variances equal (1). Residual variances are parameters only
  under the theta parameterization, so strict is fitted under theta and compared with
  the scalar model refitted under theta (the same fit as under delta); every other
  model under delta.

Fitted by DWLS with robust SEs and the scaled-shifted chi2
(:mod:`psychometrics.sem.dwls`) on the thresholds and polychorics. Missing answers:
``missing = "pairwise"`` (default: every person with an answer; each threshold from
the item's answers, each polychoric from the persons who answered both, as lavaan's
``missing = "pairwise"``; the n of every pair is reported) or ``"listwise"`` (the
persons who answered every item at every wave: lavaan 0.6.14's own default for WLSMV).
Each step is compared with the last accepted model by lavaan's ``lavTestLRT`` for WLSMV
(``delta_chi2_scaled``, ``delta_p_scaled``;
``delta_chi2`` is the raw difference of the DWLS statistics, which has no chi-square
distribution; ``delta_p`` repeats the scaled p, which is lavTestLRT's), and judged by
the decision rule (:mod:`psychometrics.decision_rules`) on the scaled statistics and
the scaled CFI/RMSEA. ``"lrt-calibrated"`` uses the asymptotic scaled p at its
per-test alpha: its parametric bootstrap is built for ML and is not run here.

Partial invariance: when a step is rejected, each remaining constraint of the step's
kind at a later wave is released in turn and the one whose release leaves the smallest
scaled difference (largest p) against the last accepted model is kept; repeat until
accepted or fewer than two constrained items would remain. Releasing an item's
thresholds at a wave also fixes that item's intercept (0) and scale factor (1) at that
wave, as in the configural model: with free thresholds they are not identified.

A category nobody used at some wave leaves a threshold without data there: the scale is
then refused (status ``"blocked"``) with the item, waves and categories named (merge
categories, or use ML). The latent mean change of each later wave, in first-wave
latent SD units, comes from the accepted (partial) scalar model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

import numpy as np
import pandas as pd

from psychometrics.decision_rules import (
    DEFAULT_RULE,
    RULES,
    judge_configural,
    judge_step,
    rule_details,
)
from psychometrics.invariance import LatentMeanChange, _wide, column, factor_name
from psychometrics.noninvariance import NonInvariance
from psychometrics.results import Interval, json_object
from psychometrics.sem import Row, build_table, to_lavaan
from psychometrics.sem.dwls import DWLSFit, ScaledDifference, fit_dwls, scaled_difference
from psychometrics.sem.ordinal import MISSING, OrdinalMoments, ordinal_moments

ORDINAL_STEPS = ("configural", "thresholds", "metric", "scalar", "strict")
_KIND = {"thresholds": "thresholds", "metric": "loading", "scalar": "intercept",
         "strict": "residual"}
ORDINAL_LEVELS = ("none", "configural", "partial_thresholds", "thresholds", "partial_metric",
                  "metric", "partial_scalar", "scalar", "partial_strict", "strict")
_Z = 1.959963984540054


#: A released constraint: (kind, item, wave).
_Release = tuple[str, str, str]


class _Common(TypedDict):
    """The fields every :class:`OrdinalInvarianceResult` of one call shares."""

    scale: str
    rule: str
    waves: tuple[str, ...]
    items: tuple[str, ...]
    n_total: int
    n: int
    missing_rule: str
    pair_n: NotRequired[dict[str, int]]


def ordinal_model_rows(scale: str, items: Sequence[str], waves: Sequence[str], step: str,
                       n_thresholds: dict[str, int], parameterization: str = "delta",
                       freed: Sequence[tuple[str, str, str]] = ()) -> list[Row]:
    """Rows of a Wu-Estabrook model; ``freed`` holds (kind, item, wave) releases (kind
    ``thresholds``, ``loading``, ``intercept`` or ``residual``)."""
    if step not in ORDINAL_STEPS:
        raise ValueError(f"The 'step' parameter must be one of {ORDINAL_STEPS}. "
                         f"Got {step!r} instead.")
    if step == "strict" and parameterization != "theta":
        raise ValueError("strict invariance of ordered items needs the theta parameterization")
    level = ORDINAL_STEPS.index(step)
    eq_th, eq_load, eq_int, eq_res = level >= 1, level >= 2, level >= 3, level >= 4
    released = set(freed)
    theta_param = parameterization == "theta"
    rows: list[Row] = []
    for w in waves:
        for it in items:
            lab = f"l_{it}" if eq_load and ("loading", it, w) not in released else ""
            rows.append(Row(factor_name(scale, w), "=~", column(it, w), label=lab))
    for wi, w in enumerate(waves):
        for it in items:
            c = column(it, w)
            own = not eq_th or ("thresholds", it, w) in released  # this wave's own thresholds
            for k in range(1, n_thresholds[it] + 1):
                rows.append(Row(c, "|", f"t{k}", label="" if own else f"th_{it}_{k}"))
            later = wi > 0 and not own
            nu_free = later and not (eq_int and ("intercept", it, w) not in released)
            rows.append(Row(c, "~1", value=None if nu_free else 0.0))
            if theta_param:
                res_free = later and not (eq_res and ("residual", it, w) not in released)
                rows.append(Row(c, "~~", c, value=None if res_free else 1.0))
                rows.append(Row(c, "~*~", c, value=1.0))
            else:
                rows.append(Row(c, "~~", c, value=1.0))  # implied by D; not a parameter
                rows.append(Row(c, "~*~", c, value=None if later else 1.0))
    for it in items:
        for a in range(len(waves)):
            for b in range(a + 1, len(waves)):
                rows.append(Row(column(it, waves[a]), "~~", column(it, waves[b])))
    for wi, w in enumerate(waves):
        f = factor_name(scale, w)
        rows.append(Row(f, "~~", f, value=None if (wi > 0 and eq_load) else 1.0))
        for w2 in waves[wi + 1:]:
            rows.append(Row(f, "~~", factor_name(scale, w2)))
        rows.append(Row(f, "~1", value=None if (wi > 0 and eq_int) else 0.0))
    return rows


@dataclass(frozen=True, slots=True)
class OrdinalStep:
    """One fitted model of the ordinal sequence and its comparison with the last
    accepted one."""

    model: str
    fit: DWLSFit = field(repr=False)
    syntax: str = field(repr=False, default="")
    compared_with: str | None = None
    difference: ScaledDifference | None = None
    delta_cfi: float = math.nan
    delta_rmsea: float = math.nan
    accepted: bool | None = None
    decision: str = ""
    freed: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        return self.fit.status

    def to_dict(self) -> dict[str, Any]:
        f = self.fit
        out = f.fit_dict()
        out.update(model=self.model, status=f.status, reason=f.reason, rmsea_ci=[None, None],
                   compared_with=self.compared_with, delta_cfi=self.delta_cfi,
                   delta_rmsea=self.delta_rmsea, accepted=self.accepted,
                   decision=self.decision, freed=list(self.freed),
                   thresholds=f.thresholds if f.status == "ok" else None)
        d = self.difference.to_dict() if self.difference else {
            "delta_chi2": None, "delta_df": None, "delta_chi2_scaled": None,
            "delta_p_scaled": None, "delta_method": None}
        out.update(d, delta_p=d["delta_p_scaled"])
        t = f.table
        load = t[t["op"] == "=~"]
        out["loadings_std"] = {r: {"estimate": e, "se": s} for r, e, s in
                               zip(load["rhs"], load["std_all"], load["std_se"])}
        if f.status != "ok":  # an inadmissible model gets no fit numbers
            for k in ("chi2", "pvalue", "cfi", "tli", "rmsea", "chi2_scaled", "pvalue_scaled",
                      "scaling_factor", "shift_parameter", "cfi_scaled", "tli_scaled",
                      "rmsea_scaled", "srmr"):
                out[k] = None
        return json_object(out)


@dataclass(frozen=True, slots=True)
class OrdinalInvarianceResult:
    """The Wu-Estabrook invariance sequence of one scale and the level reached.

    Attributes
    ----------
    scale : str
    status, reason : str
        ``"ok"``, or why the sequence could not be run (e.g. a category nobody used
        at one wave: ``"blocked"``, naming the item and categories).
    level : str
        The highest level accepted (``"none"`` to ``"strict"``, ``partial_*``).
    rule : str
        The decision rule applied (on the scaled statistics).
    waves, items : tuple of str
    n_total, n : int
        Persons given; persons used.
    steps : tuple of OrdinalStep
        Each model fitted: fit, scaled difference test, decision.
    freed : tuple of str
        Constraints released by the partial search.
    notes : tuple of str
        How missing answers were handled and what the rule did.
    estimator : str
        ``"WLSMV"``.
    missing_rule : {"pairwise", "listwise"}
    noninvariance : tuple
        Sizes of released parameters (empty: not computed under WLSMV).
    latent_mean_diff_std : dict
        The latent mean of each later wave minus the first, in the first wave's
        latent SD, from the accepted (partial) scalar model.
    pair_n : dict
        The n of each pair of item columns (``"a_T0 ~~ b_T1"``).

    Examples
    --------
    The sequence of fitted models: :func:`ordinal_invariance`. A scale that cannot be
    tested keeps its status and reason, with no steps:

    >>> import pandas as pd
    >>> from psychometrics import ordinal_invariance
    >>> d = pd.DataFrame({"a": [1, 2, 3, 2], "b": [2, 2, 2, 2], "c": [1, 3, 2, 3]})
    >>> frame = pd.concat([d.assign(id=range(4), wave=w) for w in ("T0", "T1")])
    >>> res = ordinal_invariance(frame, "f", ["a", "b", "c"], ["T0", "T1"])
    >>> res.status, res.level, res.steps
    ('blocked', 'none', ())
    """

    scale: str
    status: str
    reason: str
    level: str
    rule: str
    waves: tuple[str, ...]
    items: tuple[str, ...]
    n_total: int
    n: int
    steps: tuple[OrdinalStep, ...] = field(repr=False, default=())
    freed: tuple[str, ...] = ()
    latent_mean_diff_std: dict[str, LatentMeanChange] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()
    estimator: str = "WLSMV"
    missing_rule: str = "pairwise"
    pair_n: dict[str, int] = field(default_factory=dict, repr=False)

    #: Sizes of released parameters (dMACS) are ML-only; none are computed here.
    noninvariance: tuple[NonInvariance, ...] = ()

    @property
    def allows_change(self) -> bool:
        return self.level in ("partial_scalar", "scalar", "partial_strict", "strict")

    @property
    def invariant_items(self) -> tuple[str, ...]:
        """Items none of whose thresholds, loadings or intercepts were released."""
        return tuple(it for it in self.items
                     if not any(f" of {it} at " in f and not f.startswith("residual")
                                for f in self.freed))

    def failed_step(self) -> OrdinalStep | None:
        """The first step that was rejected (or could not be fitted), if any."""
        for s in self.steps:
            if s.accepted is False and not s.model.startswith("partial_"):
                return s
        return None

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([s.to_dict() for s in self.steps])

    def to_dict(self) -> dict[str, Any]:
        return json_object({
            "status": self.status, "reason": self.reason, "level": self.level,
            "estimator": self.estimator, "rule": self.rule,
            "rule_details": rule_details(self.rule), "waves": list(self.waves),
            "items": list(self.items), "n_total": self.n_total, "n": self.n,
            "missing_rule": self.missing_rule, "pair_n": self.pair_n,
            "identification": "Wu & Estabrook (2016) as semTools::measEq.syntax(ID.fac = "
                              "'std.lv', ID.cat = 'Wu.Estabrook.2016'); delta "
                              "parameterization, strict under theta",
            "steps": [s.to_dict() for s in self.steps], "freed": list(self.freed),
            "latent_mean_diff_std": {w: c.to_dict() for w, c in self.latent_mean_diff_std.items()},
            "noninvariance": [], "invariant_items": list(self.invariant_items),
            "notes": list(self.notes),
        })


def _num(x: float | None) -> float:
    return math.nan if x is None else float(x)


def _describe(f: tuple[str, str, str]) -> str:
    return f"{f[0]} of {f[1]} at {f[2]}"


def category_problem(wide: pd.DataFrame, items: Sequence[str], waves: Sequence[str]) -> str:
    """Why the Wu-Estabrook models cannot be fitted to these answers, or ""."""
    for it in items:
        levels = {w: tuple(np.unique(wide[column(it, w)].dropna())) for w in waves}
        first = levels[waves[0]]
        for w in waves[1:]:
            if levels[w] != first:
                def fmt(lv: tuple[float, ...]) -> str:
                    return ", ".join(f"{v:g}" for v in lv)

                return (f"item {it} was answered in categories {fmt(first)} at {waves[0]} but "
                        f"{fmt(levels[w])} at {w}: a category nobody used at one wave leaves "
                        "its threshold without data there, so thresholds cannot be equated "
                        "(semTools::measEq.syntax refuses this too); merge the rare "
                        "categories or use the ML estimator")
        if len(first) < 3:
            return (f"item {it} has {len(first)} observed categories: the Wu-Estabrook "
                    "identification for binary items is not implemented")
    return ""


def ordinal_invariance(frame: pd.DataFrame, scale: str, items: Sequence[str],
                       waves: Sequence[str], *, rule: str = DEFAULT_RULE,
                       partial: bool = True, missing: str = "pairwise") -> OrdinalInvarianceResult:
    """Run configural -> thresholds -> metric -> scalar -> strict for ordered items.

    The models of Wu & Estabrook (2016) as ``semTools::measEq.syntax(ID.cat =
    "Wu.Estabrook.2016")`` builds them, with the same item's residuals correlated
    across waves, fitted by WLSMV (delta parameterization; the strict step under
    theta, compared with scalar refitted under theta). Each step is tested by the
    scaled difference as ``lavaan::lavTestLRT`` does for WLSMV and judged by
    ``rule`` on the scaled statistics; a rejected step is searched for a partial
    model (releasing an item's thresholds at a wave frees its intercept and scale
    factor there, as in the configural model).

    In R: ``semTools::measEq.syntax(..., ordered = items, parameterization =
    "delta", ID.cat = "Wu.Estabrook.2016", longFacNames = ...)`` fitted with
    ``estimator = "WLSMV"``, then ``lavaan::lavTestLRT``.

    Parameters
    ----------
    frame : DataFrame
        Long: columns ``id``, ``wave`` and the scale's items (integer categories).
    scale : str
        The scale's name.
    items : sequence of str
    waves : sequence of str
        The waves, in order (the first is the reference).
    rule : str
        A decision rule of :data:`psychometrics.decision_rules.RULES`.
    partial : bool
        Search a partial model when a step is rejected.
    missing : {"pairwise", "listwise"}

    Returns
    -------
    OrdinalInvarianceResult

    Raises
    ------
    ValueError
        ``rule`` or ``missing`` is not one of its allowed values.

    References
    ----------
    Wu, H., & Estabrook, R. (2016). Identification of confirmatory factor analysis
    models of different levels of invariance for ordered categorical outcomes.
    Psychometrika, 81, 1014-1045.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from psychometrics import ordinal_invariance
    >>> rng = np.random.default_rng(1)
    >>> g, frames = rng.standard_normal(300), []
    >>> for wave, shift in (("T0", 0.0), ("T1", 0.3)):
    ...     f = 0.8 * g + 0.6 * rng.standard_normal(300) + shift
    ...     x = 0.7 * f[:, None] + np.sqrt(0.51) * rng.standard_normal((300, 4))
    ...     d = pd.DataFrame(np.digitize(x, [-1.0, 0.0, 1.0]) + 1, columns=list("abcd"))
    ...     frames.append(d.assign(id=range(300), wave=wave))
    >>> res = ordinal_invariance(pd.concat(frames), "f", list("abcd"), ["T0", "T1"])
    >>> res.level, [s.model for s in res.steps]
    ('strict', ['configural', 'thresholds', 'metric', 'scalar', 'strict'])
    """
    _check_options(rule, missing)
    items, waves = tuple(items), tuple(waves)
    wide = _wide(frame, items, waves)
    cols = [column(it, w) for w in waves for it in items]
    used = wide.dropna() if missing == "listwise" else wide.dropna(how="all")
    base: _Common = {"scale": scale, "rule": rule, "waves": waves, "items": items,
                     "n_total": len(wide), "n": len(used), "missing_rule": missing}
    problem = category_problem(used, items, waves)
    if problem:
        return OrdinalInvarianceResult(status="blocked", reason=problem, level="none", **base)
    om = ordinal_moments(used[cols].to_numpy(float), cols, missing=missing)
    pair_n, base["pair_n"] = _pair_counts(om, cols)
    n_th = {it: om.n_thresholds[cols.index(column(it, waves[0]))] for it in items}
    npar = len(cols) * 2 + sum(n_th.values()) * len(waves)
    if om.n <= npar:
        return OrdinalInvarianceResult(
            status="too_few_cases", level="none",
            reason=f"{om.n} persons for about {npar} parameters", **base)
    notes = _notes(rule, missing, len(wide), len(used), pair_n)
    fitter = _Fitter(scale, items, waves, n_th, om, rule)
    first, refused = _configural(fitter, rule, notes, base)
    if refused is not None:
        return refused
    steps = [first]
    level, freed = _sequence(fitter, steps, items, waves, partial)
    return OrdinalInvarianceResult(status="ok", reason="", level=level, steps=tuple(steps),
                                   freed=tuple(_describe(f) for f in freed),
                                   latent_mean_diff_std=_latent_mean_changes(steps, scale, waves),
                                   notes=tuple(notes), **base)


def _check_options(rule: str, missing: str) -> None:
    if rule not in RULES:
        raise ValueError(f"The 'rule' parameter must be one of {', '.join(RULES)}. "
                         f"Got {rule!r} instead.")
    if missing not in MISSING:
        raise ValueError(f"The 'missing' parameter of ordinal_invariance must be one of "
                         f"{', '.join(MISSING)}. Got {missing!r} instead.")


def _pair_counts(om: OrdinalMoments, cols: list[str]) -> tuple[np.ndarray, dict[str, int]]:
    """The persons behind each polychoric: as a matrix, and by pair ("b ~~ a")."""
    pair_n = om.pair_n if om.pair_n is not None else np.zeros((len(cols), len(cols)), int)
    rows, cols_ = np.tril_indices(len(cols), -1)
    return pair_n, {f"{cols[j]} ~~ {cols[i]}": int(pair_n[i, j]) for i, j in zip(rows, cols_)}


def _notes(rule: str, missing: str, n_total: int, n_used: int, pair_n: np.ndarray) -> list[str]:
    """What a reader must know about the persons used and the rule as applied to WLSMV."""
    if missing == "listwise":
        notes = [(f"{n_total - n_used} of {n_total} persons left out: not every item "
                  "answered at every wave (listwise, lavaan 0.6.14's default for WLSMV)")]
    else:
        notes = [(f"pairwise: {n_used} persons with an answer; each polychoric from the "
                  f"persons who answered both items ({pair_n.min()} to {pair_n.max()}); "
                  "lavaan 0.6.14's own default for WLSMV is listwise")]
    if rule == "lrt-calibrated":
        notes.append("WLSMV: the scaled-shifted p is judged at the rule's per-test alpha; "
                     "the parametric bootstrap of the calibrated rule is ML-only")
    return notes


class _Fitter:
    """Fits the models of one call (each once) and judges a step against the last
    accepted one."""

    def __init__(self, scale: str, items: tuple[str, ...], waves: tuple[str, ...],
                 n_th: dict[str, int], om: OrdinalMoments, rule: str) -> None:
        self.scale, self.items, self.waves, self.n_th = scale, items, waves, n_th
        self.om, self.rule = om, rule
        self.cache: dict[tuple[str, tuple[_Release, ...], str], tuple[DWLSFit, str]] = {}

    def run(self, step: str, freed: Sequence[_Release],
            param: str | None = None) -> tuple[DWLSFit, str]:
        param = param or ("theta" if step == "strict" else "delta")
        key = (step, tuple(freed), param)
        if key not in self.cache:
            rows = ordinal_model_rows(self.scale, self.items, self.waves, step, self.n_th,
                                      param, freed)
            table = build_table(rows)
            syntax = to_lavaan(table, header=f"{self.scale}: {step} ({param} parameterization); "
                               "fit with lavaan(model, data, ordered = TRUE, estimator = "
                               f"'WLSMV', parameterization = '{param}')")
            self.cache[key] = (fit_dwls(table, self.om, parameterization=param), syntax)
        return self.cache[key]

    def compare(self, model: str, step: str, freed: Sequence[_Release], last: OrdinalStep,
                last_key: tuple[str, tuple[_Release, ...]]) -> OrdinalStep:
        fit, syntax = self.run(step, freed)
        desc = tuple(_describe(f) for f in freed)
        if fit.status != "ok":
            return OrdinalStep(model, fit, syntax, last.model, accepted=False, freed=desc,
                               decision=f"not admissible: {fit.reason}")
        ref = last.fit if step != "strict" else self.run(last_key[0], last_key[1], "theta")[0]
        diff = scaled_difference(ref, fit, self.om)
        # every model here has df > 0 (checked on the configural model), so these exist
        d_cfi = _num(fit.cfi_scaled) - _num(last.fit.cfi_scaled)
        d_rmsea = _num(fit.rmsea_scaled) - _num(last.fit.rmsea_scaled)
        judged = judge_step(self.rule, d_cfi, d_rmsea, diff.delta_p_scaled)
        return OrdinalStep(model, fit, syntax, last.model, diff, d_cfi, d_rmsea,
                           judged.accepted, judged.decision, desc)


def _configural(fitter: _Fitter, rule: str, notes: list[str],
                base: _Common) -> tuple[OrdinalStep, OrdinalInvarianceResult | None]:
    """The configural step, and the result when the sequence ends there."""
    conf, syntax = fitter.run("configural", ())
    if conf.df <= 0:
        failed = OrdinalStep("configural", conf, syntax, accepted=False,
                             decision="no degrees of freedom")
        return failed, OrdinalInvarianceResult(
            status="not_identified", level="none", steps=(failed,), notes=tuple(notes),
            reason=f"the configural model has {conf.df} degrees of freedom: too few items "
                   "per wave to test invariance of ordered items", **base)
    if conf.status != "ok":
        failed = OrdinalStep("configural", conf, syntax, accepted=False,
                             decision=f"not admissible: {conf.reason}")
        return failed, OrdinalInvarianceResult(status=conf.status, reason=f"configural model: "
                                               f"{conf.reason}", level="none", steps=(failed,),
                                               notes=tuple(notes), **base)
    # N - 1 in the close-fit test, as in lavaan's RMSEA of ordered items
    judged = judge_configural(rule, _num(conf.chi2_scaled), conf.df, conf.n - 1,
                              _num(conf.cfi_scaled), _num(conf.rmsea_scaled))
    first = OrdinalStep("configural", conf, syntax, accepted=judged.accepted,
                        decision=judged.decision)
    if not judged.accepted:
        return first, OrdinalInvarianceResult(
            status="ok", level="none", steps=(first,),
            reason="the configural model does not fit, so no "
            f"invariance can be built on it ({judged.decision})", notes=tuple(notes), **base)
    return first, None


def _sequence(fitter: _Fitter, steps: list[OrdinalStep], items: tuple[str, ...],
              waves: tuple[str, ...], partial: bool) -> tuple[str, list[_Release]]:
    """Thresholds -> metric -> scalar -> strict after the accepted configural model
    (``steps[0]``), appending each step fitted to ``steps``; the level reached and the
    constraints released."""
    last_key: tuple[str, tuple[_Release, ...]] = ("configural", ())
    level, last = "configural", steps[0]
    freed: list[_Release] = []
    for step in ORDINAL_STEPS[1:]:
        st = fitter.compare(step, step, freed, last, last_key)
        steps.append(st)
        if st.accepted:
            level, last, last_key = (f"partial_{step}" if freed else step), st, (step, tuple(freed))
            continue
        if not partial or st.status != "ok":
            break
        freed, best = _search_partial(fitter, steps, items, waves, step, freed, last, last_key)
        if best is None:
            freed = [f for f in freed if f[0] != _KIND[step]]
            break
        level, last, last_key = f"partial_{step}", best, (step, tuple(freed))
    return level, freed


def _search_partial(fitter: _Fitter, steps: list[OrdinalStep], items: tuple[str, ...],
                    waves: tuple[str, ...], step: str, freed: list[_Release],
                    last: OrdinalStep, last_key: tuple[str, tuple[_Release, ...]],
                    ) -> tuple[list[_Release], OrdinalStep | None]:
    """Release the step's constraints one at a time, the best first, appending each
    partial model to ``steps``: the releases made and the accepted model (None when
    none was accepted before fewer than three constrained items would remain)."""
    kind = _KIND[step]
    while True:
        constrained = [it for it in items if not any(f[0] == kind and f[1] == it for f in freed)]
        if len(constrained) <= 2:
            return freed, None
        trials = [fitter.compare(f"partial_{step}", step, [*freed, (kind, it, w)], last,
                                 last_key)
                  for it in constrained for w in waves[1:]]
        ok = [t for t in trials if t.difference is not None]
        if not ok:
            return freed, None
        best = max(ok, key=lambda t: t.difference.delta_p_scaled if t.difference else -1.0)
        freed = [*freed, next((kind, it, w) for it in constrained for w in waves[1:]
                              if _describe((kind, it, w)) == best.freed[-1])]
        steps.append(best)
        if best.accepted:
            return freed, best


def _latent_mean_changes(steps: Sequence[OrdinalStep], scale: str,
                         waves: tuple[str, ...]) -> dict[str, LatentMeanChange]:
    """Each later wave's latent mean (first-wave SD units) from the accepted (partial)
    scalar model, if any."""
    changes: dict[str, LatentMeanChange] = {}
    scalar = next((s for s in reversed(steps) if s.accepted and
                   s.model in ("scalar", "partial_scalar")), None)
    if scalar is not None:
        t = scalar.fit.table
        for w in waves[1:]:
            row = t[(t["lhs"] == factor_name(scale, w)) & (t["op"] == "~1")].iloc[0]
            est, se = float(row["est"]), float(row["se"])
            changes[w] = LatentMeanChange(w, est, se, Interval(est - _Z * se, est + _Z * se))
    return changes
