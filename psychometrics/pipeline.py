"""The validate pipeline: read and check, score, then the statistics per scale.

Each step is a plain function that returns a result object; this module only wires
them together and applies the gate: a change score is computed only for scales
whose longitudinal invariance reached (partial) scalar or strict. It does no file
I/O: :mod:`psychometrics.outputs` writes the results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Sequence

import numpy as np
import pandas as pd

from instruments import Instrument, Responses, Scores, keyed_items, read_responses, score
from instruments.errors import ResponseError
from instruments.responses import OnInvalid
from psychometrics.cfa import CFAResult, fit_cfa
from psychometrics.change import (
    ChangeResult,
    attrition,
    blocked,
    cluster_robust_se,
    icc1,
    invariant_items_change,
    observed_change,
)
from psychometrics.decision_rules import DEFAULT_RULE, rule_details
from psychometrics.efa import EFAResult, efa
from psychometrics.group_change import ChangeByGroup, welch_difference
from psychometrics.group_invariance import group_invariance, person_groups
from psychometrics.invariance import InvarianceResult, Rule, longitudinal_invariance
from psychometrics.noninvariance import change_bias
from psychometrics.omega_hierarchical import OmegaHierarchical, omega_hierarchical
from psychometrics.reliability import Missing, ScaleReliability, scale_reliability
from psychometrics.results import to_jsonable

SCHEMA_VERSION = "1"

#: A progress hook receives one short line per step; the CLI owns it.
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Everything ``binnenuit validate`` computed; ``to_dict()`` is results.json."""

    instrument: Instrument
    scores: Scores
    settings: dict[str, Any] = field(default_factory=dict)
    reliability: dict[str, dict[str, ScaleReliability]] = field(default_factory=dict)
    omega_h: dict[str, dict[str, OmegaHierarchical]] = field(default_factory=dict)
    cfa: dict[str, dict[str, CFAResult]] = field(default_factory=dict)
    instrument_cfa: dict[str, CFAResult] = field(default_factory=dict)
    efa: dict[str, EFAResult] = field(default_factory=dict)
    efa_banks: dict[str, dict[str, EFAResult]] = field(default_factory=dict)
    invariance: dict[str, InvarianceResult] = field(default_factory=dict)
    change: dict[str, dict[str, ChangeResult]] = field(default_factory=dict)
    person_change: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    multi_scale_persons: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    multi_scale: dict[str, Any] = field(default_factory=dict)
    clusters: dict[str, Any] = field(default_factory=dict)
    attrition: dict[str, Any] = field(default_factory=dict)
    #: With ``group``: the column, the groups (the first the reference), persons per group.
    grouping: dict[str, Any] = field(default_factory=dict)
    group_invariance: dict[str, InvarianceResult] = field(default_factory=dict)
    change_by_group: dict[str, dict[str, ChangeByGroup]] = field(default_factory=dict)

    @property
    def responses(self) -> Responses:
        return self.scores.responses

    def write(self, out_dir: str | Path, *, lang: str = "en", report: bool = True) -> dict[str, Path]:
        """Write results.json, scores.csv, the report and the rest into ``out_dir``."""
        from psychometrics.outputs import write_outputs

        return write_outputs(self, out_dir, lang=lang, report=report)

    def report_html(self, lang: str = "en") -> str:
        """The self-contained HTML report."""
        from psychometrics.report import render_report

        return render_report(self, lang)

    def to_dict(self) -> dict[str, Any]:
        r = self.responses
        inst = self.instrument
        problems = r.problems
        rows_with_problems = int(problems["row"].dropna().nunique()) if len(problems) else 0
        scales = {}
        for s in inst.scales:
            scales[s.id] = {
                "items": list(s.items), "reversed": list(s.reversed), "bank": s.bank,
                "scoring": _scoring_rule(s),
                "reliability": {w: v.to_dict() for w, v in self.reliability.get(s.id, {}).items()},
                "cfa": {w: v.to_dict() for w, v in self.cfa.get(s.id, {}).items()},
            }
            if s.id in self.invariance:
                scales[s.id]["invariance"] = self.invariance[s.id].to_dict()
            if s.id in self.change:
                scales[s.id]["change"] = {k: v.to_dict() for k, v in self.change[s.id].items()}
            if s.id in self.group_invariance:
                scales[s.id]["group_invariance"] = self.group_invariance[s.id].to_dict()
            if s.id in self.change_by_group:
                scales[s.id]["change_by_group"] = {
                    k: v.to_dict() for k, v in self.change_by_group[s.id].items()}
        return to_jsonable({
            "schema_version": SCHEMA_VERSION,
            "instrument": {
                "id": inst.id, "version": inst.version,
                "source": Path(inst.source).name if inst.source != "<dict>" else inst.source,
            },
            "settings": self.settings,
            "data": {
                "source": r.source, "read_as": r.details, "id_column": r.id_column,
                "wave_column": r.wave_column, "n_rows": r.n_rows, "n_persons": r.n_persons,
                "waves": list(r.waves), "rows_scored": len(r.keys),
                "rows_not_scored": r.rows_not_scored, "rows_with_problems": rows_with_problems,
                "blank_rows": list(r.blank_rows), "unused_columns": list(r.extra.columns),
                "persons_per_wave": {w: int((r.keys["wave"] == w).sum()) for w in r.waves},
                **({"group_column": self.grouping["column"],
                    "groups": list(self.grouping["groups"]),
                    "persons_per_group": self.grouping["persons"]} if self.grouping else {}),
            },
            "problems": [
                {"row": None if pd.isna(p.row) else int(p.row), "column": p.column,
                 "value": p.value, "problem": p.problem, "action": p.action}
                for p in problems.itertuples(index=False)
            ],
            "scales": scales,
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
        })


