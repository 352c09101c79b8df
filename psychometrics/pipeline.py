"""The validate pipeline: read and check, score, then the statistics per scale.

Each step is a plain function that returns a result object; this module only wires
them together (and, once the statistics exist, applies the invariance gate before
change). It does no file I/O: :mod:`psychometrics.outputs` writes the results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import pandas as pd

from instruments import Instrument, Responses, Scores, keyed_items, read_responses, score
from instruments.responses import OnInvalid
from psychometrics.omega_hierarchical import OmegaHierarchical, omega_hierarchical
from psychometrics.reliability import Missing, ScaleReliability, scale_reliability

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
    #: reliability[scale][wave]
    reliability: dict[str, dict[str, ScaleReliability]] = field(default_factory=dict)
    #: omega_h[general factor][wave]
    omega_h: dict[str, dict[str, OmegaHierarchical]] = field(default_factory=dict)

    @property
    def responses(self) -> Responses:
        return self.scores.responses

    def to_dict(self) -> dict[str, Any]:
        r = self.responses
        inst = self.instrument
        problems = r.problems
        rows_with_problems = int(problems["row"].dropna().nunique()) if len(problems) else 0
        return {
            "schema_version": SCHEMA_VERSION,
            "instrument": {
                "id": inst.id,
                "version": inst.version,
                "source": Path(inst.source).name if inst.source != "<dict>" else inst.source,
            },
            "settings": self.settings,
            "data": {
                "source": r.source,
                "read_as": r.details,
                "id_column": r.id_column,
                "wave_column": r.wave_column,
                "n_rows": r.n_rows,
                "n_persons": r.n_persons,
                "waves": list(r.waves),
                "rows_scored": len(r.keys),
                "rows_not_scored": r.rows_not_scored,
                "rows_with_problems": rows_with_problems,
                "blank_rows": list(r.blank_rows),
                "unused_columns": list(r.extra.columns),
                "persons_per_wave": {
                    w: int((r.keys["wave"] == w).sum()) for w in r.waves
                },
            },
            "problems": [
                {
                    "row": None if pd.isna(p.row) else int(p.row),
                    "column": p.column,
                    "value": p.value,
                    "problem": p.problem,
                    "action": p.action,
                }
                for p in problems.itertuples(index=False)
            ],
            "scales": {s.id: {"items": list(s.items), "reversed": list(s.reversed),
                              "scoring": _scoring_rule(s), "bank": s.bank,
                              "reliability": {w: rel.to_dict() for w, rel in
                                              self.reliability.get(s.id, {}).items()}}
                       for s in inst.scales},
            "composites": {c.id: c.to_dict() for c in inst.composites},
            "omega_hierarchical": {
                gf.id: {"scales": list(gf.scales), "bank": gf.bank,
                        "by_wave": {w: oh.to_dict() for w, oh in self.omega_h.get(gf.id, {}).items()}}
                for gf in inst.general_factors
            },
            "unscored": _unscored_counts(self.scores),
        }


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
    progress: Progress = _quiet,
) -> ValidationResult:
    """Check, score and validate an instrument on raw responses.

    Returns a :class:`ValidationResult`; :func:`psychometrics.outputs.write_outputs`
    writes its ``results.json`` and ``scores.csv``.
    """
    if not isinstance(instrument, Instrument):
        instrument = Instrument.load(instrument)
    progress(f"reading and checking the responses ({instrument.id})")
    responses = read_responses(
        data, instrument, id_column=id_column, wave_column=wave_column,
        on_invalid=on_invalid, missing_codes=missing_codes, wave_order=wave_order,
    )
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
    }
    reliability = _reliability(responses, missing, alpha_ci, n_boot, seed, progress)
    return ValidationResult(instrument=instrument, scores=scores, settings=settings,
                            reliability=reliability, omega_h=_omega_h(responses, progress))


def _omega_h(responses: Responses, progress: Progress) -> dict[str, dict[str, OmegaHierarchical]]:
    """Omega hierarchical of every general factor the instrument declares, per wave."""
    out: dict[str, dict[str, OmegaHierarchical]] = {}
    wave_of_row = responses.keys["wave"].to_numpy()
    for gf in responses.instrument.general_factors:
        progress(f"omega hierarchical: {gf.id}")
        items = pd.concat([keyed_items(responses, s) for s in gf.scales], axis=1)
        out[gf.id] = {
            wave: omega_hierarchical(items[wave_of_row == wave].reset_index(drop=True),
                                     n_groups=len(gf.scales))
            for wave in responses.waves
        }
    return out


def _reliability(responses: Responses, missing: Missing, alpha_ci: str, n_boot: int,
                 seed: int, progress: Progress) -> dict[str, dict[str, ScaleReliability]]:
    """Alpha, omega and item analysis of every scale at every wave."""
    out: dict[str, dict[str, ScaleReliability]] = {}
    wave_of_row = responses.keys["wave"].to_numpy()
    for scale in responses.instrument.scales:
        progress(f"reliability: {scale.id}")
        keyed = keyed_items(responses, scale.id)
        out[scale.id] = {}
        for wave in responses.waves:
            boot_progress = None
            if alpha_ci == "bootstrap":
                def boot_progress(done: int, total: int, _s=scale.id, _w=wave) -> None:
                    if done == total or done % 500 == 0:
                        progress(f"  bootstrap {_s} {_w}: {done}/{total}")
            out[scale.id][wave] = scale_reliability(
                keyed[wave_of_row == wave].reset_index(drop=True), low=scale.min,
                high=scale.max, missing=missing, ci=alpha_ci, n_boot=n_boot, seed=seed,
                progress=boot_progress, ordinal=True)
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
