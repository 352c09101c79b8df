"""Longitudinal measurement invariance of a scale: configural, metric, scalar, strict.

The data are reshaped to one row per person (items at every wave side by side).
With missing answers every person with at least one answer is used, by
full-information ML (:mod:`psychometrics.sem`; persons seen at one wave only
count too), or, with ``missing="listwise"``, the persons with every item at every
wave (``n_dropped`` with the reasons: not at every wave, missing answers). One
factor per wave; the same item's residuals covary across all pairs of waves; factors
covary across waves. Fitted by ML with a mean structure on
the sample means and covariances (:mod:`psychometrics.sem`).

Identification, as ``semTools::measEq.syntax(ID.fac = "std.lv")``:
configural: every factor variance 1 and mean 0, loadings and intercepts free;
metric: loadings equal across waves, the first wave's variance 1, later ones free;
scalar: intercepts equal too, the first wave's mean 0, later ones free;
strict: residual variances equal too.

Each step is compared with the last accepted model: delta chi2 (likelihood-ratio
test), delta CFI, delta RMSEA, delta SRMR, and judged by the decision rule
(:mod:`psychometrics.decision_rules`): ``"lrt-calibrated"`` (default: a likelihood-
ratio chain with family-wise error control, calibrated by a parametric bootstrap at
the study's N where the asymptotic test is unreliable), ``"cfi-rmsea"``,
``"chen-small-n"`` or ``"chi2"``. The configural model is judged too (by a test of
close fit, or CFI >= .90 and RMSEA <= .10 under the fixed rules); when it fails, the
level is ``"none"``, no partial search is made, and the later models are shown for
information only.

When metric, scalar or strict is rejected, partial invariance is sought: the
equality constraint with the largest score test (Lagrange multiplier, from the
expected information) is released, the model refitted and the rule applied again,
until it is accepted or fewer than two items per factor remain constrained
(Byrne, Shavelson & Muthen 1989). The latent mean change of each later wave, from
the highest accepted (partial) scalar model, is its latent mean in first-wave
latent SD units (the first wave's factor has mean 0 and variance 1).

With ``estimator="MLR"`` the estimates are ML's and every model carries lavaan's robust
statistics (:mod:`psychometrics.sem.robust`): the Yuan-Bentler scaled chi2, robust
CFI/TLI/RMSEA, sandwich SEs (the latent mean change's SE is the robust one); each step
adds the Satorra-Bentler (2001) scaled delta chi2 (``delta_chi2_scaled``,
``delta_p_scaled``, ``delta_method``; Satorra-Bentler 2010 where the 2001 scaling factor
is negative, as lavaan gives NA there) and the decision rules use the robust versions
(:mod:`psychometrics.decision_rules`). The partial search keeps the ordinary score
test, as ``lavTestScore`` computes it for an MLR fit in lavaan 0.6.14 (it falls back to
the standard test), so the release order is the one a lavaan user gets.

The baseline model of CFI and TLI is lavaan's independence model (free means and
variances) by default; ``null_model="longitudinal"`` uses Widaman & Thompson's
(2003) longitudinal null model (no covariances; each item's mean and variance equal
across waves).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from psychometrics import _distributions
from psychometrics.decision_rules import (
    BOOTSTRAP_MAX_DRAWS,
    DEFAULT_RULE,
    RULES,
    Rule,
    alpha_per_test,
    close_fit_pvalue,
    judge_configural,
    judge_step,
    needs_bootstrap,
    rule_details,
)
from psychometrics.estimators import DEFAULT_ESTIMATOR, Estimator
from psychometrics.exceptions import warn_status
from psychometrics.lr_bootstrap import bootstrap_lr_pvalue
from psychometrics.noninvariance import NonInvariance, noninvariance_sizes
from psychometrics.results import Interval, json_object
from psychometrics.sem import (
    GroupMoments,
    MLFit,
    Moments,
    PatternMoments,
    Row,
    build_table,
    cfi_tli,
    covariance_problem,
    fit_ml,
    score_tests,
    to_lavaan,
)
from psychometrics.sem.robust import (
    Prepared,
    RobustFit,
    robust_fields,
    robust_fit,
    scaled_difference,
    scaling_at,
    theta_from,
)

STEPS = ("configural", "metric", "scalar", "strict")
#: What each step constrains, and the parameter kind released in its partial form.
_KIND = {"metric": "loading", "scalar": "intercept", "strict": "residual"}
LEVELS = ("none", "configural", "partial_metric", "metric", "partial_scalar", "scalar",
          "partial_strict", "strict")
MIN_CASES_PER_PARAMETER = 5


@dataclass(frozen=True, slots=True)
class Step:
    """One fitted model of the sequence and its comparison with the last accepted one.

    Attributes
    ----------
    model : str
        ``configural``, ``metric``, ``scalar``, ``strict`` or a ``partial_`` step.
    status, reason : str
        The fit's status (``"ok"``, ``"not_converged"``, ``"heywood"``, ...).
    fit : MLFit
        The fitted model (parameter table, fit indices, npar, df, n).
    compared_with : str or None
        The last accepted model it is compared with.
    delta_chi2, delta_df, delta_p : float, int, float
        The likelihood-ratio test against ``compared_with``.
    delta_cfi, delta_rmsea, delta_srmr : float
        Changes of the fit indices.
    accepted : bool or None
        The rule's decision (``None`` when not judged).
    decision : str
        The decision in words, with the numbers it rests on.
    freed : tuple of str
        Constraints released so far (partial steps).
    syntax : str
        The model in lavaan syntax.
    cfi, tli : float
        Against the chosen baseline model.
    p_bootstrap, bootstrap_draws : float, int
        The calibrated rule's bootstrap p and draws (NaN and 0 where the
        asymptotic p decided).
    close_fit_p : float
        p of the test of close fit (H0: RMSEA <= .05), for the configural model.
    """

    model: str
    status: str
    reason: str
    fit: MLFit = field(repr=False)
    compared_with: str | None = None
    delta_chi2: float = math.nan
    delta_df: int = 0
    delta_p: float = math.nan
    delta_cfi: float = math.nan
    delta_rmsea: float = math.nan
    delta_srmr: float = math.nan
    accepted: bool | None = None
    decision: str = ""
    freed: tuple[str, ...] = ()
    syntax: str = field(repr=False, default="")
    cfi: float = math.nan
    tli: float = math.nan
    #: The calibrated rule's bootstrap p (NaN where the asymptotic p decided).
    p_bootstrap: float = math.nan
    bootstrap_draws: int = 0
    #: p of the test of close fit (H0: RMSEA <= .05), for the configural model.
    close_fit_p: float = math.nan
    estimator: str = DEFAULT_ESTIMATOR
    #: MLR: the model's robust statistics and the scaled difference test.
    robust: RobustFit | None = field(repr=False, default=None)
    delta_chi2_scaled: float = math.nan
    delta_p_scaled: float = math.nan
    delta_method: str | None = None
    delta_cfi_robust: float = math.nan
    delta_rmsea_robust: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        # An inadmissible model (e.g. a Heywood case) gets no fit numbers.
        f = self.fit.fit if self.fit.status == "ok" else None
        mlr: dict[str, Any] = {}
        if self.estimator == "MLR":
            mlr = {**robust_fields(self.robust if f else None),
                   "delta_chi2_scaled": self.delta_chi2_scaled,
                   "delta_p_scaled": self.delta_p_scaled, "delta_method": self.delta_method,
                   "delta_cfi_robust": self.delta_cfi_robust,
                   "delta_rmsea_robust": self.delta_rmsea_robust}
        return json_object({
            "model": self.model, "status": self.status, "reason": self.reason,
            "n": self.fit.n, "npar": self.fit.npar,
            "chi2": f.chi2 if f else None, "df": self.fit.df, "pvalue": f.pvalue if f else None,
            "cfi": self.cfi if f else None, "tli": self.tli if f else None,
            "rmsea": f.rmsea if f else None,
            "rmsea_ci": f.rmsea_ci.to_list() if f else [None, None],
            "srmr": f.srmr if f else None, "aic": self.fit.aic if f else None,
            "bic": self.fit.bic if f else None,
            "compared_with": self.compared_with, "delta_chi2": self.delta_chi2,
            "delta_df": self.delta_df, "delta_p": self.delta_p, "delta_cfi": self.delta_cfi,
            "delta_rmsea": self.delta_rmsea, "delta_srmr": self.delta_srmr,
            "delta_p_bootstrap": self.p_bootstrap,
            "bootstrap_draws": self.bootstrap_draws or None,
            "close_fit_p": self.close_fit_p,
            "accepted": self.accepted, "decision": self.decision, "freed": list(self.freed),
            "estimator": self.estimator, **mlr,
        })


@dataclass(frozen=True, slots=True)
class LatentMeanChange:
    """A later wave's latent mean in first-wave latent SD units.

    Attributes
    ----------
    wave : str
    estimate, se : float
        The latent mean (the first wave's is 0 with variance 1) and its SE.
    ci : Interval
        Its 95% Wald interval.
    """

    wave: str

    estimate: float
    se: float
    ci: Interval

    def to_dict(self) -> dict[str, Any]:
        return json_object({"estimate": self.estimate, "se": self.se, "ci": self.ci.to_list()})


@dataclass(frozen=True, slots=True)
class InvarianceResult:
    """The invariance sequence of one scale and the level reached.

    Returned by :func:`longitudinal_invariance`; ``to_dict()`` is a scale's
    ``invariance`` entry of results.json, ``to_frame()`` the table of steps.

    Attributes
    ----------
    scale : str
    status, reason : str
        ``"ok"``, or why no sequence was fitted (``"single_wave"``,
        ``"not_identified"``, ``"too_few_cases"``, ``"no_variance"``,
        ``"not_positive_definite"``, ...).
    level : str
        The highest level accepted, one of ``LEVELS``: ``none``, ``configural``,
        ``partial_metric``, ``metric``, ``partial_scalar``, ``scalar``,
        ``partial_strict``, ``strict``.
    rule, null_model : str
        The decision rule and the baseline model of CFI and TLI.
    waves, items : tuple of str
    n_total, n : int
        Persons in the data, and persons used.
    dropped : dict of str to int
        Persons not used, by reason.
    steps : tuple of Step
        Every fitted model (configural, metric, ..., partial steps) with its fit,
        its comparison with the last accepted model and the decision.
    missing_rule : str
    incomplete : dict of str to int
        Persons included through full-information ML, by reason.
    freed : tuple of str
        The released equality constraints, e.g. ``"intercept of TSE06 at T1"``.
    latent_mean_diff_std : dict of str to LatentMeanChange
        Each later wave's latent mean in first-wave latent SD units, with its SE
        and CI, from the highest accepted (partial) scalar model.
    notes : tuple of str
    score_tests : dict of str to DataFrame
        The score tests of the constraints at each rejected step.
    rule_details : dict
        The rule's thresholds and settings.
    noninvariance : tuple of NonInvariance
        dMACS and mean bias of every released loading and intercept.
    invariant_items : tuple of str
        Items whose loadings and intercepts stayed equal across waves.
    groups : tuple of str
        Across groups (:func:`psychometrics.group_invariance`): the groups, the
        reference first; empty over waves only.
    n_per_group : dict of str to int
        Across groups: the persons used per group.
    allows_change : bool
        Whether means may be compared: (partial) scalar or strict invariance.

    Examples
    --------
    >>> import pandas as pd
    >>> from instruments import keyed_items, read_responses
    >>> from psychometrics import longitudinal_invariance
    >>> from psychometrics.example_study import example_data_path
    >>> r = read_responses(example_data_path(), "tse", id_column="teacher",
    ...                    wave_column="wave")
    >>> frame = pd.concat([r.keys[["id", "wave"]], keyed_items(r, "tse_management")], axis=1)
    >>> result = longitudinal_invariance(frame, "tse_management",
    ...                                  r.instrument.scale("tse_management").items, r.waves)
    >>> result.level, result.allows_change, result.failed_step()
    ('strict', True, None)
    >>> result.to_frame()["model"].tolist()
    ['configural', 'metric', 'scalar', 'strict']
    >>> result.to_dict()["identification"]
    "std.lv: first-wave factor variance 1 and mean 0 (semTools::measEq.syntax ID.fac = 'std.lv')"
    """

    scale: str
    status: str
    reason: str
    level: str
    rule: str
    null_model: str
    waves: tuple[str, ...]
    items: tuple[str, ...]
    n_total: int
    n: int
    dropped: dict[str, int]
    steps: tuple[Step, ...] = field(repr=False)
    missing_rule: str = ""
    incomplete: dict[str, int] = field(default_factory=dict)
    freed: tuple[str, ...] = ()
    latent_mean_diff_std: dict[str, LatentMeanChange] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()
    score_tests: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    rule_details: dict[str, Any] = field(default_factory=dict, repr=False)
    #: Size of every released loading and intercept (dMACS, mean bias).
    noninvariance: tuple[NonInvariance, ...] = ()
    #: Items whose loadings and intercepts stayed equal across waves.
    invariant_items: tuple[str, ...] = ()
    #: Invariance across groups (:mod:`psychometrics.group_invariance`): the groups,
    #: the first the reference, and their sizes; ``latent_mean_diff_std`` is then
    #: ``{group: {wave: LatentMeanChange}}``.
    groups: tuple[str, ...] = ()
    n_per_group: dict[str, int] = field(default_factory=dict)

    @property
    def allows_change(self) -> bool:
        """Whether means may be compared: (partial) scalar or strict invariance."""
        return self.level in ("partial_scalar", "scalar", "partial_strict", "strict")

    def failed_step(self) -> Step | None:
        """The first step that was rejected (or could not be fitted), if any.

        Partial steps do not count: with partial scalar invariance this is the
        (full) scalar step.

        Returns
        -------
        Step or None
            The step, with its fit, comparison and ``decision`` (why it failed).
        """

        for s in self.steps:
            if s.accepted is False and not s.model.startswith("partial_"):
                return s
        return None

    def to_frame(self) -> pd.DataFrame:
        """One row per fitted model: fit, comparison with the last accepted model
        (delta chi2, df and p, delta CFI, RMSEA and SRMR), decision.

        Returns
        -------
        DataFrame
            The columns of ``Step.to_dict()``; an inadmissible model has no fit
            numbers.
        """
        return pd.DataFrame([s.to_dict() for s in self.steps])

    def to_dict(self) -> dict[str, Any]:
        """The sequence as plain JSON types (a scale's ``invariance`` entry of
        results.json): level, rule, steps, freed parameters, their sizes, the
        latent mean change and the notes.

        Returns
        -------
        dict
        """
        return json_object({
            "status": self.status, "reason": self.reason, "level": self.level,
            "decision_rule": self.rule, "rule": self.rule, "rule_details": self.rule_details,
            "null_model": self.null_model,
            "waves": list(self.waves), "items": list(self.items),
            "n_total": self.n_total, "n": self.n, "n_dropped": sum(self.dropped.values()),
            "dropped": self.dropped, "missing_rule": self.missing_rule,
            "incomplete_included": self.incomplete,
            "identification": ("std.lv: the first group's " if self.groups else "std.lv: ")
                              + "first-wave factor variance 1 and mean 0 "
                              "(semTools::measEq.syntax ID.fac = 'std.lv')",
            "steps": [s.to_dict() for s in self.steps], "freed": list(self.freed),
            "latent_mean_diff_std": _latent_dict(self.latent_mean_diff_std),
            "noninvariance": [x.to_dict() for x in self.noninvariance],
            "invariant_items": list(self.invariant_items),
            "notes": list(self.notes),
            **({"groups": list(self.groups), "n_per_group": self.n_per_group}
               if self.groups else {}),
        })


def _latent_dict(d: Mapping[str, Any]) -> dict[str, Any]:
    """``latent_mean_diff_std`` as JSON: ``{wave: change}``, or across groups
    ``{group: {wave: change}}``."""
    return {k: (_latent_dict(v) if isinstance(v, dict) else v.to_dict()) for k, v in d.items()}


@dataclass(frozen=True, slots=True)
class Cases:
    """The persons of one scale under the missing-data rule (:func:`select_cases`).

    Attributes
    ----------
    n_total, n : int
        Persons in the data, and persons used.
    dropped : dict of str to int
        Persons not used, by reason.
    missing_rule : str
        The rule in words.
    incomplete : dict of str to int
        Persons included through full-information ML, by reason (empty without it).
    """

    n_total: int
    n: int
    dropped: dict[str, int]
    missing_rule: str
    incomplete: dict[str, int]


@dataclass(frozen=True, slots=True)
class _Common:
    """What every :class:`InvarianceResult` of one scale under one rule shares, whether
    a sequence was fitted or refused."""

    scale: str
    rule: str
    null_model: str
    waves: tuple[str, ...]
    items: tuple[str, ...]
    cases: Cases
    rule_details: dict[str, Any]
    groups: tuple[str, ...] = ()
    n_per_group: dict[str, int] = field(default_factory=dict)

    def result(self, status: str, reason: str, level: str = "none",
               steps: Sequence[Step] = (), notes: Sequence[str] = (), *,
               freed: tuple[str, ...] = (), latent: dict[str, Any] | None = None,
               score_tests: dict[str, pd.DataFrame] | None = None,
               noninvariance: tuple[NonInvariance, ...] = (),
               invariant_items: tuple[str, ...] = ()) -> InvarianceResult:
        """The result with these fields; a refusal needs only its status and reason."""
        c = self.cases
        return InvarianceResult(
            scale=self.scale, status=status, reason=reason, level=level, rule=self.rule,
            null_model=self.null_model, waves=self.waves, items=self.items,
            n_total=c.n_total, n=c.n, dropped=c.dropped, steps=tuple(steps),
            missing_rule=c.missing_rule, incomplete=c.incomplete, freed=freed,
            latent_mean_diff_std={} if latent is None else latent, notes=tuple(notes),
            score_tests={} if score_tests is None else score_tests,
            rule_details=self.rule_details, noninvariance=noninvariance,
            invariant_items=invariant_items, groups=self.groups,
            n_per_group=self.n_per_group)


# -- model building -------------------------------------------------------------------

def column(item: str, wave: str) -> str:
    """The name of an item's column at a wave in the generated model (and wide data)."""
    return f"{item}_{wave}"


def factor_name(scale: str, wave: str) -> str:
    """The name of a scale's factor at a wave in the generated model.

    It starts with a dot, which no item or scale id can (they start with a letter), so
    a factor never shares its name with an item's column, also when a scale is named
    like an item; lavaan reads such names (``.agree_T1 =~ agree_T1 + ...``).
    """
    return f".{scale}_{wave}"


def model_rows(scale: str, items: Sequence[str], waves: Sequence[str], step: str,
               freed: Sequence[tuple[str, ...]] = (), groups: Sequence[str] = ()) -> list[Row]:
    """Rows of an invariance model. ``freed`` holds (kind, item, wave) releases, or
    with ``groups`` (a multi-group model, lavaan's ``group =``, the first group the
    reference) (kind, item, wave, group) releases. Equalities hold across waves and
    groups together; the reference factor (first group, first wave) has variance 1 and
    mean 0, the others are freed with the loadings (variances) and the intercepts
    (means), as ``semTools::measEq.syntax(ID.fac = "std.lv")``."""
    level = STEPS.index(step)
    eq_load, eq_int, eq_res = level >= 1, level >= 2, level >= 3
    released = set(freed)
    cells: list[tuple[int, str | None]] = list(enumerate(groups, start=1)) or [(1, None)]
    rows: list[Row] = []
    for g, label in cells:
        def free_of(kind: str, it: str, w: str, label: str | None = label) -> bool:
            key = (kind, it, w) if label is None else (kind, it, w, label)
            return key in released

        def first(w_i: int, g: int = g) -> bool:  # the reference factor
            return g == 1 and w_i == 0

        for w in waves:
            f = factor_name(scale, w)
            for it in items:
                lab = f"l_{it}" if eq_load and not free_of("loading", it, w) else ""
                rows.append(Row(f, "=~", column(it, w), label=lab, group=g))
        for w in waves:
            for it in items:
                lab = f"t_{it}" if eq_res and not free_of("residual", it, w) else ""
                rows.append(Row(column(it, w), "~~", column(it, w), label=lab, group=g))
        for it in items:  # the same item's residuals covary across all pairs of waves
            for a in range(len(waves)):
                for b in range(a + 1, len(waves)):
                    rows.append(Row(column(it, waves[a]), "~~", column(it, waves[b]), group=g))
        for w_i, w in enumerate(waves):
            f = factor_name(scale, w)
            rows.append(Row(f, "~~", f, value=1.0 if (first(w_i) or not eq_load) else None,
                            group=g))
            for w2 in waves[w_i + 1:]:
                rows.append(Row(f, "~~", factor_name(scale, w2), group=g))
        for w in waves:
            for it in items:
                lab = f"n_{it}" if eq_int and not free_of("intercept", it, w) else ""
                rows.append(Row(column(it, w), "~1", label=lab, group=g))
        for w_i, w in enumerate(waves):
            rows.append(Row(factor_name(scale, w), "~1",
                            value=0.0 if (first(w_i) or not eq_int) else None, group=g))
    return rows


def longitudinal_null_rows(items: Sequence[str], waves: Sequence[str]) -> list[Row]:
    """Widaman & Thompson's (2003) null model: no covariances; each item's variance
    and mean equal across waves."""
    rows = [Row(column(it, w), "~~", column(it, w), label=f"v_{it}") for w in waves for it in items]
    rows += [Row(column(it, w), "~1", label=f"m_{it}") for w in waves for it in items]
    return rows


def _wide(frame: pd.DataFrame, items: Sequence[str], waves: Sequence[str]) -> pd.DataFrame:
    """frame: columns id, wave, items (keyed) -> one row per id (sorted), columns
    item_wave (``waves`` in order, each with ``items``)."""
    cols = [column(it, w) for w in waves for it in items]
    answers = [frame[it] for it in items]
    codes, ids = pd.factorize(frame["id"], sort=True)
    wave_codes, _ = pd.factorize(frame["wave"])
    cells = codes.astype(np.int64) * (int(wave_codes.max(initial=0)) + 1) + wave_codes
    if (not all(a.dtype == np.float64 for a in answers) or codes.min(initial=0) < 0
            or wave_codes.min(initial=0) < 0 or len(np.unique(cells)) < len(cells)):
        # Other types of answers, a missing key or a person twice at a wave: pandas' own
        # reshape (which names a duplicate).
        wide = frame.pivot(index="id", columns="wave", values=list(items))
        wide.columns = [column(it, w) for it, w in wide.columns]
        return wide.reindex(columns=cols)
    x = np.column_stack([a.to_numpy() for a in answers]) if answers else np.empty((len(frame), 0))
    wave_of = frame["wave"].to_numpy()
    out = np.full((len(ids), len(cols)), np.nan)
    for k, w in enumerate(waves):  # one block of columns per wave, in order
        at = wave_of == w
        out[codes[at], k * len(items):(k + 1) * len(items)] = x[at]
    return pd.DataFrame(out, index=pd.Index(ids, name="id"), columns=cols)


# -- the sequence ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Context:
    """The data of one scale, prepared once and shared by every rule judged on it."""

    scale: str
    items: tuple[str, ...]
    waves: tuple[str, ...]
    wide: pd.DataFrame
    used: pd.DataFrame
    moments: Moments | PatternMoments | GroupMoments
    fiml: bool
    base: _Common
    baseline: tuple[float, int] | None
    notes: tuple[str, ...]
    seed: int
    #: Several groups: their labels (the first the reference) and each used person's group.
    groups: tuple[str, ...] = ()
    group_of: pd.Series | None = None
    #: Latent mean differences from the (partial) scalar fit, when not across waves.
    latent: Callable[[MLFit], dict[str, Any]] | None = None
    cache: dict[Any, Any] = field(default_factory=dict)
    estimator: str = DEFAULT_ESTIMATOR
    baseline_table: pd.DataFrame | None = None

    @property
    def mlr(self) -> bool:
        return self.estimator == "MLR"

    def run(self, step: str, freed: Sequence[tuple[str, ...]],
            se: bool = False) -> tuple[MLFit, pd.DataFrame, str]:
        """Fit one model (cached: rules share their fits)."""
        key = ("fit", step, tuple(freed), se)
        if key not in self.cache:
            table, syntax = self.model(step, freed)
            same = self.cache.get(("fit", step, tuple(freed), False))
            warm = same[0] if same is not None else self.cache.get("warm")
            if warm is not None and warm.converged and (self.groups or same is not None):
                # Start from the same model fitted without standard errors or, across
                # groups, from the last fitted model of the sequence (the same rows; the
                # optimum is the same, reached in fewer steps).
                fit = fit_ml(table.assign(start=warm.table["est"].to_numpy()), self.moments,
                             standard_errors=se)
            else:
                fit = fit_ml(table, self.moments, standard_errors=se)
            self.cache["warm"] = fit
            self.cache[key] = (fit, table, syntax)
        return cast(tuple[MLFit, pd.DataFrame, str], self.cache[key])

    def model(self, step: str, freed: Sequence[tuple[str, ...]]) -> tuple[pd.DataFrame, str]:
        """The parameter table of one model and its lavaan syntax (cached: the refit with
        standard errors is the same model)."""
        key = ("model", step, tuple(freed))
        if key not in self.cache:
            table = build_table(model_rows(self.scale, self.items, self.waves, step, freed,
                                           self.groups))
            across = (f" across groups ({', '.join(self.groups)}, in this order)"
                      if self.groups else "")
            syntax = to_lavaan(table, f"binnenuit invariance model '{step}'{across} of scale "
                               f"{self.scale}"
                               + (f", freed: {', '.join(_describe(f) for f in freed)}"
                                  if freed else "")
                               + "\nRefit in R: lavaan::lavaan(model, data = wide, "
                               + ("group = 'group', group.label = c("
                                  + ", ".join(repr(g) for g in self.groups) + "), "
                                  if self.groups else "")
                               + "meanstructure = TRUE"
                               + (", estimator = 'MLR'" if self.mlr else "")
                               + (", missing = 'ml')" if self.fiml else ")"))
            self.cache[key] = (table, syntax)
        return cast(tuple[pd.DataFrame, str], self.cache[key])

    def robust(self, fit: MLFit) -> RobustFit | None:
        """The MLR statistics of a fitted model (cached; None under ML or without fit)."""
        if not self.mlr or fit.fit is None:
            return None
        key = ("robust", id(fit))
        if key not in self.cache:
            self.cache[key] = (fit, robust_fit(fit, self._table_of(fit), self.one_sample(),
                                               self.used, prepared=self.prepared()))
        return cast(RobustFit, self.cache[key][1])

    def prepared(self) -> Prepared:
        """The MLR work shared by every model of the scale (one per context)."""
        if "prepared" not in self.cache:
            self.cache["prepared"] = Prepared(self.one_sample(), self.used, True,
                                              self.baseline_table)
        return cast(Prepared, self.cache["prepared"])

    def one_sample(self) -> Moments | PatternMoments:
        """The moments of a scale across waves (MLR statistics are not computed across
        groups: the group sequence is ML)."""
        if isinstance(self.moments, GroupMoments):
            raise TypeError("robust (MLR) statistics are computed across waves only")
        return self.moments

    def _table_of(self, fit: MLFit) -> pd.DataFrame:
        for key, value in self.cache.items():
            if isinstance(key, tuple) and key[0] == "fit" and value[0] is fit:
                return cast(pd.DataFrame, value[1])
        raise KeyError("a fit that is not in the cache")

    def estimates(self, fit: MLFit) -> pd.DataFrame:
        """The estimates table: with robust SEs under MLR."""
        rob = self.robust(fit)
        return rob.table if rob is not None and rob.table is not None else fit.table

    def robust_indices(self, fit: MLFit) -> tuple[float, float, float]:
        """Robust CFI, TLI and RMSEA (NaN without them)."""
        rob = self.robust(fit)
        if rob is None:
            return math.nan, math.nan, math.nan
        return rob.cfi_robust, rob.tli_robust, rob.rmsea_robust

    def indices(self, fit: MLFit) -> tuple[float, float]:
        if fit.fit is None:
            return math.nan, math.nan
        if self.baseline is None:
            return fit.fit.cfi, fit.fit.tli
        return cfi_tli(fit.fit.chi2, fit.df, *self.baseline)

    def seen(self) -> np.ndarray | tuple[np.ndarray, ...] | None:
        """FIML: which answers each person gave (per group across groups); else None."""
        if not self.fiml:
            return None
        group_of = self.group_of
        if self.groups and group_of is not None:
            return tuple(np.asarray(self.used[(group_of == g).to_numpy()].notna().to_numpy())
                         for g in self.groups)
        return np.asarray(self.used.notna().to_numpy())


def select_cases(frame: pd.DataFrame, items: Sequence[str], waves: Sequence[str],
                 missing: str) -> tuple[pd.DataFrame, pd.DataFrame, bool, Cases]:
    """The wide data, the persons used under the missing-data rule, whether FIML is
    used, and the counts (``n_total``, ``n``, ``dropped``, ``missing_rule``,
    ``incomplete``)."""
    wide = _wide(frame, items, waves)
    n_total = len(wide)
    seen = wide.notna().to_numpy()
    attrition = int((~_answered_at(seen, items, waves).all(axis=1)).sum())
    answered, complete = seen.any(axis=1), seen.all(axis=1)
    n_answered, n_complete = int(answered.sum()), int(complete.sum())
    incomplete = {"not_at_every_wave": attrition,
                  "missing_answers": n_answered - n_complete - attrition}
    fiml = missing == "fiml" and n_complete < n_answered
    if fiml:
        used = wide[answered]
        dropped = {"no_answers": n_total - n_answered}
        missing_rule = ("full-information ML: every person with at least one answer, "
                        "including those seen at one wave only")
    else:
        used = wide[complete]
        dropped = {"not_at_every_wave": attrition,
                   "missing_answers": n_total - n_complete - attrition}
        missing_rule = ("complete data: every person answered every item at every wave "
                        "(full-information ML and listwise coincide)"
                        if n_complete == n_total else
                        "listwise: persons with every item at every wave")
    return wide, used, fiml, Cases(n_total=n_total, n=len(used), dropped=dropped,
                                   missing_rule=missing_rule,
                                   incomplete=incomplete if fiml else {})


def _answered_at(seen: np.ndarray, items: Sequence[str], waves: Sequence[str]) -> np.ndarray:
    """(persons, waves): whether each person answered any item at each wave, from the
    answers given in the wide data (``seen``)."""
    return np.asarray(seen.reshape(len(seen), len(waves), len(items)).any(axis=2))


def _present(wide: pd.DataFrame, items: Sequence[str], waves: Sequence[str]) -> pd.DataFrame:
    """Whether each person (row of ``wide``) answered any item at each wave."""
    return pd.DataFrame(_answered_at(wide.notna().to_numpy(), items, waves),
                        index=wide.index, columns=list(waves))


def _prepare(frame: pd.DataFrame, scale: str, items: Sequence[str], waves: Sequence[str],
             rule: str, null_model: str, missing: str,
             seed: int, estimator: str = DEFAULT_ESTIMATOR) -> _Context | InvarianceResult:
    """Reshape, apply the missing-data rule, compute the moments; or say why not."""
    items, waves = tuple(items), tuple(waves)
    wide, used, fiml, cases = select_cases(frame, items, waves, missing)
    base = _Common(scale, rule, null_model, waves, items, cases, rule_details(rule, seed))
    refusal = _refusal(used, items, waves, fiml)
    if refusal is not None:
        return base.result(*refusal)
    moments = _moments(wide, used, items, waves, fiml)
    if isinstance(moments, tuple):
        return base.result(*moments)
    baseline: tuple[float, int] | None = None
    baseline_table: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
    if null_model == "longitudinal":
        baseline, baseline_table, notes = _longitudinal_baseline(items, waves, moments)
    return _Context(scale, items, waves, wide, used, moments, fiml, base, baseline,
                    notes, seed, estimator=estimator, baseline_table=baseline_table)


def _refusal(used: pd.DataFrame, items: tuple[str, ...], waves: tuple[str, ...],
             fiml: bool) -> tuple[str, str] | None:
    """Why no sequence can be fitted to ``used`` (status, reason), seen before any
    moment is computed; None when one can."""
    if len(waves) < 2:
        return "single_wave", "invariance across waves needs at least two waves"
    if len(items) < 3:
        return "not_identified", f"{len(items)} items: a factor per wave needs at least 3"
    p = len(items) * len(waves)
    if len(used) <= p:
        return ("too_few_cases", f"{len(used)} persons "
                f"({'with any answer' if fiml else 'with every item at every wave'}); "
                f"more than {p} are needed")
    counts = used.notna().sum()
    var = used.var(ddof=0)
    thin = [c for c in used.columns if counts[c] < 2 or not var[c] > 0]
    if thin:
        return ("no_variance", "no variance to model in "
                f"{', '.join(_column_label(c, items, waves) for c in thin)} "
                "(unanswered, answered once, or answered the same by everyone): "
                "invariance needs every item answered, with some variance, at every wave")
    return None


def _moments(wide: pd.DataFrame, used: pd.DataFrame, items: tuple[str, ...],
             waves: tuple[str, ...], fiml: bool) -> Moments | PatternMoments | tuple[str, str]:
    """The sample moments of ``used`` (with FIML the EM estimate of the saturated
    model), or why they cannot carry a model (status, reason)."""
    moments: Moments | PatternMoments
    if fiml:
        moments = PatternMoments.from_data(used)
        if moments.em_status != "ok":
            return (em_status_word(moments.em_status),
                    em_reason(moments, "persons with answers per wave: "
                              + _persons_per_wave(_present(wide, items, waves))))
    else:
        moments = Moments.from_data(used)
    problem = covariance_problem(moments.cov, moments.names)
    return moments if problem is None else problem


def _longitudinal_baseline(
    items: tuple[str, ...], waves: tuple[str, ...], moments: Moments | PatternMoments,
) -> tuple[tuple[float, int] | None, pd.DataFrame | None, tuple[str, ...]]:
    """Widaman & Thompson's null model fitted: its chi2 and df and its table, or a
    note that it could not be fitted (CFI and TLI then use the independence model)."""
    null_table = build_table(longitudinal_null_rows(items, waves))
    null_fit = fit_ml(null_table, moments)
    if null_fit.fit is not None:
        return (null_fit.fit.chi2, null_fit.df), null_table, ()
    return None, None, (f"the longitudinal null model could not be fitted ({null_fit.reason}); "
                        "CFI and TLI use lavaan's independence model",)


def longitudinal_invariance(
    frame: pd.DataFrame, scale: str, items: Sequence[str], waves: Sequence[str], *,
    rule: Rule = DEFAULT_RULE,
    null_model: Literal["independence", "longitudinal"] = "independence",
    partial: bool = True, missing: Literal["fiml", "listwise"] = "fiml", seed: int = 0,
    standard_errors: bool = True, estimator: Estimator = DEFAULT_ESTIMATOR,
) -> InvarianceResult:
    """Run configural -> metric -> scalar -> strict (with partial steps) for one scale.

    ``frame`` is long: columns ``id``, ``wave`` and the scale's keyed items. With
    ``missing="fiml"`` (default) every person with at least one answer counts, by
    full-information ML (persons seen at one wave only included); ``"listwise"``
    uses the persons with every item at every wave. ``rule`` is one of
    :data:`~psychometrics.decision_rules.RULES` (default ``"lrt-calibrated"``);
    ``seed`` seeds its bootstrap draws. ``standard_errors=False`` skips the
    standard errors of the latent mean change (for simulation studies).

    One factor per wave, the same item's residuals correlated across waves, ML with
    a mean structure, identified as ``semTools::measEq.syntax(ID.fac = "std.lv")``:
    metric constrains loadings, scalar intercepts too, strict residual variances
    too. Each step is compared with the last accepted model and judged by the rule
    (``docs/invariance_verdict.md``): the default tests the configural model's close
    fit (H0: RMSEA <= .05) and metric, scalar and strict by likelihood-ratio tests
    at .05/4, with a parametric bootstrap at the study's N where the asymptotic p is
    unreliable. A rejected step is followed by partial invariance: the constraint
    with the largest score test is released, one at a time, while at least two
    items per factor stay constrained. Every released loading or intercept gets
    its dMACS and mean bias.

    In R: ``semTools::measEq.syntax(configural.model, data, ID.fac = "std.lv",
    longFacNames = ..., longIndNames = ..., auto = "all", long.equal = c("loadings",
    "intercepts", "residuals"), meanstructure = TRUE, return.fit = TRUE)`` for the
    models, ``lavaan::lavTestLRT(fit0, fit1)`` for delta chi2,
    ``lavaan::lavTestScore`` for the constraints to release.

    Parameters
    ----------
    frame : DataFrame
        Long format: ``id``, ``wave`` and one column per item (keyed), NaN where
        missing.
    scale : str
        The scale's name (used for the factor names).
    items : sequence of str
        The scale's items (at least 3).
    waves : sequence of str
        The waves, in order (at least 2).
    rule : {"lrt-calibrated", "cfi-rmsea", "chen-small-n", "chi2"}
        The decision rule.
    null_model : {"independence", "longitudinal"}
        The baseline of CFI and TLI: lavaan's independence model, or Widaman &
        Thompson's longitudinal null model.
    partial : bool
        Search for partial invariance when a step is rejected.
    missing : {"fiml", "listwise"}
        Full-information ML, or persons with every item at every wave.
    seed : int
        Seed of the bootstrap draws of ``"lrt-calibrated"``.
    standard_errors : bool
        Compute the standard errors of the latent mean change.
    estimator : {"ML", "MLR"}
        ``"MLR"`` adds the robust statistics (sandwich SEs, scaled chi2 and
        Satorra-Bentler scaled differences, robust indices) and judges on them.
        (Ordered items by WLSMV: :func:`psychometrics.ordinal_invariance`.)

    Returns
    -------
    InvarianceResult
        The level reached, every fitted step with its decision, the released
        constraints and their sizes, and the latent mean change.

    Raises
    ------
    ValueError
        ``rule`` is not one of ``RULES``.

    References
    ----------
    Widaman, K. F., & Thompson, J. S. (2003). On specifying the null model for
    incremental fit indices in structural equation modeling. Psychological
    Methods, 8, 16-37.

    Byrne, B. M., Shavelson, R. J., & Muthen, B. (1989). Testing for the equivalence
    of factor covariance and mean structures: The issue of partial measurement
    invariance. Psychological Bulletin, 105, 456-466.

    MacCallum, R. C., Browne, M. W., & Sugawara, H. M. (1996). Power analysis and
    determination of sample size for covariance structure modeling. Psychological
    Methods, 1, 130-149.

    Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for
    testing measurement invariance. Structural Equation Modeling, 9, 233-255.

    Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of
    measurement invariance. Structural Equation Modeling, 14, 464-504.

    Nye, C. D., & Drasgow, F. (2011). Effect size indices for analyses of
    measurement equivalence. Journal of Applied Psychology, 96, 966-980.

    Examples
    --------
    The example study's item TSE06 was simulated with an intercept that rises by
    one response unit between the waves; partial invariance finds it:

    >>> import pandas as pd
    >>> from instruments import keyed_items, read_responses
    >>> from psychometrics import longitudinal_invariance
    >>> from psychometrics.example_study import example_data_path
    >>> r = read_responses(example_data_path(), "tse", id_column="teacher",
    ...                    wave_column="wave")
    >>> frame = pd.concat([r.keys[["id", "wave"]], keyed_items(r, "tse_instruction")], axis=1)
    >>> result = longitudinal_invariance(frame, "tse_instruction",
    ...                                  r.instrument.scale("tse_instruction").items, r.waves)
    >>> result.level, result.freed
    ('partial_strict', ('intercept of TSE06 at T1',))
    >>> steps = result.to_frame()[["model", "df", "chi2", "delta_chi2", "delta_p", "accepted"]]
    >>> print(steps.round(3).to_string(index=False))  # In R: lavaan::lavTestLRT(fit0, fit1)
             model  df   chi2  delta_chi2  delta_p  accepted
        configural  15 24.712         NaN      NaN      True
            metric  18 26.079       1.366    0.713      True
            scalar  21 69.693      43.614    0.000     False
    partial_scalar  20 28.730       2.652    0.266      True
            strict  24 36.108       7.378    0.117      True
    >>> round(result.noninvariance[0].dmacs, 3), round(result.latent_mean_diff_std["T1"].estimate, 3)
    (0.886, 0.368)
    """
    result = invariance_verdicts(frame, scale, items, waves, rules=(rule,),
                                 null_model=null_model, partial=partial, missing=missing,
                                 seed=seed, standard_errors=standard_errors,
                                 estimator=estimator)[rule]
    warn_result(result, f"invariance of scale {scale}")
    return result


def warn_result(result: InvarianceResult, subject: str) -> None:
    """Raise the warnings of an invariance sequence: its status, and each fitted step
    that did not converge or is inadmissible (:mod:`psychometrics.exceptions`)."""
    if result.status != "ok":  # the status names the step that stopped the sequence
        warn_status(result.status, result.reason, subject, stacklevel=4)
        return
    for step in result.steps:
        warn_status(step.status, step.reason, f"{subject}, model {step.model}", stacklevel=4)


def invariance_verdicts(
    frame: pd.DataFrame, scale: str, items: Sequence[str], waves: Sequence[str], *,
    rules: Sequence[str] = RULES,
    null_model: Literal["independence", "longitudinal"] = "independence",
    partial: bool = True, missing: Literal["fiml", "listwise"] = "fiml", seed: int = 0,
    standard_errors: bool = True, estimator: Estimator = DEFAULT_ESTIMATOR,
) -> dict[str, InvarianceResult]:
    """The invariance sequence of one scale under several decision rules at once
    (models that two rules both need are fitted once): a sensitivity analysis of the
    verdict, and what the Monte Carlo study in ``benchmarks/bench_verdict.py`` runs.

    Each rule's result is what :func:`longitudinal_invariance` gives with that rule
    (the data are prepared once).

    In R: as :func:`longitudinal_invariance`, one ``lavaan::lavTestLRT`` chain per
    rule.

    Parameters
    ----------
    frame : DataFrame
        Long format: ``id``, ``wave`` and the scale's keyed items.
    scale : str
    items : sequence of str
    waves : sequence of str
    rules : sequence of str
        Decision rules from ``RULES`` (default: all four).
    null_model : {"independence", "longitudinal"}
    partial : bool
    missing : {"fiml", "listwise"}
    seed : int
    standard_errors : bool
        As :func:`longitudinal_invariance`.
    estimator : {"ML", "MLR"}
        As :func:`longitudinal_invariance`.

    Returns
    -------
    dict of str to InvarianceResult
        One result per rule, in the order of ``rules``.

    Raises
    ------
    ValueError
        A rule is not one of ``RULES``.

    References
    ----------
    Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for
    testing measurement invariance. Structural Equation Modeling, 9, 233-255.

    Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of
    measurement invariance. Structural Equation Modeling, 14, 464-504.

    The calibration of ``"lrt-calibrated"``: ``docs/invariance_verdict.md``.

    Examples
    --------
    >>> import pandas as pd
    >>> from instruments import keyed_items, read_responses
    >>> from psychometrics import invariance_verdicts
    >>> from psychometrics.example_study import example_data_path
    >>> r = read_responses(example_data_path(), "tse", id_column="teacher",
    ...                    wave_column="wave")
    >>> frame = pd.concat([r.keys[["id", "wave"]], keyed_items(r, "tse_instruction")], axis=1)
    >>> verdicts = invariance_verdicts(frame, "tse_instruction",
    ...                                r.instrument.scale("tse_instruction").items, r.waves,
    ...                                rules=("lrt-calibrated", "cfi-rmsea"))
    >>> for rule, result in verdicts.items():
    ...     print(rule, result.level, result.freed)
    lrt-calibrated partial_strict ('intercept of TSE06 at T1',)
    cfi-rmsea partial_strict ('intercept of TSE06 at T1', 'residual of TSE08 at T1')
    """

    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise ValueError(f"The 'rule' parameter must be one of {', '.join(RULES)}. "
                         f"Got {unknown[0]!r} instead.")
    if estimator not in ("ML", "MLR"):  # ordered items: psychometrics.ordinal_invariance
        raise ValueError(f"The 'estimator' parameter must be one of 'ML', 'MLR' (ordered "
                         f"items by WLSMV: ordinal_invariance). Got {estimator!r} instead.")
    out: dict[str, InvarianceResult] = {}
    ctx_or_result = _prepare(frame, scale, items, waves, rules[0], null_model, missing, seed,
                             estimator)
    for rule in rules:
        if isinstance(ctx_or_result, InvarianceResult):
            out[rule] = replace(ctx_or_result, rule=rule,
                                rule_details=rule_details(rule, seed))
        else:
            # The same context (its cache of fits shared by the rules), this rule's fields.
            ctx = replace(ctx_or_result, base=replace(ctx_or_result.base, rule=rule,
                                                      rule_details=rule_details(rule, seed)))
            out[rule] = _sequence(ctx, rule, partial, standard_errors)
    return out


def _sequence(ctx: _Context, rule: str, partial: bool, se: bool) -> InvarianceResult:
    """The sequence of one scale under ``rule``: the configural model, then metric,
    scalar and strict with their partial searches, the latent mean change and the
    sizes of the released parameters."""
    notes = list(ctx.notes)
    conf = _configural(ctx, rule, notes)
    if conf.status != "ok":
        return ctx.base.result(conf.status, f"configural model: {conf.reason}",
                               steps=(conf,), notes=notes)
    if not conf.accepted:
        return ctx.base.result("ok", "the configural model does not fit, so no invariance "
                               f"can be built on it ({conf.decision})",
                               steps=_information_only(ctx, rule, conf), notes=notes)
    chain = _chain(ctx, rule, partial, conf)
    released = [f for f in chain.freed if f[0] in ("loading", "intercept")]
    invariant = tuple(it for it in ctx.items if not any(f[1] == it for f in released))
    return ctx.base.result("ok", "", chain.level, chain.steps, notes,
                           freed=tuple(_describe(f) for f in chain.freed),
                           latent=_latent_change(ctx, chain.steps, released, se),
                           score_tests=chain.tests,
                           noninvariance=_release_sizes(ctx, chain.last, released),
                           invariant_items=invariant)


def _configural(ctx: _Context, rule: str, notes: list[str]) -> Step:
    """The configural model judged by ``rule`` (a test of close fit, or CFI and RMSEA);
    a note on a small sample goes to ``notes``."""
    conf, _, syntax = ctx.run("configural", ())
    cfi, tli = ctx.indices(conf)
    if conf.n / conf.npar < MIN_CASES_PER_PARAMETER:
        notes.append(f"{conf.n / conf.npar:.1f} cases per free parameter in the configural "
                     f"model (fewer than {MIN_CASES_PER_PARAMETER}): the comparisons are imprecise")
    if conf.status != "ok":
        return Step("configural", conf.status, conf.reason, conf, syntax=syntax,
                    accepted=False, cfi=cfi, tli=tli,
                    decision=f"not admissible: {conf.reason}", estimator=ctx.estimator)
    f0 = conf.fit
    assert f0 is not None  # status "ok": the fit indices exist
    rob = ctx.robust(conf)
    if rob is not None:
        cfi_r, _, rmsea_r = ctx.robust_indices(conf)
        judged = judge_configural(rule, rob.index_chi2, conf.df, conf.n, cfi_r, rmsea_r,
                                  scaling=rob.index_scaling)
        close_p = close_fit_pvalue(rob.index_chi2, conf.df, conf.n, rob.index_scaling)
    else:
        judged = judge_configural(rule, f0.chi2, conf.df, conf.n, cfi, f0.rmsea)
        close_p = close_fit_pvalue(f0.chi2, conf.df, conf.n)
    return Step("configural", conf.status, conf.reason, conf, syntax=syntax,
                accepted=judged.accepted, cfi=cfi, tli=tli, decision=judged.decision,
                close_fit_p=close_p, robust=rob, estimator=ctx.estimator)


def _information_only(ctx: _Context, rule: str, conf: Step) -> tuple[Step, ...]:
    """The configural step and metric, scalar and strict described, not judged: nothing
    is built on a configural model that fails."""
    steps, last = [conf], conf
    for step in ("metric", "scalar", "strict"):
        fit, _, syntax = ctx.run(step, ())
        st = _compare(ctx, step, fit, last, syntax, rule, (), (), judge=False)
        steps.append(st)
        if fit.status != "ok":
            break
        last = st
    return tuple(steps)


@dataclass(slots=True)
class _Chain:
    """The sequence so far: its steps, the level reached, the last accepted step, the
    releases kept, and the score tests of each rejected step."""

    steps: list[Step]
    level: str
    last: Step
    freed: list[tuple[str, ...]] = field(default_factory=list)
    tests: dict[str, pd.DataFrame] = field(default_factory=dict)


def _chain(ctx: _Context, rule: str, partial: bool, conf: Step) -> _Chain:
    """Metric, scalar and strict, each against the last accepted model. A rejected step
    is followed by its partial search (with ``partial``); the sequence stops at the
    first step that neither it nor its partial search makes acceptable."""
    chain = _Chain([conf], "configural", conf)
    for step in ("metric", "scalar", "strict"):
        fit, table, syntax = ctx.run(step, chain.freed)
        st = _compare(ctx, step, fit, chain.last, syntax, rule, tuple(chain.freed),
                      tuple(_describe(f) for f in chain.freed))
        chain.steps.append(st)
        if st.accepted:
            # A model that carries earlier releases is only partially invariant.
            chain.level, chain.last = (f"partial_{step}" if chain.freed else step), st
            continue
        if not partial or fit.status != "ok":
            break
        accepted = _partial_search(ctx, rule, step, fit, table, chain)
        if accepted is None:
            # Releases that did not lead to an accepted model are not kept.
            chain.freed = [f for f in chain.freed if f[0] != _KIND[step]]
            break
        chain.level, chain.last = f"partial_{step}", accepted
    return chain


def _partial_search(ctx: _Context, rule: str, step: str, fit: MLFit, table: pd.DataFrame,
                    chain: _Chain) -> Step | None:
    """Release the constraint of ``step``'s kind with the largest score test, refit and
    judge, one at a time, while at least two items per factor stay constrained: the
    accepted partial step, or None. Releases, steps and score tests go to ``chain``."""
    kind = _KIND[step]
    freed = chain.freed
    while True:
        constrained = [it for it in ctx.items
                       if not any(f[0] == kind and f[1] == it for f in freed)]
        if len(constrained) <= 2:  # one more release would leave fewer than two
            return None
        key = ("scores", step, tuple(freed))
        if key not in ctx.cache:
            ctx.cache[key] = _release_scores(fit, table, ctx.moments, kind, ctx.items,
                                             ctx.waves, freed, ctx.groups)
        scores: pd.DataFrame = ctx.cache[key]
        chain.tests[f"{step}:{len(freed)}"] = scores
        if scores.empty or not np.isfinite(scores["mi"]).any():
            return None
        best = scores.iloc[int(np.nanargmax(scores["mi"].to_numpy()))]
        freed.append((kind, best["item"], best["wave"])
                     + ((best["group"],) if ctx.groups else ()))
        fit, table, syntax = ctx.run(step, freed)
        st = _compare(ctx, f"partial_{step}", fit, chain.last, syntax, rule, tuple(freed),
                      tuple(_describe(f) for f in freed))
        chain.steps.append(st)
        if fit.status != "ok":
            return None
        if st.accepted:
            return st


def _latent_change(ctx: _Context, steps: Sequence[Step], released: Sequence[tuple[str, ...]],
                   se: bool) -> dict[str, Any]:
    """Each later wave's latent mean in first-wave SD units (across groups:
    ``ctx.latent``'s differences) from the accepted (partial) scalar model, not from
    strict; empty without one."""
    scalar_step = next((s for s in reversed(steps) if s.accepted and
                        s.model in ("scalar", "partial_scalar")), None)
    if scalar_step is None:
        return {}
    if ctx.latent is not None:
        return ctx.latent(ctx.run("scalar", released, se=se)[0])
    t = ctx.estimates(ctx.run("scalar", released, se=se)[0])
    changes: dict[str, Any] = {}
    for w in ctx.waves[1:]:
        row = t[(t["lhs"] == factor_name(ctx.scale, w)) & (t["op"] == "~1")].iloc[0]
        est, s_e = float(row["est"]), float(row["se"])
        changes[w] = LatentMeanChange(w, est, s_e, Interval(est - 1.959963984540054 * s_e,
                                                            est + 1.959963984540054 * s_e))
    return changes


def _release_sizes(ctx: _Context, last: Step,
                   released: Sequence[tuple[str, ...]]) -> tuple[NonInvariance, ...]:
    """dMACS and mean bias of the released loadings and intercepts, in the last
    accepted model."""
    if not released or last.fit.status != "ok":
        return ()
    if ctx.groups:
        from psychometrics.group_invariance import group_noninvariance_sizes
        return group_noninvariance_sizes(ctx, last.fit, released)
    # Across waves a release is (kind, item, wave).
    three = cast(Sequence[tuple[str, str, str]], released)
    return noninvariance_sizes(last.fit.table, three, ctx.wide, ctx.items, ctx.waves,
                               column, lambda w: factor_name(ctx.scale, w))


def em_status_word(em_status: str) -> str:
    """The status of a model whose saturated model EM could not estimate."""
    return "not_positive_definite" if em_status == "singular" else "not_converged"


def em_reason(moments: PatternMoments, detail: str = "") -> str:
    """Why the EM of the saturated model stopped, in words, with its iterations."""
    who = f" ({detail})" if detail else ""
    if moments.em_status == "singular":
        return (f"the unrestricted means and covariances of the {len(moments.names)} "
                f"variables could not be estimated with missing answers: their EM estimate "
                f"became singular after {moments.em_iterations} iterations, which happens when "
                f"too few persons answered where the others did not{who}")
    return (f"the EM of the unrestricted means and covariances did not converge in "
            f"{moments.em_iterations} iterations (the most allowed); with much missing "
            f"information, e.g. a wave that few persons answered{who}, EM is slow")


def _persons_per_wave(present: pd.DataFrame) -> str:
    return ", ".join(f"{w} {int(present[w].sum())}" for w in present.columns)


def _column_label(col: str, items: Sequence[str], waves: Sequence[str]) -> str:
    """'item at wave' for a column of the wide data."""
    for it in items:
        for w in waves:
            if column(it, w) == col:
                return f"{it} at {w}"
    return col


def _describe(f: tuple[str, ...]) -> str:
    """'intercept of x3 at T1' (across waves), 'intercept of x3 in group B' (one wave),
    'intercept of x3 in group B at T1' (groups x waves)."""
    if len(f) == 4:
        kind, item, wave, group = f
        return f"{kind} of {item} in group {group}" + ("" if wave == "all" else f" at {wave}")
    kind, item, wave = f
    return f"{kind} of {item} at {wave}"


@dataclass(frozen=True, slots=True)
class _Scaled:
    """MLR: a step's robust statistics, its Satorra-Bentler scaled difference against
    the last accepted model, the changes of the robust indices, and a note."""

    robust: RobustFit | None = None
    delta_chi2_scaled: float = math.nan
    delta_p_scaled: float = math.nan
    delta_method: str | None = None
    delta_cfi_robust: float = math.nan
    delta_rmsea_robust: float = math.nan
    note: str = ""


def _compare(ctx: _Context, model: str, fit: MLFit, last: Step, syntax: str, rule: str,
             freed_keys: tuple[tuple[str, ...], ...], freed: tuple[str, ...],
             judge: bool = True) -> Step:
    """The step ``model`` against the last accepted one, judged by ``rule`` (or, with
    ``judge=False``, only described)."""
    cfi, tli = ctx.indices(fit)
    if fit.status != "ok":
        return Step(model, fit.status, fit.reason, fit, last.model, syntax=syntax,
                    accepted=False if judge else None,
                    decision=f"not admissible: {fit.reason}", freed=freed,
                    estimator=ctx.estimator)
    f, g = fit.fit, last.fit.fit
    assert f is not None and g is not None  # status "ok", and the last one accepted
    d_chi2 = f.chi2 - g.chi2
    d_df = fit.df - last.fit.df
    d_p = _distributions.chi2_sf(d_chi2, d_df) if d_df > 0 else math.nan
    d_cfi, d_rmsea, d_srmr = cfi - last.cfi, f.rmsea - g.rmsea, f.srmr - g.srmr
    rob = ctx.robust(fit)
    sc = _scaled_step(ctx, fit, rob, last, freed_keys) if rob is not None else _Scaled()
    accepted: bool | None = None
    decision = "not judged: the configural model was rejected"
    p_boot, draws = math.nan, 0
    if judge:
        # Under MLR the rules judge the scaled test and the robust indices.
        test_stat, test_p = ((sc.delta_chi2_scaled, sc.delta_p_scaled) if rob is not None
                             else (d_chi2, d_p))
        judge_cfi, judge_rmsea = ((sc.delta_cfi_robust, sc.delta_rmsea_robust)
                                  if rob is not None else (d_cfi, d_rmsea))
        note = f"; {sc.note}" if sc.note else ""
        if needs_bootstrap(rule, test_p):
            p_boot, draws, failed = _bootstrap(ctx, model, fit, last, freed_keys, rule,
                                               test_stat)
            note += failed
        judged = judge_step(rule, judge_cfi, judge_rmsea, test_p, p_boot, draws,
                            robust=rob is not None)
        accepted, decision = judged.accepted, judged.decision + note
    return Step(model, fit.status, fit.reason, fit, last.model, d_chi2, d_df, d_p, d_cfi,
                d_rmsea, d_srmr, accepted, decision, freed, syntax, cfi, tli,
                p_bootstrap=p_boot, bootstrap_draws=draws, estimator=ctx.estimator,
                robust=sc.robust, delta_chi2_scaled=sc.delta_chi2_scaled,
                delta_p_scaled=sc.delta_p_scaled, delta_method=sc.delta_method,
                delta_cfi_robust=sc.delta_cfi_robust, delta_rmsea_robust=sc.delta_rmsea_robust)


def _bootstrap(ctx: _Context, model: str, fit: MLFit, last: Step,
               freed_keys: tuple[tuple[str, ...], ...], rule: str,
               test_stat: float) -> tuple[float, int, str]:
    """The parametric bootstrap p of the step (cached), its draws, and a note on draws
    that did not converge."""
    key = ("boot", model, freed_keys, last.model, last.freed)
    if key not in ctx.cache:
        step = model.removeprefix("partial_")
        table = ctx.run(step, freed_keys)[1]
        last_table = ctx.run(last.model.removeprefix("partial_"),
                             _keys_of(last.freed, freed_keys))[1]
        ctx.cache[key] = bootstrap_lr_pvalue(
            table, fit, last_table, last.fit, ctx.seen(), test_stat,
            alpha=alpha_per_test(rule), seed=_seed(ctx, model, freed_keys),
            max_draws=BOOTSTRAP_MAX_DRAWS)
    boot = ctx.cache[key]
    failed = ""
    if boot.failed:
        failed = (f"; {boot.failed} bootstrap draw(s) did not converge and were not counted"
                  + ("" if boot.draws else ", so the asymptotic p decided"))
    return float(boot.pvalue), int(boot.draws), failed


def _scaled_step(ctx: _Context, fit: MLFit, rob: RobustFit, last: Step,
                 freed_keys: tuple[tuple[str, ...], ...]) -> _Scaled:
    """MLR: the Satorra-Bentler scaled difference against the last accepted model and the
    changes of the robust indices."""
    last_rob = last.robust
    f, g = fit.fit, last.fit.fit
    if last_rob is None or f is None or g is None:
        return _Scaled(rob)

    def c_10() -> float:  # the less restricted model at this model's estimates (2010)
        last_table = ctx.run(last.model.removeprefix("partial_"),
                             _keys_of(last.freed, freed_keys))[1]
        return scaling_at(last_table, ctx.one_sample(), ctx.used, theta_from(last_table, fit.table),
                          last.fit.df, ctx.prepared())

    d = scaled_difference(f.chi2, fit.df, rob.scaling_factor, g.chi2, last.fit.df,
                          last_rob.scaling_factor, c_10)
    return _Scaled(rob, d.chi2, d.pvalue, d.method, rob.cfi_robust - last_rob.cfi_robust,
                   rob.rmsea_robust - last_rob.rmsea_robust, d.note)


def _keys_of(described: tuple[str, ...],
             candidates: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    """The releases (kind, item, wave) of a step, from their descriptions."""
    return tuple(c for c in candidates if _describe(c) in described)


def _seed(ctx: _Context, model: str, freed: tuple[tuple[str, ...], ...]) -> int:
    """A reproducible seed per scale, model and releases, derived from the run's seed."""
    across = "groups|" if ctx.groups else ""  # time-only seeds as before
    return zlib.crc32(f"{ctx.seed}|{across}{ctx.scale}|{model}|{freed}".encode())


def _release_scores(fit: MLFit, table: pd.DataFrame,
                    moments: Moments | PatternMoments | GroupMoments, kind: str,
                    items: Sequence[str], waves: Sequence[str],
                    freed: Sequence[tuple[str, ...]], groups: Sequence[str] = ()) -> pd.DataFrame:
    """Score tests of releasing each still-constrained parameter of ``kind``: at each
    later wave (the first wave's parameter is the reference), or with ``groups`` in
    every (group, wave) but the first group's first wave."""
    position = {}
    group = table["group"].to_numpy()
    for k, r in enumerate(table.itertuples(index=False)):
        if r.op == "=~":  # an item column loads on one factor: key the loading by the item
            position[("loading", r.rhs, group[k])] = k
        elif r.op == "~1":
            position[("intercept", r.lhs, group[k])] = k
        elif r.op == "~~" and r.lhs == r.rhs:
            position[("residual", r.lhs, group[k])] = k
    cells = ([(g, label, w) for g, label in enumerate(groups, start=1) for w in waves
              if (g, w) != (1, waves[0])] if groups else [(1, None, w) for w in waves[1:]])
    rows, meta = [], []
    released = set(freed)
    for it in items:
        # Across waves an item is released once; across groups once per (group, wave),
        # so that e.g. a drift over time shared by the groups can be released in each.
        if not groups and any(f[0] == kind and f[1] == it for f in freed):
            continue
        for g, label, w in cells:
            if groups and (kind, it, w, label) in released:
                continue
            key = (kind, column(it, w), g)
            if key in position:
                rows.append(position[key])
                meta.append((it, w, label))
    columns = ["item", "wave"] + (["group"] if groups else []) + ["mi", "epc", "pvalue"]
    if not rows:
        return pd.DataFrame(columns=columns)
    res = score_tests(fit, table, moments, rows)
    if groups:
        res.insert(0, "group", [m[2] for m in meta])
    res.insert(0, "wave", [m[1] for m in meta])
    res.insert(0, "item", [m[0] for m in meta])
    return res