def validate(
    data: str | Path | pd.DataFrame,
    instrument: Instrument | str | Path,
    *,
    id_column: str = "id",
    wave_column: str | None = None,
    on_invalid: OnInvalid = "raise",
    missing_codes: Iterable[float] = (),
    wave_order: Sequence[str] | None = None,
    missing: Missing = "listwise",
    alpha_ci: str = "feldt",
    n_boot: int = 2000,
    seed: int = 0,
    model_missing: Literal["fiml", "listwise"] = "fiml",
    rule: Rule = DEFAULT_RULE,
    null_model: Literal["independence", "longitudinal"] = "independence",
    rci_reliability: Literal["alpha", "omega"] = "alpha",
    ignore_invariance: bool = False,
    cluster: str | None = None,
    group: str | None = None,
    group_order: Sequence[str] | None = None,
    progress: Progress = _quiet,
) -> ValidationResult:
    """Check, score and validate an instrument on raw responses; then, where the
    scales are (partially) scalar invariant, compute change. With ``group`` (a column of
    the data), invariance across its groups too (one wave: across groups; several: groups
    x waves together), the latent group differences and, with waves, the change by group
    (:mod:`psychometrics.group_invariance`, :mod:`psychometrics.group_change`);
    ``group_order`` orders the groups (the first is the reference).

    Returns a :class:`ValidationResult`; :func:`psychometrics.outputs.write_outputs`
    writes ``results.json``, ``scores.csv`` and the rest. Every option is checked
    against :data:`psychometrics.options.OPTIONS` first (an ``OptionError`` lists
    the allowed values).
    """
    options = {k: v for k, v in locals().items() if k not in ("data", "instrument")}
    from psychometrics.options import as_numbers, check_settings

    check_settings(options)
    if group_order is not None and group is None:
        from instruments.errors import OptionError

        raise OptionError("The 'group_order' parameter of validate needs 'group' (the column "
                          "of groups). Got group=None instead.")
    missing_codes = as_numbers(missing_codes)
    if not isinstance(instrument, Instrument):
        instrument = Instrument.load(instrument)
    progress(f"reading and checking the responses ({instrument.id})")
    responses = read_responses(
        data, instrument, id_column=id_column, wave_column=wave_column,
        on_invalid=on_invalid, missing_codes=missing_codes, wave_order=wave_order,
    )
    if cluster is not None and cluster not in responses.extra.columns:
        raise ResponseError(f"{responses.source}: there is no cluster column '{cluster}'. "
                            f"Other columns: {', '.join(responses.extra.columns) or 'none'}.")
    group_labels, groups = (person_groups(responses, group, group_order) if group is not None
                            else (None, ()))
    progress(f"scoring {len(instrument.scales)} scales on {len(responses.keys)} rows")
    scores = score(responses)
    settings = {
        "on_invalid": on_invalid,
        "missing_codes": [float(c) for c in missing_codes],
        "reliability": {"missing": missing, "alpha_ci": alpha_ci, "level": 0.95,
                        "n_boot": n_boot if alpha_ci == "bootstrap" else None,
                        "seed": seed if alpha_ci == "bootstrap" else None,
                        "omega": "omega total of the one-factor ML model on complete cases "
                                 "(semTools::compRelSEM, obs.var = TRUE)"},
        "cfa": {"estimator": "ML (chi2 = N * F_ML, RMSEA with N)", "identification": "std.lv",
                "missing": model_missing},
        "efa": {"correlations": "Pearson, pairwise complete", "extraction": "minres",
                "rotation": "oblimin", "n_factors": "the number of scales of the instrument "
                "(parallel analysis reported beside it)", "parallel_analysis_seed": seed},
        "invariance": {"decision_rule": rule, "rule": rule_details(rule, seed),
                       "null_model": null_model, "missing": model_missing,
                       "partial": "largest score test released one at a time; at least two "
                                  "constrained items per factor"},
        "change": {"gate": "partial_scalar, scalar, partial_strict or strict invariance",
                   "ignore_invariance": ignore_invariance, "rci_reliability": rci_reliability,
                   "cluster": cluster},
        "groups": ({"column": group, "order": list(groups), "reference": groups[0],
                    "model": "one wave: configural -> strict across groups; several waves: the "
                             "longitudinal model in every group, equalities across groups and "
                             "waves together (semTools::measEq.syntax group.equal = long.equal)",
                    "change_gate": "groups x time invariance partial_scalar or higher"}
                   if group is not None else None),
    }
    keyed = {s.id: keyed_items(responses, s.id) for s in instrument.scales}
    waves_of_rows = responses.keys["wave"].to_numpy()
    reliability = _reliability(responses, keyed, missing, alpha_ci, n_boot, seed, progress)
    omega_h = _omega_h(responses, keyed, progress)
    cfa, instrument_cfa = _cfa(responses, keyed, model_missing, progress)
    progress(f"EFA: {len(instrument.items)} items, {len(instrument.scales)} factors, per wave")
    everything = pd.concat([keyed[s.id] for s in instrument.scales], axis=1)
    efas = {w: efa(x, len(instrument.scales), seed=seed)
            for w, x in _by_wave(responses, everything).items()}
    efa_banks = {}
    banks = list(dict.fromkeys(s.bank for s in instrument.scales if s.bank))
    if len(banks) > 1:  # an instrument of several banks: each bank's structure too
        for bank in banks:
            scales = [s for s in instrument.scales if s.bank == bank]
            items = pd.concat([keyed[s.id] for s in scales], axis=1)
            efa_banks[bank] = {w: efa(x, len(scales), seed=seed)
                               for w, x in _by_wave(responses, items).items()}
    invariance = _invariance(responses, keyed, rule, null_model, model_missing, seed, progress)
    change, person_change = _change(scores, keyed, reliability, invariance, rci_reliability,
                                    ignore_invariance, cluster, progress)
    multi = multi_scale_table(person_change, instrument)
    grouping, by_group, change_by_group = {}, {}, {}
    if group is not None:
        person_group = dict(zip(responses.keys["id"], group_labels))
        grouping = {"column": group, "groups": groups,
                    "persons": {g: int(sum(v == g for v in person_group.values()))
                                for g in groups}}
        by_group = _group_invariance(responses, keyed, group_labels, groups, rule,
                                     model_missing, seed, progress)
        change_by_group = _change_by_group(scores, person_group, groups, by_group,
                                           ignore_invariance)
    return ValidationResult(
        instrument=instrument, scores=scores, settings=settings, reliability=reliability,
        omega_h=omega_h, cfa=cfa, instrument_cfa=instrument_cfa, efa=efas, efa_banks=efa_banks,
        invariance=invariance,
        change=change, person_change=person_change, multi_scale_persons=multi,
        multi_scale=_multi_scale(multi, instrument),
        clusters=_clusters(scores, change, person_change, cluster) if cluster else {},
        attrition=_attrition(scores), grouping=grouping, group_invariance=by_group,
        change_by_group=change_by_group,
    )


