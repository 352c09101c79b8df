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

from instruments import Instrument, Responses, Scores, read_responses, score
from instruments.responses import OnInvalid

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
                              "scoring": _scoring_rule(s), "bank": s.bank}
                       for s in inst.scales},
            "composites": {c.id: c.to_dict() for c in inst.composites},
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
    settings = {"on_invalid": on_invalid, "missing_codes": [float(c) for c in missing_codes]}
    return ValidationResult(instrument=instrument, scores=scores, settings=settings)


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
