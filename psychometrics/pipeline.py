"""The validate pipeline: read and check, score, then the statistics per scale.

Each step is a plain function that returns a result object; this module only wires
them together and applies the gate: a change score is computed only for scales
whose longitudinal invariance reached (partial) scalar or strict. It does no file
I/O: :mod:`psychometrics.report.outputs` writes the results.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from instruments import Instrument, Responses, Scale, Scores, keyed_items, read_responses, score
from instruments.errors import BinnenuitWarning, ResponseError
from psychometrics import exceptions
from psychometrics.analyses import (
    AnyCFA,
    AnyInvariance,
    cfa_of,
    efas_of,
    group_invariance_of,
    invariance_of,
    omega_h_of,
    reliability_of,
    renamed,
)
from psychometrics.cfa import CFAResult
from psychometrics.change import (
    ChangeResult,
    attrition,
    blocked,
    cluster_robust_se,
    icc1,
    invariant_items_change,
    observed_change,
)
from psychometrics.decision_rules import rule_details
from psychometrics.efa import EFAResult
from psychometrics.estimators import DESCRIPTIONS as ESTIMATOR_DESCRIPTIONS
from psychometrics.estimators import FIML_DESCRIPTIONS
from psychometrics.group_change import ChangeByGroup, welch_difference
from psychometrics.group_invariance import person_groups
from psychometrics.invariance import InvarianceResult
from psychometrics.noninvariance import change_bias
from psychometrics.omega_hierarchical import OmegaHierarchical
from psychometrics.ordinal_cfa import OrdinalCFAResult
from psychometrics.ordinal_invariance import OrdinalInvarianceResult
from psychometrics.parallel import Progress, Task, processes_for, run_tasks
from psychometrics.reliability import ScaleReliability
from psychometrics.results import json_object
from psychometrics.validate_options import ValidateOptions

#: The version of results.json's schema (``psychometrics/schema/results.schema.json``).
SCHEMA_VERSION = "1"




def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Everything ``binnenuit validate`` computed; ``to_dict()`` is results.json.

    Returned by :func:`validate`. Results are keyed by scale id (or general factor,
    bank) and then by wave label, or by pair of waves (``"T0->T1"``) for change.

    Attributes
    ----------
    instrument : Instrument
    scores : Scores
        The scale scores and the checked responses (``responses``).
    settings : dict
        Every option of the run, as results.json records it.
    reliability : dict of str to dict of str to ScaleReliability
        Per scale and wave: alpha, omega total, item analysis.
    omega_h : dict of str to dict of str to OmegaHierarchical
        Per general factor and wave.
    cfa : dict of str to dict of str to CFAResult
        The one-factor CFA per scale and wave.
    instrument_cfa : dict of str to CFAResult
        The correlated-factors CFA of the instrument per wave.
    efa : dict of str to EFAResult
        The EFA of all items per wave.
    efa_banks : dict of str to dict of str to EFAResult
        The EFA of each bank per wave (instruments of several banks).
    invariance : dict of str to InvarianceResult
        Per scale.
    change : dict of str to dict of str to ChangeResult
        Per scale and pair of waves.
    person_change : DataFrame
        Per person, scale and pair of waves: difference, RCI, class.
    multi_scale_persons : DataFrame
        Per person, pair of waves and bank: how many scales improved reliably.
    multi_scale : dict
        Its summary.
    clusters : dict
        ICC(1), design effects and cluster-robust SEs (with ``cluster``).
    attrition : dict
        Baseline scores of those who stayed against those who left.
    invariance_pairs : dict of str to dict of str to InvarianceResult
        Per scale and pair of waves, where the model over all waves could not be
        tested (e.g. one thin wave): each pair tested on its own.
    grouping : dict
        With ``group``: the column, the groups (the first the reference) and the
        persons per group.
    group_invariance : dict of str to InvarianceResult
        Per scale: invariance across groups (x waves).
    change_by_group : dict of str to dict of str to ChangeByGroup
        Per scale and pair of waves: the change per group and the group difference in
        change (Welch t, Hedges' g), gated by the groups x waves invariance level.
    warnings : tuple of dict
        The package's warnings raised during the run (:mod:`psychometrics.exceptions`),
        each distinct one once: category, message and how often it was raised.
    responses : Responses
        The checked responses (``scores.responses``).

    Examples
    --------
    >>> from instruments import Instrument
    >>> from psychometrics import validate
    >>> from psychometrics.example_study import example_data_path
    >>> inst = Instrument.from_dict({"id": "instruction", "version": "1",
    ...     "response_scale": {"min": 1, "max": 7},
    ...     "scales": {"instruction": {"items": ["TSE05", "TSE06", "TSE07", "TSE08"]}}})
    >>> result = validate(example_data_path(), inst, id_column="teacher",
    ...                   wave_column="wave")
    >>> d = result.to_dict()
    >>> d["schema_version"], d["data"]["n_persons"], d["data"]["waves"]
    ('1', 93, ['T0', 'T1'])
    >>> d["scales"]["instruction"]["invariance"]["level"]
    'partial_strict'
    >>> html = result.report_html()  # doctest: +SKIP
    >>> result.write("out/")  # doctest: +SKIP
    """

    instrument: Instrument
    scores: Scores
    settings: dict[str, Any] = field(default_factory=dict)
    reliability: dict[str, dict[str, ScaleReliability]] = field(default_factory=dict)
    omega_h: dict[str, dict[str, OmegaHierarchical]] = field(default_factory=dict)
    cfa: dict[str, dict[str, CFAResult | OrdinalCFAResult]] = field(default_factory=dict)
    instrument_cfa: dict[str, CFAResult | OrdinalCFAResult] = field(default_factory=dict)
    efa: dict[str, EFAResult] = field(default_factory=dict)
    efa_banks: dict[str, dict[str, EFAResult]] = field(default_factory=dict)
    invariance: dict[str, InvarianceResult | OrdinalInvarianceResult] = field(default_factory=dict)
    change: dict[str, dict[str, ChangeResult]] = field(default_factory=dict)
    person_change: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    multi_scale_persons: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    multi_scale: dict[str, Any] = field(default_factory=dict)
    clusters: dict[str, Any] = field(default_factory=dict)
    attrition: dict[str, Any] = field(default_factory=dict)
    #: Where the model over all waves could not be tested (e.g. one thin wave): each
    #: pair of waves that change is computed for, tested on its own.
    invariance_pairs: dict[str, dict[str, InvarianceResult]] = field(default_factory=dict)
    #: With ``group``: the column, the groups (the first the reference), persons per group.
    grouping: dict[str, Any] = field(default_factory=dict)
    group_invariance: dict[str, InvarianceResult] = field(default_factory=dict)
    change_by_group: dict[str, dict[str, ChangeByGroup]] = field(default_factory=dict)
    #: The package's warnings raised during the run (psychometrics.exceptions), each
    #: distinct one once: ``{"category", "message", "count"}``.
    warnings: tuple[dict[str, Any], ...] = ()

    @property
    def responses(self) -> Responses:
        return self.scores.responses

    def write(self, out_dir: str | Path, *, lang: str = "en", report: bool = True) -> dict[str, Path]:
        """Write results.json, scores.csv, the report and the rest into ``out_dir``.

        The folder is written all at once: the files go into a temporary folder
        beside ``out_dir``, which takes its place only when complete. ``out_dir``
        may be new, empty, or a folder binnenuit wrote before (it holds a
        ``.binnenuit-output`` marker); anything else is refused.

        Parameters
        ----------
        out_dir : str or Path
            The output folder.
        lang : {"en", "nl"}
            The language of the report's scale and item texts.
        report : bool
            Write ``report.html`` and ``tables/*.csv`` too.

        Returns
        -------
        dict of str to Path
            Each file written, by name.

        Raises
        ------
        OutputError
            ``out_dir`` cannot be used or a write failed; an earlier result in it is
            then left as it was.
        OptionError
            ``lang`` or ``report`` is not one of its allowed values.
        """
        from psychometrics.report.outputs import write_outputs

        return write_outputs(self, out_dir, lang=lang, report=report)

    def report_html(self, lang: str = "en") -> str:
        """The self-contained HTML report.

        Inline CSS and SVG figures, no scripts, nothing fetched from the network;
        every label from the data is escaped.

        Parameters
        ----------
        lang : {"en", "nl"}
            The language of the scale and item texts.

        Returns
        -------
        str
            The whole HTML document.
        """
        from psychometrics.report.html import render_report

        return render_report(self, "nl" if lang == "nl" else "en")

    def to_dict(self) -> dict[str, Any]:
        """Everything computed as plain JSON types: the content of results.json.

        It follows the JSON Schema ``psychometrics/schema/results.schema.json``
        (``schema_version`` :data:`SCHEMA_VERSION`); a statistic that could not be
        computed is ``null`` with a ``status`` and a ``reason``.

        Returns
        -------
        dict
            ``schema_version, instrument, settings, data, problems, scales,
            composites, omega_hierarchical, instrument_cfa, efa, efa_banks,
            multi_scale_change, clusters, attrition, unscored``.
        """
        r = self.responses
        inst = self.instrument
        problems = r.problems
        return json_object({
            "schema_version": SCHEMA_VERSION,
            "instrument": {
                "id": inst.id, "version": inst.version,
                "source": Path(inst.source).name if inst.source != "<dict>" else inst.source,
            },
            "settings": self.settings,
            "data": self._data_block(),
            "problems": [
                {"row": None if pd.isna(p.row) else int(p.row), "column": p.column,
                 "value": p.value, "problem": p.problem, "action": p.action}
                for p in problems.itertuples(index=False)
            ],
            "scales": {sc.id: self._scale_block(sc) for sc in inst.scales},
            "composites": {c.id: c.to_dict() for c in inst.composites},
            "omega_hierarchical": {
                gf.id: {"scales": list(gf.scales), "bank": gf.bank,
                        "by_wave": {w: v.to_dict() for w, v in self.omega_h.get(gf.id, {}).items()}}
                for gf in inst.general_factors
            },
            "instrument_cfa": {w: v.to_dict() for w, v in self.instrument_cfa.items()},
            "efa": {w: v.to_dict() for w, v in self.efa.items()},
            "efa_banks": {b: {w: v.to_dict() for w, v in by_wave.items()}
                          for b, by_wave in self.efa_banks.items()},
            "multi_scale_change": self.multi_scale,
            "clusters": self.clusters,
            "attrition": self.attrition,
            "unscored": _unscored_counts(self.scores),
            "warnings": list(self.warnings),
        })


    def _scale_block(self, s: Scale) -> dict[str, Any]:
        """results.json's block of one scale."""
        block: dict[str, Any] = {
            "items": list(s.items), "reversed": list(s.reversed), "bank": s.bank,
            "scoring": _scoring_rule(s),
            "reliability": {w: v.to_dict() for w, v in self.reliability.get(s.id, {}).items()},
            "cfa": {w: v.to_dict() for w, v in self.cfa.get(s.id, {}).items()},
        }
        if s.id in self.invariance:
            block["invariance"] = self.invariance[s.id].to_dict()
        if self.invariance_pairs.get(s.id):
            block["invariance_by_pair"] = {
                k: v.to_dict() for k, v in self.invariance_pairs[s.id].items()}
        if s.id in self.change:
            block["change"] = {k: v.to_dict() for k, v in self.change[s.id].items()}
        if s.id in self.group_invariance:
            block["group_invariance"] = self.group_invariance[s.id].to_dict()
        if s.id in self.change_by_group:
            block["change_by_group"] = {
                k: v.to_dict() for k, v in self.change_by_group[s.id].items()}
        return block

    def _data_block(self) -> dict[str, Any]:
        """results.json's description of the data: its source, shape and counts."""
        r = self.responses
        problems = r.problems
        rows_with_problems = int(problems["row"].dropna().nunique()) if len(problems) else 0
        return {
            "source": r.source, "read_as": r.details, "id_column": r.id_column,
            "id_columns": list(r.id_columns),
            "wave_column": r.wave_column, "n_rows": r.n_rows, "n_persons": r.n_persons,
            "waves": list(r.waves), "rows_scored": len(r.keys),
            "rows_not_scored": r.rows_not_scored, "rows_with_problems": rows_with_problems,
            "blank_rows": list(r.blank_rows),
            "unused_columns": [c for c in r.extra.columns if c not in r.id_columns],
            "layout": r.layout.to_dict(),
            "waves_left_out": dict(r.layout.waves_left_out),
            "persons_per_wave": {w: int((r.keys["wave"] == w).sum()) for w in r.waves},
            **({"group_column": self.grouping["column"],
                "groups": list(self.grouping["groups"]),
                "persons_per_group": self.grouping["persons"]} if self.grouping else {}),
        }