# -- steps ---------------------------------------------------------------------------

def _by_wave(responses: Responses, frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    waves = responses.keys["wave"].to_numpy()
    return {w: frame[waves == w].reset_index(drop=True) for w in responses.waves}


def _reliability(responses, keyed, missing, alpha_ci, n_boot, seed, progress):
    out: dict[str, dict[str, ScaleReliability]] = {}
    for scale in responses.instrument.scales:
        progress(f"reliability: {scale.id}")
        out[scale.id] = {}
        for wave, items in _by_wave(responses, keyed[scale.id]).items():
            boot_progress = None
            if alpha_ci == "bootstrap":
                def boot_progress(done: int, total: int, _s=scale.id, _w=wave) -> None:
                    if done == total or done % 500 == 0:
                        progress(f"  bootstrap {_s} {_w}: {done}/{total}")
            out[scale.id][wave] = scale_reliability(
                items, low=scale.min, high=scale.max, missing=missing, ci=alpha_ci,
                n_boot=n_boot, seed=seed, progress=boot_progress, ordinal=True)
    return out


def _omega_h(responses, keyed, progress):
    out: dict[str, dict[str, OmegaHierarchical]] = {}
    for gf in responses.instrument.general_factors:
        progress(f"omega hierarchical: {gf.id}")
        items = pd.concat([keyed[s] for s in gf.scales], axis=1)
        out[gf.id] = {w: omega_hierarchical(x, n_groups=len(gf.scales))
                      for w, x in _by_wave(responses, items).items()}
    return out


def _cfa(responses, keyed, missing, progress):
    inst = responses.instrument
    per_scale: dict[str, dict[str, CFAResult]] = {}
    for scale in inst.scales:
        progress(f"CFA: {scale.id}")
        per_scale[scale.id] = {w: fit_cfa(x, {scale.id: list(scale.items)}, f"{scale.id}_{w}",
                                          missing=missing)
                               for w, x in _by_wave(responses, keyed[scale.id]).items()}
    progress(f"CFA: the whole instrument ({len(inst.scales)} correlated factors)")
    everything = pd.concat([keyed[s.id] for s in inst.scales], axis=1)
    factors = {s.id: list(s.items) for s in inst.scales}
    whole = {w: fit_cfa(x, factors, f"{inst.id}_{w}", missing=missing)
             for w, x in _by_wave(responses, everything).items()}
    return per_scale, whole


def _invariance(responses, keyed, rule, null_model, missing, seed, progress):
    out: dict[str, InvarianceResult] = {}
    if len(responses.waves) < 2:
        return out
    ids = responses.keys[["id", "wave"]].reset_index(drop=True)
    for scale in responses.instrument.scales:
        progress(f"invariance: {scale.id}")
        frame = pd.concat([ids, keyed[scale.id]], axis=1)
        out[scale.id] = longitudinal_invariance(frame, scale.id, scale.items, responses.waves,
                                                rule=rule, null_model=null_model,
                                                missing=missing, seed=seed)
    return out


def _group_invariance(responses, keyed, labels, groups, rule, missing, seed, progress):
    out: dict[str, InvarianceResult] = {}
    ids = responses.keys[["id", "wave"]].reset_index(drop=True).assign(group=labels.to_numpy())
    for scale in responses.instrument.scales:
        progress(f"invariance across groups: {scale.id}")
        frame = pd.concat([ids, keyed[scale.id].reset_index(drop=True)], axis=1)
        out[scale.id] = group_invariance(frame, scale.id, scale.items, responses.waves, groups,
                                         rule=rule, missing=missing, seed=seed)
    return out


def _change_by_group(scores, person_group, groups, by_group, ignore_invariance):
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
    pairs = list(zip(waves[:-1], waves[1:]))
    if len(waves) > 2:
        pairs.append((waves[0], waves[-1]))
    return pairs


def _gate_reason(inv: InvarianceResult | None) -> str:
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


def _change(scores, keyed, reliability, invariance, rci_reliability, ignore_invariance, cluster,
            progress):
    r = scores.responses
    inst = r.instrument
    change: dict[str, dict[str, ChangeResult]] = {}
    people = []
    if len(r.waves) < 2:
        return change, pd.DataFrame()
    table = scores.table.assign(_wave=r.keys["wave"].to_numpy(), _id=r.keys["id"].to_numpy())
    extra = r.extra.assign(_id=r.keys["id"].to_numpy())
    for scale in inst.scales:
        progress(f"change: {scale.id}")
        inv = invariance.get(scale.id)
        higher_is_better = scale.higher_is_better
        change[scale.id] = {}
        for a, b in _pairs(r.waves):
            key = f"{a}->{b}"
            allowed = inv is not None and inv.allows_change
            if not allowed and not ignore_invariance:
                change[scale.id][key] = blocked(scale.id, a, b, _gate_reason(inv))
                continue
            wide = table.pivot(index="_id", columns="_wave", values=scale.id)
            rel = reliability[scale.id][a]
            value = rel.alpha.alpha if rci_reliability == "alpha" else rel.omega.omega_total
            res = observed_change(wide[a].to_numpy(), wide[b].to_numpy(), wide.index.to_numpy(),
                                  scale=scale.id, wave_from=a, wave_to=b, reliability=value,
                                  reliability_kind=rci_reliability,
                                  higher_is_better=higher_is_better)
            latent = None
            if allowed and b in inv.latent_mean_diff_std and a == r.waves[0]:
                latent = inv.latent_mean_diff_std[b].to_dict()
            unverified = not allowed
            bias, inv_items = math.nan, None
            if inv is not None and inv.status == "ok" and inv.level != "none":
                bias = change_bias(inv.noninvariance, scale.n_items, a, b)
                inv_items = invariant_items_change(
                    keyed[scale.id], r.keys["wave"].to_numpy(), r.keys["id"].to_numpy(),
                    list(inv.invariant_items), min_answered=scale.min_answered,
                    wave_from=a, wave_to=b)
            reason = res.reason
            if unverified:
                reason = ("unverified: computed with --ignore-invariance although "
                          + _gate_reason(inv)) + (f"; {reason}" if reason else "")
            res = replace(res, latent=latent, unverified=unverified, reason=reason,
                          bias_from_noninvariance=bias, invariant_items=inv_items,
                           status="unverified" if unverified and res.status == "ok" else res.status)
            change[scale.id][key] = res
            if len(res.classes):
                people.append(res.classes.assign(scale=scale.id, pair=key))
    person = pd.concat(people, ignore_index=True) if people else pd.DataFrame(
        columns=["id", "diff", "rci", "rci_class", "scale", "pair"])
    return change, person


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
    names = p[p["up"] == 1].groupby(keys, sort=False)["scale"].agg(";".join).rename("improved")
    out = out.merge(names.reset_index(), on=keys, how="left").fillna({"improved": ""})
    return out[["id", "pair", "bank", "n_scales", "n_improved", "improved"]]


def _multi_scale(table: pd.DataFrame, inst: Instrument) -> dict[str, Any]:
    """The distribution of the number of scales with reliable improvement, per pair
    of waves and bank (the per-person rows are in multi_scale.csv)."""
    out: dict[str, Any] = {}
    scales_of = {}
    for s in inst.scales:
        scales_of.setdefault(s.bank or "scales", []).append(s.id)
    for (pair, bank), rows in table.groupby(["pair", "bank"], sort=False):
        k = len(scales_of.get(bank, []))
        counts = rows["n_improved"].value_counts()
        out.setdefault(pair, {})[bank] = {
            "scales": scales_of.get(bank, []), "n_persons": int(len(rows)),
            "distribution": {str(c): int(counts.get(c, 0)) for c in range(k + 1)},
            "mean_improved": float(rows["n_improved"].mean()),
        }
    return out


def _clusters(scores, change, person, cluster) -> dict[str, Any]:
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
        out["change"].setdefault(s, {})[pair] = to_jsonable(summary)
    return out


def _attrition(scores: Scores) -> dict[str, Any]:
    r = scores.responses
    if len(r.waves) < 2:
        return {}
    first, later = r.waves[0], r.waves[1:]
    keys = r.keys.reset_index(drop=True)
    base = scores.table[keys["wave"] == first].assign(_id=keys.loc[keys["wave"] == first, "id"].to_numpy())
    seen_later = set(keys.loc[keys["wave"].isin(later), "id"])
    completers = base["_id"].isin(seen_later).to_numpy()
    out = attrition(base.reset_index(drop=True), completers, list(r.instrument.scale_ids))
    out["first_wave"] = first
    out["note"] = ("standardized mean difference at the first wave, persons seen again minus "
                   "persons seen at the first wave only (pooled SD)")
    out["only_later_waves"] = int(len(set(keys["id"]) - set(keys.loc[keys["wave"] == first, "id"])))
    return out


def _scoring_rule(scale) -> str:
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
