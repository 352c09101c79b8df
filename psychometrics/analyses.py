"""The analyses of one validate run that depend only on the data, one function each.

Each function takes one scale's (or one general factor's, or the whole instrument's)
keyed answers with each row's wave, and returns what the pipeline stores: reliability
per wave, omega hierarchical per wave, CFA per wave, the EFAs, invariance across waves
and invariance across groups. None reads another's result, so
:mod:`psychometrics.parallel` can run them in any order, on several processes; the
functions are module-level and their arguments plain data so that they can be sent to
a worker process. ``progress`` (the bootstrap of alpha, the pairs of waves) is only
given when they run in the calling process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd

from instruments import Scale
from psychometrics.cfa import CFAResult, fit_cfa
from psychometrics.decision_rules import Rule
from psychometrics.efa import EFAResult, efa
from psychometrics.estimators import Estimator
from psychometrics.group_invariance import group_invariance
from psychometrics.invariance import InvarianceResult, longitudinal_invariance
from psychometrics.omega_hierarchical import OmegaHierarchical, omega_hierarchical
from psychometrics.ordinal_cfa import OrdinalCFAResult, fit_cfa_ordinal
from psychometrics.ordinal_invariance import OrdinalInvarianceResult, ordinal_invariance
from psychometrics.parallel import Progress
from psychometrics.reliability import Missing, ScaleReliability, scale_reliability

#: A CFA under ML/MLR or under WLSMV (ordered items); an invariance sequence likewise.
AnyCFA = CFAResult | OrdinalCFAResult
AnyInvariance = InvarianceResult | OrdinalInvarianceResult
ModelMissing = Literal["fiml", "listwise"]


def by_wave(frame: pd.DataFrame, row_waves: np.ndarray,
            waves: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The rows of ``frame`` at each wave (``row_waves``: each row's wave)."""
    return {w: frame[row_waves == w].reset_index(drop=True) for w in waves}


def reliability_of(items: pd.DataFrame, row_waves: np.ndarray, waves: Sequence[str],
                   scale: Scale, missing: Missing, alpha_ci: str, n_boot: int, seed: int,
                   progress: Progress | None = None) -> dict[str, ScaleReliability]:
    """Alpha, omega and the item analysis of one scale at each wave."""
    ci: Literal["feldt", "bootstrap"] = "bootstrap" if alpha_ci == "bootstrap" else "feldt"
    out: dict[str, ScaleReliability] = {}
    for wave, x in by_wave(items, row_waves, waves).items():
        boot_progress = None
        if ci == "bootstrap" and progress is not None:
            say: Progress = progress

            def boot_progress(done: int, total: int, _w: str = wave,
                              _say: Progress = say) -> None:
                if done == total or done % 500 == 0:
                    _say(f"  bootstrap {scale.id} {_w}: {done}/{total}")
        out[wave] = scale_reliability(x, low=scale.min, high=scale.max, missing=missing, ci=ci,
                                      n_boot=n_boot, seed=seed, progress=boot_progress,
                                      ordinal=True)
    return out


def omega_h_of(items: pd.DataFrame, row_waves: np.ndarray, waves: Sequence[str],
               n_groups: int) -> dict[str, OmegaHierarchical]:
    """Omega hierarchical of a general factor's items at each wave."""
    return {w: omega_hierarchical(x, n_groups=n_groups)
            for w, x in by_wave(items, row_waves, waves).items()}


def cfa_of(items: pd.DataFrame, row_waves: np.ndarray, waves: Sequence[str],
           factors: dict[str, list[str]], name: str, missing: ModelMissing,
           estimator: Estimator) -> dict[str, AnyCFA]:
    """The CFA of ``factors`` at each wave (model ``{name}_{wave}``)."""
    def fit(x: pd.DataFrame, label: str) -> AnyCFA:
        if estimator == "WLSMV":
            return fit_cfa_ordinal(x, factors, label, missing=_ordinal(missing))
        return fit_cfa(x, factors, label, missing=missing, estimator=estimator)

    return {w: fit(x, f"{name}_{w}") for w, x in by_wave(items, row_waves, waves).items()}


def _ordinal(missing: ModelMissing) -> Literal["listwise", "pairwise"]:
    """The missing-data rule of a WLSMV model: ``fiml`` has no full-information
    counterpart there and means pairwise (lavaan's ``missing = "pairwise"``)."""
    return "listwise" if missing == "listwise" else "pairwise"


def renamed(result: AnyCFA, old: str, new: str) -> AnyCFA:
    """``result`` under the model name ``new`` (its syntax's header names it first)."""
    return replace(result, name=new, syntax=result.syntax.replace(old, new, 1))


def efas_of(everything: pd.DataFrame, row_waves: np.ndarray, waves: Sequence[str],
            n_factors: int, banks: dict[str, tuple[list[str], int]],
            seed: int) -> tuple[dict[str, EFAResult], dict[str, dict[str, EFAResult]]]:
    """The EFA of all items at each wave, and of each bank's items (``banks``: the
    bank's item columns and its number of scales) when there are several banks."""
    efas = {w: efa(x, n_factors, seed=seed)
            for w, x in by_wave(everything, row_waves, waves).items()}
    per_bank = {bank: {w: efa(x, k, seed=seed)
                       for w, x in by_wave(everything[cols], row_waves, waves).items()}
                for bank, (cols, k) in banks.items()}
    return efas, per_bank


def invariance_of(frame: pd.DataFrame, scale: Scale, waves: Sequence[str], pairs:
                  Sequence[tuple[str, str]], rule: Rule,
                  null_model: Literal["independence", "longitudinal"], missing: ModelMissing,
                  seed: int, estimator: Estimator, progress: Progress | None = None
                  ) -> tuple[AnyInvariance, dict[str, InvarianceResult] | None]:
    """The invariance of one scale over all ``waves`` (``frame``: id, wave and its
    keyed items); where that cannot be tested and there are more than two waves, also
    each of ``pairs`` on its own (ML and MLR; under WLSMV the whole sequence only)."""
    if estimator == "WLSMV":
        return ordinal_invariance(frame, scale.id, scale.items, waves, rule=rule,
                                  missing=_ordinal(missing)), None
    whole = longitudinal_invariance(frame, scale.id, scale.items, waves, rule=rule,
                                    null_model=null_model, missing=missing, seed=seed,
                                    estimator=estimator)
    if whole.status == "ok" or len(waves) <= 2:
        return whole, None
    by_pair: dict[str, InvarianceResult] = {}
    for a, b in pairs:
        if progress is not None:
            progress(f"invariance: {scale.id}, {a} and {b} on their own")
        part = frame[frame["wave"].isin([a, b])].reset_index(drop=True)
        by_pair[f"{a}->{b}"] = longitudinal_invariance(
            part, scale.id, scale.items, (a, b), rule=rule, null_model=null_model,
            missing=missing, seed=seed, estimator=estimator)
    return whole, by_pair


def group_invariance_of(frame: pd.DataFrame, scale: Scale, waves: Sequence[str],
                        groups: Sequence[str], rule: Rule, missing: ModelMissing, seed: int,
                        estimator: Estimator) -> InvarianceResult:
    """Invariance of one scale across groups (x waves) by normal-theory ML whatever the
    estimator of the other models (MLR and WLSMV across groups are not built yet); the
    result says so when another estimator was asked for."""
    res = group_invariance(frame, scale.id, scale.items, waves, groups, rule=rule,
                           missing=missing, seed=seed)
    if estimator != "ML":
        res = replace(res, notes=(*res.notes, f"fitted by ML: the estimator {estimator} "
                                  "is not available across groups yet"))
    return res
