"""Confirmatory factor analysis of scales and instruments, by ML (lavaan's definitions).

The model is built from the instrument: one factor per scale, its items loading on
it, factors correlated, identification by fixing factor variances at 1 (lavaan's
``std.lv = TRUE``), no mean structure for complete data (as ``lavaan::cfa``). With
missing answers it is fitted by full-information ML with free intercepts (as
``missing = "ml"``; :mod:`psychometrics.sem`), or on the persons who answered
every item with ``missing="listwise"``; ``n``, ``n_total`` and the rule are reported.
chi2 is ``N * F_ML`` (N, not N - 1), as lavaan; the other indices are defined in
:mod:`psychometrics.sem.fit_indices`.

Problems are stated, not hidden: too few cases (``n <= p``), a non-positive-definite
sample covariance matrix, non-convergence and Heywood cases give a ``status`` and a
``reason`` and no fit indices (a Heywood case keeps its numbers, flagged);
fewer than 5 cases per free parameter adds a note.

``estimator="MLR"`` keeps the ML estimates and adds lavaan's robust statistics
(:mod:`psychometrics.sem.robust`): the standard errors in the table (and of the
standardized loadings) are the sandwich ones; the block carries ``chi2_scaled``,
``scaling_factor``, ``pvalue_scaled``, ``cfi_robust``, ``tli_robust``, ``rmsea_robust``
and ``rmsea_robust_ci`` beside the ML fields. Modification indices stay the ordinary
score tests (as lavaan's ``modindices`` on an MLR fit).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from psychometrics.estimators import DEFAULT_ESTIMATOR, Estimator
from psychometrics.exceptions import SmallSampleWarning, warn_status
from psychometrics.results import json_object, records
from psychometrics.sem import (
    FitIndices,
    MLFit,
    Moments,
    PatternMoments,
    Row,
    build_table,
    covariance_problem,
    fit_ml,
    score_tests,
    to_lavaan,
)
from psychometrics.sem.robust import RobustFit, robust_fields, robust_fit

#: Below this many cases per free parameter a note warns that estimates are unstable.
MIN_CASES_PER_PARAMETER = 5
N_LARGEST = 10


@dataclass(frozen=True, slots=True)
class CFAResult:
    """A fitted CFA model with its fit, standardized loadings and diagnostics.

    Returned by :func:`fit_cfa`. Only an admissible solution reports numbers:
    ``to_dict()`` (a ``cfa`` entry of results.json) gives a Heywood case or a model
    that did not converge its status and reason, and no fit, loadings or SEs.

    Attributes
    ----------
    name : str
        The model's name.
    status, reason : str
        ``"ok"``, or ``"not_identified"``, ``"too_few_cases"``,
        ``"not_positive_definite"``, ``"not_converged"``, ``"heywood"``, ...
    n_total, n : int
        Rows given, and persons used.
    npar, df : int
        Free parameters and degrees of freedom.
    fit : FitIndices or None
        chi2 (``N * F_ML``), its p, CFI, TLI, RMSEA with its 90% CI, SRMR.
    aic, bic : float
    table : DataFrame
        The parameter table (lavaan's columns ``lhs, op, rhs, est, se, z, pvalue,
        std_all, std_se``, ...).
    residual_correlations : DataFrame
        The 10 largest absolute residual correlations.
    modification_indices : DataFrame
        The 10 largest modification indices of cross-loadings and residual
        covariances (``mi``, ``epc``, ``pvalue``).
    syntax : str
        The model in lavaan syntax, to refit in R.
    notes : tuple of str
        E.g. few cases per free parameter; how many persons answered every item.
    missing_rule : str
        ``"fiml"``, ``"listwise"`` or ``"complete data"``.
    estimator : {"ML", "MLR"}
    robust : RobustFit or None
        Under MLR: sandwich SEs, the Yuan-Bentler scaled chi2 and the robust indices
        (:mod:`psychometrics.sem.robust`); ``None`` under ML.
    loadings_std : Series
        Standardized loadings (``std.all``), by item.
    factor_correlations : DataFrame
        ``lhs, rhs, std_all, std_se`` for each pair of factors.
    just_identified : bool
        ``df == 0``: chi2 is 0 and CFI, TLI and RMSEA are undefined.

    Examples
    --------
    >>> from instruments import keyed_items, read_responses
    >>> from psychometrics import fit_cfa
    >>> from psychometrics.example_study import example_data_path
    >>> r = read_responses(example_data_path(), "tse", id_column="teacher",
    ...                    wave_column="wave")
    >>> x = keyed_items(r, "tse_engagement")[(r.keys["wave"] == "T0").to_numpy()]
    >>> result = fit_cfa(x, {"engagement": list(x.columns)}, "engagement")
    >>> result.loadings_std.round(3).to_dict()
    {'TSE01': 0.741, 'TSE02': 0.756, 'TSE03': 0.848, 'TSE04': 0.861}
    >>> d = result.to_dict()
    >>> d["status"], d["missing_rule"], d["df"], round(d["cfi"], 3)
    ('ok', 'fiml', 2, 1.0)
    """

    name: str
    status: str
    reason: str
    n_total: int
    n: int
    npar: int
    df: int
    fit: FitIndices | None
    aic: float
    bic: float
    table: pd.DataFrame = field(repr=False)
    residual_correlations: pd.DataFrame = field(repr=False)
    modification_indices: pd.DataFrame = field(repr=False)
    syntax: str = field(repr=False, default="")
    notes: tuple[str, ...] = ()
    missing_rule: str = "listwise"
    estimator: str = DEFAULT_ESTIMATOR
    #: The MLR statistics (None under ML).
    robust: RobustFit | None = field(repr=False, default=None)

    @property
    def loadings_std(self) -> pd.Series:
        t = self.table[self.table["op"] == "=~"]
        return pd.Series(t["std_all"].to_numpy(), index=t["rhs"].to_numpy(), name="std_all")

    @property
    def factor_correlations(self) -> pd.DataFrame:
        lhs, op, rhs = (self.table[c].to_numpy() for c in ("lhs", "op", "rhs"))
        factors = set(lhs[op == "=~"].tolist())
        keep = np.array([o == "~~" and a in factors and a != b
                         for a, o, b in zip(lhs.tolist(), op.tolist(), rhs.tolist())], dtype=bool)
        return pd.DataFrame({"lhs": pd.array([shown(a) for a in lhs[keep].tolist()], dtype="str"),
                             "rhs": pd.array([shown(b) for b in rhs[keep].tolist()], dtype="str"),
                             "std_all": self.table["std_all"].to_numpy()[keep],
                             "std_se": self.table["std_se"].to_numpy()[keep]})

    @property
    def just_identified(self) -> bool:
        """df = 0: the model reproduces the data exactly; its fit cannot be tested."""
        return self.df == 0

    def to_dict(self) -> dict[str, Any]:
        """The model as plain JSON types (a ``cfa`` entry of results.json).

        Fit indices, loadings, SEs, factor correlations, residual correlations and
        modification indices appear only for an admissible solution (status
        ``"ok"``); a just-identified model gets chi2 = 0 and no CFI, TLI or RMSEA.

        Returns
        -------
        dict

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from psychometrics import fit_cfa
        >>> x = pd.DataFrame(np.eye(3), columns=["a", "b", "c"])
        >>> d = fit_cfa(x, {"f": ["a", "b", "c"]}).to_dict()
        >>> d["status"], d["cfi"]
        ('too_few_cases', None)
        """
        # Only an admissible solution reports numbers: a Heywood case (negative
        # variance, |standardized loading| > 1) gets its status and reason, no fit,
        # no loadings, no SEs.
        fit = self.fit if self.status == "ok" else None
        ok = fit is not None
        f = fit.to_dict() if fit is not None else {}
        loading = self.table["op"].to_numpy() == "=~"
        rhs = self.table["rhs"].to_numpy()[loading].tolist()
        show = ok
        reason = self.reason
        if ok and self.just_identified:
            # chi2 is 0 by definition (the optimizer leaves e.g. -2e-13); CFI, TLI, RMSEA
            # and the p-value are undefined without degrees of freedom.
            f = {"chi2": 0.0, "pvalue": None, "cfi": None, "tli": None, "rmsea": None,
                 "rmsea_ci": [None, None], "srmr": 0.0}
            reason = reason or ("just identified (df = 0): the model reproduces the data "
                                "exactly, so its fit cannot be tested; chi2 is 0 and CFI, TLI "
                                "and RMSEA are undefined")
        return json_object({
            "status": self.status, "reason": reason, "notes": list(self.notes),
            "n": self.n, "n_total": self.n_total, "missing_rule": self.missing_rule,
            "estimator": self.estimator,
            **(robust_fields(self.robust if ok else None) if self.estimator == "MLR" else {}),
            "npar": self.npar, "df": self.df,
            "chi2": f.get("chi2"), "pvalue": f.get("pvalue"), "cfi": f.get("cfi"),
            "tli": f.get("tli"), "rmsea": f.get("rmsea"),
            "rmsea_ci": f.get("rmsea_ci", [None, None]), "srmr": f.get("srmr"),
            "aic": self.aic if ok else None, "bic": self.bic if ok else None,
            "loadings_std": {r: (v if show else None) for r, v in
                             zip(rhs, self.table["std_all"].to_numpy()[loading].tolist())},
            "loadings_std_se": {r: (v if show else None) for r, v in
                                zip(rhs, self.table["std_se"].to_numpy()[loading].tolist())},
            "factor_correlations": records(self.factor_correlations) if show else [],
            "largest_residual_correlations": (records(self.residual_correlations)
                                              if show else []),
            "modification_indices": records(self.modification_indices) if show else [],
        })

    def summary(self) -> str:
        """One line: chi2, df, p, CFI, TLI, RMSEA with its CI, SRMR and n (or the
        status and reason).

        Returns
        -------
        str

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from psychometrics import fit_cfa
        >>> x = pd.DataFrame(np.eye(3), columns=["a", "b", "c"])
        >>> fit_cfa(x, {"f": ["a", "b", "c"]}, "f").summary()
        'f: too_few_cases (3 persons answered all of the 3 items (complete data); more than 3 are needed)'
        """
        if self.fit is None or self.status != "ok":
            return f"{self.name}: {self.status} ({self.reason})"
        f = self.fit
        return (f"{self.name}: chi2({f.df}) = {f.chi2:.2f}, p = {f.pvalue:.3f}, CFI {f.cfi:.3f}, "
                f"TLI {f.tli:.3f}, RMSEA {f.rmsea:.3f} [{f.rmsea_ci.low:.3f}, "
                f"{f.rmsea_ci.high:.3f}], SRMR {f.srmr:.3f}, n {self.n}")


def latent(name: str) -> str:
    """The name of a factor in a generated model: the user's name after a dot, which no
    item id can start with, so factors and items never share a name (lavaan reads it).

    >>> latent("agree")
    '.agree'
    """
    return f".{name}"


def shown(name: str) -> str:
    """The user's name of a generated factor (the inverse of :func:`latent`).

    >>> shown(".agree"), shown("A1")
    ('agree', 'A1')
    """
    return name[1:] if name.startswith(".") else name


def cfa_rows(factors: Mapping[str, Sequence[str]]) -> list[Row]:
    """Rows of a correlated-factors CFA with std.lv identification; the factors are
    named by :func:`latent`."""
    factors = {latent(f): items for f, items in factors.items()}
    rows = [Row(f, "=~", item) for f, items in factors.items() for item in items]
    rows += [Row(item, "~~", item) for items in factors.values() for item in items]
    names = list(factors)
    for a, fa in enumerate(names):
        rows.append(Row(fa, "~~", fa, value=1.0))
        rows += [Row(fa, "~~", fb) for fb in names[a + 1:]]
    return rows


def fit_cfa(data: pd.DataFrame, factors: Mapping[str, Sequence[str]], name: str = "cfa", *,
            missing: Literal["fiml", "listwise"] = "fiml", max_iter: int = 500,
            estimator: Estimator = DEFAULT_ESTIMATOR) -> CFAResult:
    """Fit a CFA (one factor per entry of ``factors``) to the item columns of ``data``.

    ``missing="fiml"`` (default) uses every person with at least one answer by
    full-information ML (with free intercepts, as lavaan's ``missing = "ml"``);
    ``"listwise"`` the persons who answered every item. Complete data are fitted on
    the covariance matrix alone either way (lavaan's default then).

    Each factor's items load on it, factors are correlated, and factor variances
    are fixed at 1 (``std.lv = TRUE``). chi2 is ``N * F_ML`` (N, not N - 1), RMSEA
    uses N, CFI and TLI compare with the independence model, SRMR as lavaan's
    ``srmr``; the definitions are in :mod:`psychometrics.sem.fit_indices`. Too few
    cases, a covariance matrix that is not positive definite, non-convergence and
    Heywood cases give a ``status`` and a ``reason``, not fit numbers; fewer than 5
    cases per free parameter adds a note.

    In R: ``lavaan::cfa(model, data = x, std.lv = TRUE, missing = "ml")``
    (``missing = "listwise"`` for ``"listwise"``); ``fitMeasures``,
    ``standardizedSolution``, ``residuals(fit, type = "cor")``, ``modindices``.

    Parameters
    ----------
    data : DataFrame
        Keyed answers; the columns named in ``factors`` are used, NaN where missing.
    factors : mapping of str to sequence of str
        Factor name -> its items (each item on one factor).
    name : str
        The model's name (in the result and the lavaan syntax).
    missing : {"fiml", "listwise"}
        Full-information ML, or complete cases.
    max_iter : int
        Iterations of the ML estimation.
    estimator : {"ML", "MLR"}
        ``"MLR"`` adds robust statistics as lavaan's ``estimator = "MLR"``: sandwich
        standard errors, the Yuan-Bentler scaled chi2 and robust CFI/TLI/RMSEA.

    Returns
    -------
    CFAResult
        Fit indices, the parameter table with standardized estimates, residual
        correlations, modification indices, the lavaan syntax, ``status``,
        ``reason`` and ``notes``.

    Raises
    ------
    KeyError
        An item of ``factors`` is not a column of ``data``.

    Warns
    -----
    NonConvergenceWarning, InadmissibleSolutionWarning, IdentificationWarning, InsufficientDataWarning
        When the status is not ``"ok"`` (:mod:`psychometrics.exceptions`).
    SmallSampleWarning
        Fewer than 5 cases per free parameter.

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling.
    Journal of Statistical Software, 48(2), 1-36.

    Checked against ``lavaan::cfa`` 0.6.14 in ``tests/reference/cfa/``.

    Examples
    --------
    The three self-efficacy factors at the first wave of the example study (3%
    of answers missing, so full-information ML):

    >>> import pandas as pd
    >>> from instruments import keyed_items, read_responses
    >>> from psychometrics import fit_cfa
    >>> from psychometrics.example_study import example_data_path
    >>> r = read_responses(example_data_path(), "tse", id_column="teacher",
    ...                    wave_column="wave")
    >>> scales = r.instrument.scale_ids
    >>> x = pd.concat([keyed_items(r, s) for s in scales], axis=1)
    >>> factors = {s: r.instrument.scale(s).items for s in scales}
    >>> result = fit_cfa(x[(r.keys["wave"] == "T0").to_numpy()], factors, "tse")
    >>> print(result.summary())  # In R: lavaan::cfa(model, x, std.lv = TRUE, missing = "ml")
    tse: chi2(51) = 53.95, p = 0.362, CFI 0.994, TLI 0.993, RMSEA 0.025 [0.000, 0.072], SRMR 0.057, n 93
    >>> result.factor_correlations.round(3)
                   lhs              rhs  std_all  std_se
    0   tse_engagement  tse_instruction    0.375   0.104
    1   tse_engagement   tse_management    0.477   0.099
    2  tse_instruction   tse_management    0.458   0.100
    """
    result = _fit_cfa(data, factors, name, missing, max_iter, estimator)
    warn_status(result.status, result.reason, f"CFA '{name}'")
    return result


def _fit_cfa(data: pd.DataFrame, factors: Mapping[str, Sequence[str]], name: str,
             missing: Literal["fiml", "listwise"], max_iter: int,
             estimator: Estimator) -> CFAResult:
    """The fit of :func:`fit_cfa` (its status raises the warning there)."""
    items = [i for its in factors.values() for i in its]
    x = data[items]
    n_total, p = len(x), len(items)
    answered = x.notna().any(axis=1).to_numpy()
    complete = x.notna().all(axis=1).to_numpy()
    fiml = missing == "fiml" and not complete[answered].all()
    used = x[answered] if fiml else x[complete]
    rule = "fiml" if fiml else ("listwise" if not complete.all() else "complete data")
    table, syntax = _cfa_model(factors, items, name, fiml, estimator)
    n = len(used)
    npar = int(table["free"].max())
    df = p * (p + 1) // 2 + (p if fiml else 0) - npar
    empty = pd.DataFrame()

    def missing_result(status: str, reason: str) -> CFAResult:
        t = table.assign(est=np.nan, se=np.nan, z=np.nan, pvalue=np.nan, std_all=np.nan,
                         std_se=np.nan)
        return CFAResult(name, status, reason, n_total, n, npar, df, None, math.nan, math.nan,
                         t, empty, empty, syntax, missing_rule=rule, estimator=estimator)

    if df < 0:
        return missing_result("not_identified", f"{npar} free parameters for "
                              f"{p * (p + 1) // 2} variances and covariances (a factor with "
                              "fewer than 3 items?)")
    if n <= p:
        who = "answered any" if fiml else "answered all"
        return missing_result("too_few_cases", f"{n} persons {who} of the {p} items ({rule}); "
                              f"more than {p} are needed")
    if npar >= n:
        return missing_result("too_few_cases", f"{npar} free parameters for {n} persons; the "
                              "model cannot be estimated from so few cases")
    moments: Moments | PatternMoments
    if fiml:
        moments = PatternMoments.from_data(used)
        if moments.em_status != "ok":
            from psychometrics.invariance import em_reason, em_status_word

            return missing_result(em_status_word(moments.em_status),
                                  em_reason(moments, f"{n} persons with an answer"))
    else:
        moments = Moments.from_data(used)
    problem = covariance_problem(moments.cov, items)
    if problem:
        return missing_result(*problem)
    ml = fit_ml(table, moments, max_iter=max_iter)
    notes = []
    if n / npar < MIN_CASES_PER_PARAMETER:
        notes.append(f"{n / npar:.1f} cases per free parameter (fewer than "
                     f"{MIN_CASES_PER_PARAMETER}): estimates and fit indices are unstable")
        warnings.warn(f"CFA '{name}': {notes[-1]}", SmallSampleWarning, stacklevel=3)
    if fiml:
        notes.append(f"{int(complete.sum())} of {n} persons answered every item; the others "
                     "count through full-information ML")
    if not ml.converged:
        return CFAResult(name, ml.status, ml.reason, n_total, n, npar, df, None, math.nan,
                         math.nan, ml.table, empty, empty, syntax, tuple(notes), rule, estimator)
    resid = _residual_correlations(moments.cov, ml.implied_cov, items)
    mi = _modification_indices(ml, table, moments, factors)
    if len(mi) and {"lhs", "rhs"} <= set(mi.columns):  # the user's factor names
        mi = mi.assign(lhs=mi["lhs"].map(shown), rhs=mi["rhs"].map(shown))
    robust, estimates = _robust(ml, table, moments, used, estimator, notes)
    return CFAResult(name, ml.status, ml.reason, n_total, n, npar, df, ml.fit, ml.aic, ml.bic,
                     estimates, resid, mi, syntax, tuple(notes), rule, estimator, robust)


def _robust(ml: MLFit, table: pd.DataFrame, moments: Moments | PatternMoments,
            used: pd.DataFrame, estimator: Estimator,
            notes: list[str]) -> tuple[RobustFit | None, pd.DataFrame]:
    """Under MLR the robust statistics and the estimates with robust SEs (a note when
    they cannot be computed); under ML none and the ML estimates."""
    if estimator != "MLR":
        return None, ml.table
    robust = robust_fit(ml, table, moments, used)
    if robust.status not in ("ok", "saturated"):
        notes.append(f"robust statistics not computed: {robust.reason}")
    return robust, (robust.table if robust.table is not None else ml.table)


def _cfa_model(factors: Mapping[str, Sequence[str]], items: list[str], name: str, fiml: bool,
               estimator: Estimator) -> tuple[pd.DataFrame, str]:
    """The parameter table of a CFA (free intercepts under FIML) and its lavaan syntax,
    with the call that refits it in R."""
    rows = cfa_rows(factors)
    if fiml:
        rows += [Row(i, "~1") for i in items]
    table = build_table(rows)
    est_r = ", estimator = 'MLR'" if estimator == "MLR" else ""
    header = (f"binnenuit CFA '{name}': {estimator}, std.lv identification"
              + (", full-information ML with free intercepts.\nRefit in R: lavaan::lavaan(model, "
                 f"data = d, meanstructure = TRUE, missing = 'ml'{est_r})" if fiml else
                 f", no mean structure.\nRefit in R: lavaan::lavaan(model, data = d{est_r})")
              + "  # every parameter is explicit")
    return table, to_lavaan(table, header)


def _residual_correlations(S: np.ndarray, Sigma: np.ndarray, items: list[str]) -> pd.DataFrame:
    """Largest |observed - implied| correlations (lavaan ``residuals(type = "cor")``)."""
    ds, dm = np.sqrt(np.diag(S)), np.sqrt(np.diag(Sigma))
    r = S / np.outer(ds, ds) - Sigma / np.outer(dm, dm)
    i, j = np.tril_indices(len(items), -1)
    frame = pd.DataFrame({"lhs": np.array(items)[i], "rhs": np.array(items)[j], "resid_cor": r[i, j]})
    order = np.argsort(-np.abs(frame["resid_cor"].to_numpy()), kind="stable")
    return frame.iloc[order[:N_LARGEST]].reset_index(drop=True)


def _modification_indices(ml: MLFit, table: pd.DataFrame, moments: Moments | PatternMoments,
                          factors: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """The largest modification indices of cross-loadings and residual covariances."""
    items = [i for its in factors.values() for i in its]
    extra = [Row(latent(f), "=~", i, value=0.0) for f in factors for i in items
             if i not in factors[f]]
    extra += [Row(a, "~~", b, value=0.0) for k, a in enumerate(items) for b in items[k + 1:]]
    if not extra:
        return pd.DataFrame(columns=["lhs", "op", "rhs", "mi", "epc", "pvalue"])
    base = [Row(lhs, op, rhs, label, None if free else value) for lhs, op, rhs, label, free, value
            in zip(*(table[c].tolist() for c in ("lhs", "op", "rhs", "label", "free", "value")))]
    extended = build_table(base + extra)
    tests = score_tests(ml, extended, moments, list(range(len(table), len(extended))))
    # the largest first (NaN last, ties in order), as sort_values(ascending=False, kind="stable")
    order = _descending(tests["mi"].to_numpy())[:N_LARGEST]
    return pd.DataFrame({c: tests[c].to_numpy()[order] for c in tests.columns if c != "label"})


def _descending(values: np.ndarray) -> np.ndarray:
    """Positions of ``values`` from the largest to the smallest, NaN last, equal values
    in their order (pandas' stable descending sort)."""
    nan = np.isnan(values)
    finite = np.flatnonzero(~nan)
    return np.concatenate([finite[np.argsort(-values[finite], kind="stable")],
                           np.flatnonzero(nan)])