def validate(
    data: str | Path | pd.DataFrame,
    instrument: Instrument | str | Path,
    options: ValidateOptions | None = None,
    *,
    progress: Progress = _quiet,
    **kwargs: Any,
) -> ValidationResult:
    """Check, score and validate an instrument on raw responses; then, where the
    scales are (partially) scalar invariant, compute change. With ``group`` (a column of
    the data), invariance across its groups too (one wave: across groups; several: groups
    x waves together), the latent group differences and, with waves, the change by group
    (:mod:`psychometrics.group_invariance`, :mod:`psychometrics.group_change`);
    ``group_order`` orders the groups (the first is the reference).

    The data may be long (``wave_column``), wide (``wide="{item}_{wave}"``: one row
    per person, the waves from the column names), keyed by several id columns
    (``id_column=["study", "id"]``), and limited to some waves in a chosen order
    (``waves=["T0", "T2"]``; other waves are counted in ``data.waves_left_out``); see
    :mod:`instruments.layout`.

    Returns a :class:`ValidationResult`; :func:`psychometrics.report.outputs.write_outputs`
    writes ``results.json``, ``scores.csv`` and the rest. Every option is checked
    against :data:`psychometrics.options.OPTIONS` first (an ``OptionError`` lists
    the allowed values).

    The steps, for every scale at every wave and then across waves: reliability
    (:func:`scale_reliability`), omega hierarchical of the banks' general factors
    (:func:`omega_hierarchical`), a one-factor CFA per scale and a
    correlated-factors CFA of the instrument (:func:`fit_cfa`), the EFA of the
    instrument and of each bank (:func:`efa`), longitudinal invariance
    (:func:`longitudinal_invariance`), and change (:func:`observed_change`) only
    where invariance reached partial scalar or higher (else ``"blocked"``).

    In R: the steps' own R twins (``psych::alpha``, ``semTools::compRelSEM``,
    ``psych::omega``, ``lavaan::cfa``, ``psych::fa``, ``semTools::measEq.syntax``
    with ``lavaan::lavTestLRT``, ``t.test``); ``models/*.lav`` holds the lavaan
    syntax of every fitted model.

    Parameters
    ----------
    data : str, Path or DataFrame
        Responses, long (one row per person per wave) or wide: a ``.csv``, ``.tsv``,
        ``.xlsx`` or ``.sav`` file, or a DataFrame.
    instrument : Instrument, or a bundled name or instrument file
    options : ValidateOptions, optional
        Every option of the run (:class:`~psychometrics.validate_options.ValidateOptions`
        lists them with their meaning and allowed values); the defaults when omitted.
    progress : callable, optional
        Called with a short text before each stage (the command line prints it).
    **kwargs
        Options by name (``id_column="teacher"``, ``estimator="MLR"``, ...), on top of
        ``options``: the same names as the fields of ``ValidateOptions``.

    Returns
    -------
    ValidationResult
        Every result, with ``to_dict()`` (results.json), ``write()`` and
        ``report_html()``.

    Raises
    ------
    OptionError
        An option is not one of its allowed values; the message lists them.
    ResponseError
        The data cannot be read or do not fit the instrument (every problem by row,
        column and value), or ``cluster`` is not a column of the data.
    ItemBankError
        ``instrument`` cannot be loaded.

    References
    ----------
    The references of each step (see the functions above) and
    ``docs/invariance_verdict.md`` for the invariance gate.

    Examples
    --------
    One scale of the bundled example study (its item TSE06 drifts between the
    waves, so the gate opens at partial scalar invariance):

    >>> from instruments import Instrument
    >>> from psychometrics import validate
    >>> from psychometrics.example_study import example_data_path
    >>> inst = Instrument.from_dict({"id": "instruction", "version": "1",
    ...     "response_scale": {"min": 1, "max": 7},
    ...     "scales": {"instruction": {"items": ["TSE05", "TSE06", "TSE07", "TSE08"]}}})
    >>> result = validate(example_data_path(), inst, id_column="teacher",
    ...                   wave_column="wave")
    >>> result.reliability["instruction"]["T0"].summary()
    'alpha 0.864 [0.807, 0.907] (Feldt), omega 0.869, n 80/93 (listwise)'
    >>> result.invariance["instruction"].freed
    ('intercept of TSE06 at T1',)
    >>> change = result.change["instruction"]["T0->T1"]
    >>> change.status, round(change.mean_diff, 3), round(change.bias_from_noninvariance, 3)
    ('ok', 0.599, 0.233)
    >>> result.write("out/")  # doctest: +SKIP
    """

    opts = ValidateOptions.from_mapping({**(options.to_dict() if options else {}), **kwargs})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BinnenuitWarning)
        result = _validate(data, instrument, opts, progress)
    records = _warning_records(caught)
    for w in caught:  # anything not ours goes on as it came
        if not issubclass(w.category, BinnenuitWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    for r in records:  # ours once each, for the caller to see or filter
        warnings.warn(r["message"], getattr(exceptions, r["category"], BinnenuitWarning),
                      stacklevel=2)
    return replace(result, warnings=tuple(records))


def _validate(data: str | Path | pd.DataFrame, instrument: Instrument | str | Path,
              opts: ValidateOptions, progress: Progress) -> ValidationResult:
    """The run itself (see :func:`validate`)."""
    if not isinstance(instrument, Instrument):
        instrument = Instrument.load(instrument)
    responses, group_labels, groups = _read(data, instrument, opts, progress)
    progress(f"scoring {len(instrument.scales)} scales on {len(responses.keys)} rows")
    scores = score(responses)
    settings = _settings(opts, groups)
    keyed = {s.id: keyed_items(responses, s.id) for s in instrument.scales}
    done = _analyses(responses, keyed, opts, group_labels, groups, progress)
    change, person_change = _change(scores, keyed, done.reliability, done.invariance,
                                    opts.rci_reliability, opts.ignore_invariance, opts.cluster,
                                    progress, done.pairs)
    _record_applied(settings, opts.estimator, done.cfa, done.instrument_cfa, done.invariance)
    multi = multi_scale_table(person_change, instrument)
    grouping, change_by_group = _groups(responses, scores, opts, group_labels, groups,
                                        done.group_invariance)
    return ValidationResult(
        instrument=instrument, scores=scores, settings=settings,
        reliability=done.reliability, omega_h=done.omega_h, cfa=done.cfa,
        instrument_cfa=done.instrument_cfa, efa=done.efa, efa_banks=done.efa_banks,
        invariance=done.invariance, invariance_pairs=done.pairs,
        change=change, person_change=person_change, multi_scale_persons=multi,
        multi_scale=_multi_scale(multi, instrument),
        clusters=(_clusters(scores, change, person_change, opts.cluster) if opts.cluster
                  else {}),
        attrition=_attrition(scores), grouping=grouping, group_invariance=done.group_invariance,
        change_by_group=change_by_group,
    )


@dataclass(frozen=True, slots=True)
class _Analysed:
    """The results of the analyses that depend only on the data (see :func:`_analyses`)."""

    reliability: dict[str, dict[str, ScaleReliability]]
    omega_h: dict[str, dict[str, OmegaHierarchical]]
    cfa: dict[str, dict[str, AnyCFA]]
    instrument_cfa: dict[str, AnyCFA]
    efa: dict[str, EFAResult]
    efa_banks: dict[str, dict[str, EFAResult]]
    invariance: dict[str, AnyInvariance]
    pairs: dict[str, dict[str, InvarianceResult]]
    group_invariance: dict[str, InvarianceResult]


def _analyses(responses: Responses, keyed: Keyed, o: ValidateOptions,
              labels: pd.Series | None, groups: tuple[str, ...],
              progress: Progress) -> _Analysed:
    """Reliability, omega hierarchical, CFA, EFA, invariance across waves and across
    groups: independent of each other, run as tasks on ``o.jobs`` processes (at most
    one per scale); the same results on any number."""
    inst, waves = responses.instrument, responses.waves
    rows = responses.keys["wave"].to_numpy()
    processes = processes_for(o.jobs, len(inst.scales))
    say = progress if processes == 1 else None  # a worker cannot call back
    tasks: dict[tuple[str, str], Task] = {}
    for s in inst.scales:
        tasks["reliability", s.id] = Task(
            f"reliability: {s.id}", reliability_of,
            (keyed[s.id], rows, waves, s, o.missing, o.alpha_ci, o.n_boot, o.seed, say))
    for gf in inst.general_factors:
        items = pd.concat([keyed[s] for s in gf.scales], axis=1)
        tasks["omega_h", gf.id] = Task(f"omega hierarchical: {gf.id}", omega_h_of,
                                       (items, rows, waves, len(gf.scales)))
    for s in inst.scales:
        tasks["cfa", s.id] = Task(f"CFA: {s.id}", cfa_of,
                                  (keyed[s.id], rows, waves, {s.id: list(s.items)}, s.id,
                                   o.model_missing, o.estimator))
    everything = pd.concat([keyed[s.id] for s in inst.scales], axis=1)
    if len(inst.scales) > 1:  # one scale: the same model as the scale's (renamed below)
        tasks["whole", inst.id] = Task(
            f"CFA: the whole instrument ({len(inst.scales)} correlated factors)", cfa_of,
            (everything, rows, waves, {s.id: list(s.items) for s in inst.scales}, inst.id,
             o.model_missing, o.estimator))
    tasks["efa", inst.id] = Task(
        f"EFA: {len(inst.items)} items, {len(inst.scales)} factors, per wave", efas_of,
        (everything, rows, waves, len(inst.scales), _banks(inst, keyed), o.seed))
    ids = responses.keys[["id", "wave"]].reset_index(drop=True)
    for s in inst.scales if len(waves) >= 2 else ():
        frame = pd.concat([ids, keyed[s.id].reset_index(drop=True)], axis=1)
        tasks["invariance", s.id] = Task(
            f"invariance: {s.id}", invariance_of,
            (frame, s, waves, _pairs(waves), o.rule, o.null_model, o.model_missing, o.seed,
             o.estimator, say))
    grouped = (ids.assign(group=labels.to_numpy())
               if o.group is not None and labels is not None else None)
    for s in inst.scales if grouped is not None else ():
        frame = pd.concat([grouped, keyed[s.id].reset_index(drop=True)], axis=1)
        tasks["groups", s.id] = Task(
            f"invariance across groups: {s.id}", group_invariance_of,
            (frame, s, waves, list(groups), o.rule, o.model_missing, o.seed, o.estimator))
    found = dict(zip(tasks, run_tasks(list(tasks.values()), processes, progress)))
    return _unpack(inst, found)


def _banks(inst: Instrument, keyed: Keyed) -> dict[str, tuple[list[str], int]]:
    """An instrument of several banks: each bank's item columns and number of scales
    (each bank's EFA); else none."""
    banks = list(dict.fromkeys(s.bank for s in inst.scales if s.bank))
    if len(banks) < 2:
        return {}
    return {b: ([str(c) for s in inst.scales if s.bank == b for c in keyed[s.id].columns],
                sum(s.bank == b for s in inst.scales)) for b in banks}


def _unpack(inst: Instrument, found: dict[tuple[str, str], Any]) -> _Analysed:
    """:func:`_analyses`' results by kind and scale."""
    ids = [s.id for s in inst.scales]
    cfa = {s: found["cfa", s] for s in ids}
    whole = found.get(("whole", inst.id))
    if whole is None:  # the same model as the one scale's: fitted once, named twice
        whole = {w: renamed(r, f"{ids[0]}_{w}", f"{inst.id}_{w}") for w, r in cfa[ids[0]].items()}
    efas, efa_banks = found["efa", inst.id]
    invariance = {s: found["invariance", s][0] for s in ids if ("invariance", s) in found}
    pairs = {s: found["invariance", s][1] for s in ids
             if ("invariance", s) in found and found["invariance", s][1] is not None}
    return _Analysed(
        reliability={s: found["reliability", s] for s in ids},
        omega_h={gf.id: found["omega_h", gf.id] for gf in inst.general_factors},
        cfa=cfa, instrument_cfa=whole, efa=efas, efa_banks=efa_banks,
        invariance=invariance, pairs=pairs,
        group_invariance={s: found["groups", s] for s in ids if ("groups", s) in found})


def _warning_records(caught: Sequence[warnings.WarningMessage]) -> list[dict[str, Any]]:
    """The package's warnings, each distinct one once with its count, in order."""
    counts: dict[tuple[str, str], int] = {}
    for w in caught:
        if issubclass(w.category, BinnenuitWarning):
            key = (w.category.__name__, str(w.message))
            counts[key] = counts.get(key, 0) + 1
    return [{"category": c, "message": m, "count": n} for (c, m), n in counts.items()]


def _read(data: str | Path | pd.DataFrame, instrument: Instrument, o: ValidateOptions,
          progress: Progress) -> tuple[Responses, pd.Series | None, tuple[str, ...]]:
    """The checked responses; with a group column, each row's group and the groups."""
    progress(f"reading and checking the responses ({instrument.id})")
    responses = read_responses(
        data, instrument, id_column=o.id_column, wave_column=o.wave_column,
        on_invalid="missing" if o.on_invalid == "missing" else "raise",
        missing_codes=o.missing_codes, wave_order=o.wave_order,
        wide=o.wide, waves=o.waves,
    )
    if o.cluster is not None and o.cluster not in responses.extra.columns:
        raise ResponseError(f"{responses.source}: there is no cluster column '{o.cluster}'. "
                            f"Other columns: {', '.join(responses.extra.columns) or 'none'}.")
    if o.group is None:
        return responses, None, ()
    labels, groups = person_groups(responses, o.group, o.group_order)
    return responses, labels, tuple(groups)


def _settings(o: ValidateOptions, groups: Sequence[str]) -> dict[str, Any]:
    """What results.json records of the run's settings: every option as given
    (``options``) and, per stage, what it means."""
    settings: dict[str, Any] = {
        "options": o.to_dict(),
        "on_invalid": o.on_invalid,
        "missing_codes": [float(c) for c in o.missing_codes],
        "reliability": {"missing": o.missing, "alpha_ci": o.alpha_ci, "level": 0.95,
                        "n_boot": o.n_boot if o.alpha_ci == "bootstrap" else None,
                        "seed": o.seed if o.alpha_ci == "bootstrap" else None,
                        "omega": "omega total of the one-factor ML model on complete cases "
                                 "(semTools::compRelSEM, obs.var = TRUE)"},
        "cfa": {"estimator": o.estimator,
                "estimator_details": ESTIMATOR_DESCRIPTIONS[o.estimator],
                "identification": "std.lv", "missing": o.model_missing},
        "efa": {"correlations": "Pearson, pairwise complete", "extraction": "minres",
                "rotation": "oblimin", "n_factors": "the number of scales of the instrument "
                "(parallel analysis reported beside it)", "parallel_analysis_seed": o.seed},
        "invariance": {"estimator": o.estimator, "decision_rule": o.rule,
                       "rule": rule_details(o.rule, o.seed),
                       "null_model": o.null_model, "missing": o.model_missing,
                       "partial": "largest score test released one at a time; at least two "
                                  "constrained items per factor"
                                  + ("; the ordinary score test under MLR too, as lavaan "
                                     "0.6.14's lavTestScore on an MLR fit"
                                     if o.estimator == "MLR" else "")},
        "change": {"gate": "partial_scalar, scalar, partial_strict or strict invariance",
                   "ignore_invariance": o.ignore_invariance,
                   "rci_reliability": o.rci_reliability, "cluster": o.cluster},
        "groups": ({"column": o.group, "order": list(groups), "reference": groups[0],
                    "model": "one wave: configural -> strict across groups; several waves: the "
                             "longitudinal model in every group, equalities across groups and "
                             "waves together (semTools::measEq.syntax group.equal = long.equal)",
                    "change_gate": "groups x time invariance partial_scalar or higher"}
                   if o.group is not None else None),
    }
    if o.estimator == "WLSMV":
        # Items as ordered categories: WLSMV has no full-information counterpart, so
        # the default model_missing ("fiml") becomes pairwise (lavaan's missing =
        # "pairwise"; lavaan 0.6.14's own default for WLSMV is listwise).
        wlsmv_missing = "listwise" if o.model_missing == "listwise" else "pairwise"
        settings["cfa"] = {"estimator": "WLSMV (DWLS on thresholds and polychorics, robust "
                           "SEs, scaled-shifted chi2; delta parameterization)",
                           "identification": "std.lv", "missing": wlsmv_missing}
        settings["invariance"].update(
            estimator="WLSMV", missing=wlsmv_missing, null_model="independence (thresholds "
            "free, no correlations)", steps="configural, thresholds, metric, scalar, strict "
            "(Wu & Estabrook 2016; strict under the theta parameterization)",
            partial="the release with the smallest scaled delta chi2 (refits), one at a "
                    "time; at least two constrained items per factor")
    return settings


def _record_applied(settings: dict[str, Any], estimator: str,
                    cfa: dict[str, dict[str, Any]], instrument_cfa: dict[str, Any],
                    invariance: dict[str, Any]) -> None:
    """What was applied, beside what was asked (complete data need no missing-data rule)."""
    settings["cfa"]["missing_applied"] = _applied(
        [c.missing_rule for by_wave in cfa.values() for c in by_wave.values()]
        + [c.missing_rule for c in instrument_cfa.values()])
    settings["invariance"]["missing_applied"] = _applied(
        [v.missing_rule for v in invariance.values()])
    if "fiml" in settings["cfa"]["missing_applied"] + settings["invariance"]["missing_applied"]:
        settings["cfa"]["estimator_details"] += FIML_DESCRIPTIONS.get(estimator, "")


def _groups(responses: Responses, scores: Scores, o: ValidateOptions,
            labels: pd.Series | None, groups: tuple[str, ...],
            by_group: dict[str, InvarianceResult]
            ) -> tuple[dict[str, Any], dict[str, dict[str, ChangeByGroup]]]:
    """With a group column: the grouping and the change by group (gated by the groups
    x waves invariance, ``by_group``)."""
    if o.group is None or labels is None:
        return {}, {}
    person_group = dict(zip(responses.keys["id"], labels))
    grouping = {"column": o.group, "groups": list(groups),
                "persons": {g: int(sum(v == g for v in person_group.values())) for g in groups}}
    return grouping, _change_by_group(scores, person_group, list(groups), by_group,
                                      o.ignore_invariance)


# -- steps ---------------------------------------------------------------------------

#: Each scale's keyed items (columns), the rows as in the responses.
Keyed = dict[str, pd.DataFrame]


def _change_by_group(scores: Scores, person_group: dict[Any, Any], groups: list[str],
                     by_group: dict[str, InvarianceResult], ignore_invariance: bool
                     ) -> dict[str, dict[str, ChangeByGroup]]:
    """Per scale and pair of waves: the change per group and the group differences,
    gated by the groups x time invariance level."""
    r = scores.responses
    out: dict[str, dict[str, ChangeByGroup]] = {}
    if len(r.waves) < 2:
        return out
    table = scores.table.assign(_wave=r.keys["wave"].to_numpy(), _id=r.keys["id"].to_numpy())
    for scale in r.instrument.scales:
        inv = by_group[scale.id]
        wide = table.pivot(index="_id", columns="_wave", values=scale.id)
        member = np.array([person_group[i] for i in wide.index], dtype=object)
        out[scale.id] = {}
        for a, b in _pairs(r.waves):
            key = f"{a}->{b}"
            if not (inv.allows_change or ignore_invariance):
                why = (f"groups x time invariance could not be tested ({inv.status}: "
                       f"{inv.reason})" if inv.status != "ok" else
                       f"groups x time invariance level is {inv.level}: the groups' changes "
                       "are not on a common metric")
                out[scale.id][key] = ChangeByGroup(scale.id, a, b, "blocked", why, inv.level,
                                                   {}, {})
                continue
            per, diffs, d = {}, {}, {}
            for g in groups:
                sel = member == g
                x, y = wide[a].to_numpy()[sel], wide[b].to_numpy()[sel]
                per[g] = observed_change(x, y, wide.index.to_numpy()[sel], scale=scale.id,
                                         wave_from=a, wave_to=b, reliability=math.nan,
                                         higher_is_better=scale.higher_is_better)
                d[g] = y - x
            for g in groups[1:]:
                diffs[g] = welch_difference(d[g], d[groups[0]], g, groups[0])
            unverified = not inv.allows_change
            out[scale.id][key] = ChangeByGroup(
                scale.id, a, b, "unverified" if unverified else "ok",
                (f"unverified: computed with --ignore-invariance although the groups x time "
                 f"invariance level is {inv.level}") if unverified else "", inv.level, per, diffs)
    return out


def _pairs(waves: Sequence[str]) -> list[tuple[str, str]]:
    pairs = list(itertools.pairwise(waves))
    if len(waves) > 2:
        pairs.append((waves[0], waves[-1]))
    return pairs


def _gate_reason(inv: AnyInvariance | None) -> str:
    if inv is None:
        return "no invariance result"
    if inv.status != "ok":
        return f"longitudinal invariance could not be tested ({inv.status}: {inv.reason})"
    failed = inv.failed_step()
    partial = [s for s in inv.steps if s.model.startswith("partial_") and s.accepted is False]
    why = f"{failed.model} invariance was rejected ({failed.decision})" if failed else ""
    if partial:
        why += f"; releasing {', '.join(partial[-1].freed)} did not restore it"
    return f"invariance level is {inv.level}: {why}" if why else f"invariance level is {inv.level}"


def _change(scores: Scores, keyed: Keyed,
            reliability: dict[str, dict[str, ScaleReliability]],
            invariance: dict[str, AnyInvariance], rci_reliability: str,
            ignore_invariance: bool, cluster: str | None, progress: Progress,
            pairs: dict[str, dict[str, InvarianceResult]] | None = None
            ) -> tuple[dict[str, dict[str, ChangeResult]], pd.DataFrame]:
    """Change per scale and pair of waves where invariance allows it (else blocked, or
    unverified with ``ignore_invariance``), and the per-person rows."""
    r = scores.responses
    change: dict[str, dict[str, ChangeResult]] = {}
    people = []
    if len(r.waves) < 2:
        return change, pd.DataFrame()
    table = scores.table.assign(_wave=r.keys["wave"].to_numpy(), _id=r.keys["id"].to_numpy())
    for scale in r.instrument.scales:
        progress(f"change: {scale.id}")
        overall = invariance.get(scale.id)
        change[scale.id] = {}
        for a, b in _pairs(r.waves):
            key = f"{a}->{b}"
            inv = (pairs or {}).get(scale.id, {}).get(key, overall)
            allowed = inv is not None and inv.allows_change
            if not allowed and not ignore_invariance:
                why = _gate_reason(inv)
                if inv is not overall:
                    why = (f"over all waves {_gate_reason(overall)}; {a} and {b} on their own: "
                           + why)
                change[scale.id][key] = blocked(scale.id, a, b, why)
                continue
            res = _pair_change(scores, table, keyed, reliability, rci_reliability, scale,
                               (a, b), inv, overall)
            change[scale.id][key] = res
            if len(res.classes):
                people.append(res.classes.assign(scale=scale.id, pair=key))
    person = pd.concat(people, ignore_index=True) if people else pd.DataFrame(
        columns=["id", "diff", "rci", "rci_class", "scale", "pair"])
    return change, person


def _pair_change(scores: Scores, table: pd.DataFrame, keyed: Keyed,
                 reliability: dict[str, dict[str, ScaleReliability]], rci_reliability: str,
                 scale: Scale, pair: tuple[str, str], inv: AnyInvariance | None,
                 overall: AnyInvariance | None) -> ChangeResult:
    """The change of one scale between two waves, with its latent counterpart, the bias
    from released parameters, the invariant-items change and why it may be unverified."""
    r = scores.responses
    a, b = pair
    allowed = inv is not None and inv.allows_change
    wide = table.pivot(index="_id", columns="_wave", values=scale.id)
    rel = reliability[scale.id][a]
    value = rel.alpha.alpha if rci_reliability == "alpha" else rel.omega.omega_total
    res = observed_change(wide[a].to_numpy(), wide[b].to_numpy(), wide.index.to_numpy(),
                          scale=scale.id, wave_from=a, wave_to=b, reliability=value,
                          reliability_kind=rci_reliability,
                          higher_is_better=scale.higher_is_better)
    latent = None
    if allowed and inv is not None and b in inv.latent_mean_diff_std and a == inv.waves[0]:
        latent = inv.latent_mean_diff_std[b].to_dict()
    unverified = not allowed
    bias, inv_items = math.nan, None
    if inv is not None and inv.status == "ok" and inv.level != "none":
        bias = change_bias(inv.noninvariance, scale.n_items, a, b)
        if getattr(inv, "estimator", "ML") == "WLSMV" and \
                len(inv.invariant_items) < len(inv.items):
            bias = math.nan  # the size of released thresholds/intercepts is ML-only
        inv_items = invariant_items_change(
            keyed[scale.id], r.keys["wave"].to_numpy(), r.keys["id"].to_numpy(),
            list(inv.invariant_items), min_answered=scale.min_answered,
            wave_from=a, wave_to=b)
    reason = res.reason
    if inv is not overall and not unverified:
        reason = (f"invariance of {a} and {b} tested on their own, as over all waves "
                  f"{_gate_reason(overall)}") + (f"; {reason}" if reason else "")
    if unverified:
        reason = ("unverified: computed with --ignore-invariance although "
                  + _gate_reason(inv)) + (f"; {reason}" if reason else "")
    return replace(res, latent=latent, unverified=unverified, reason=reason,
                   bias_from_noninvariance=bias, invariant_items=inv_items,
                   status="unverified" if unverified and res.status == "ok" else res.status)


def multi_scale_table(person: pd.DataFrame, inst: Instrument) -> pd.DataFrame:
    """Per person, pair of waves and bank: the number and names of the scales with
    reliable improvement (e.g. the onion layers on which a teacher grew)."""
    if person.empty or "rci_class" not in person:
        return pd.DataFrame(columns=["id", "pair", "bank", "n_scales", "n_improved", "improved"])
    bank_of = {s.id: (s.bank or "scales") for s in inst.scales}
    p = person.assign(bank=person["scale"].map(bank_of),
                      up=(person["rci_class"] == "improved").astype(int))
    keys = ["pair", "bank", "id"]
    out = p.groupby(keys, sort=False).agg(n_scales=("scale", "size"),
                                          n_improved=("up", "sum")).reset_index()
    # the improved scales' names per person, in row order (a groupby with a Python join
    # per group cost 0.1 s at N = 20,000)
    imp = p[p["up"] == 1]
    names: dict[tuple[Any, ...], list[str]] = {}
    for key, scale in zip(zip(*(imp[k].tolist() for k in keys)), imp["scale"].tolist()):
        names.setdefault(key, []).append(scale)
    out["improved"] = pd.Series([";".join(names.get(key, ())) for key in
                                 zip(*(out[k].tolist() for k in keys))], index=out.index,
                                dtype=p["scale"].dtype)
    return out[["id", "pair", "bank", "n_scales", "n_improved", "improved"]]


def _multi_scale(table: pd.DataFrame, inst: Instrument) -> dict[str, Any]:
    """The distribution of the number of scales with reliable improvement, per pair
    of waves and bank (the per-person rows are in multi_scale.csv)."""
    out: dict[str, Any] = {}
    scales_of: dict[str, list[str]] = {}
    for s in inst.scales:
        scales_of.setdefault(s.bank or "scales", []).append(s.id)
    for (pair, bank), rows in table.groupby(["pair", "bank"], sort=False):
        k = len(scales_of.get(bank, []))
        counts = rows["n_improved"].value_counts()
        out.setdefault(pair, {})[bank] = {
            "scales": scales_of.get(bank, []), "n_persons": len(rows),
            "distribution": {str(c): int(counts.get(c, 0)) for c in range(k + 1)},
            "mean_improved": float(rows["n_improved"].mean()),
        }
    return out


def _clusters(scores: Scores, change: dict[str, dict[str, ChangeResult]],
              person: pd.DataFrame, cluster: str) -> dict[str, Any]:
    r = scores.responses
    cl = r.extra[cluster].astype(str).to_numpy()
    table = scores.table
    out: dict[str, Any] = {"column": cluster, "scales": {}, "change": {}}
    for s in r.instrument.scales:
        out["scales"][s.id] = {w: icc1(table[s.id].to_numpy()[r.keys["wave"].to_numpy() == w],
                                       cl[r.keys["wave"].to_numpy() == w]).to_dict()
                               for w in r.waves}
    cluster_of = dict(zip(r.keys["id"], cl))
    for (s, pair), rows in person.groupby(["scale", "pair"], sort=False):
        d = rows["diff"].to_numpy()
        c = rows["id"].map(cluster_of).to_numpy()
        summary = icc1(d, c).to_dict()
        summary["cluster_robust_se"] = cluster_robust_se(d, c)
        summary["naive_se"] = float(np.std(d, ddof=1) / math.sqrt(len(d))) if len(d) > 1 else None
        if summary.get("naive_p_too_optimistic"):
            summary["note"] = ("design effect above 2: the naive p-values of the change are too "
                               "optimistic; use the cluster-robust SE")
        summary["n_clusters_note"] = (f"{summary['n_clusters']} clusters: cluster-robust SEs are "
                                      "themselves imprecise with fewer than about 30 clusters")
        out["change"].setdefault(s, {})[pair] = json_object(summary)
    return out


def _attrition(scores: Scores) -> dict[str, Any]:
    r = scores.responses
    if len(r.waves) < 2:
        return {}
    first, later = r.waves[0], r.waves[1:]
    keys = r.keys.reset_index(drop=True)
    # plain object arrays and sets: isin and iteration on Arrow strings cost 0.2 s at N = 20,000
    wave, ids = keys["wave"].to_numpy(dtype=object), keys["id"].to_numpy(dtype=object)
    at_first = wave == first
    base = scores.table[keys["wave"] == first].assign(_id=ids[at_first])
    later_set = set(later)
    seen_later = {i for i, w in zip(ids.tolist(), wave.tolist()) if w in later_set}
    completers = np.fromiter((i in seen_later for i in ids[at_first].tolist()), dtype=bool,
                             count=int(at_first.sum()))
    out = attrition(base.reset_index(drop=True), completers, list(r.instrument.scale_ids))
    out["first_wave"] = first
    out["note"] = ("standardized mean difference at the first wave, persons seen again minus "
                   "persons seen at the first wave only (pooled SD)")
    out["only_later_waves"] = len(set(ids.tolist()) - set(ids[at_first].tolist()))
    return out


def _applied(rules: list[str]) -> list[str]:
    """The missing-data rules the models used, in a word each, e.g. ['fiml', 'complete data']."""
    def word(rule: str) -> str:
        if rule.startswith(("fiml", "full-information")):
            return "fiml"
        return "complete data" if rule.startswith("complete") else "listwise"
    return sorted({word(r) for r in rules if r})


def _scoring_rule(scale: Scale) -> str:
    return (f"mean of answered items after reverse keying ({scale.min}+{scale.max}-x); "
            f"scored when at least {scale.n_required} of {scale.n_items} items are answered")


def _unscored_counts(scores: Scores) -> dict[str, dict[str, int]]:
    u = scores.unscored
    if not len(u):
        return {}
    counts = u.groupby(["scale", "wave"]).size()
    out: dict[str, dict[str, int]] = {}
    for (scale, wave), k in counts.items():
        out.setdefault(str(scale), {})[str(wave)] = int(k)
    return out
