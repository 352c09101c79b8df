"""The strict schema of item bank and instrument YAML files (pydantic).

Every model forbids unknown keys, so a misspelled key fails at load time instead
of being silently dropped. The models only describe the files; the objects the
rest of the package uses are built from them in :mod:`instruments.banks` and
:mod:`instruments.instrument`.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_ID = r"^[A-Za-z][A-Za-z0-9_.]*$"

#: The widest response scale accepted (categories max - min + 1): wider is not a
#: rating scale, and every category is drawn and tabulated.
MAX_CATEGORIES = 101


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, populate_by_name=True
    )


class Text(_Strict):
    """A text in both languages of the package."""

    nl: str = Field(min_length=1)
    en: str = Field(min_length=1)


class ResponseScaleSpec(_Strict):
    """Integer response scale ``min..max`` with optional labels for every point."""

    min: int = Field(ge=-10**9, le=10**9)
    max: int = Field(ge=-10**9, le=10**9)
    labels: dict[int, Text] | None = None

    @model_validator(mode="after")
    def _check(self) -> ResponseScaleSpec:
        if self.min >= self.max:
            raise ValueError(f"min must be below max; got min={self.min}, max={self.max}")
        if self.max - self.min + 1 > MAX_CATEGORIES:
            raise ValueError(f"{self.min}..{self.max} has {self.max - self.min + 1} categories; "
                             f"a response scale may have at most {MAX_CATEGORIES}")
        if self.labels is not None:
            expected = set(range(self.min, self.max + 1))
            if set(self.labels) != expected:
                raise ValueError(
                    f"labels must name every point {self.min}..{self.max}; "
                    f"got {sorted(self.labels)}"
                )
        return self


class Provenance(_Strict):
    written_by: str
    date: str
    constructs_from: list[str] = Field(min_length=1)
    note: str


class SubscaleSpec(_Strict):
    id: str = Field(pattern=_ID)
    title: Text
    description: Text
    #: False for scales where a higher score is worse (need frustration): reliable
    #: change then counts a decrease as improvement.
    higher_is_better: bool = True


class ItemSpec(_Strict):
    id: str = Field(pattern=_ID)
    subscale: str
    keying: Literal["+", "-"]
    text: Text
    rationale: str = Field(min_length=1)


class CompositeSpec(_Strict):
    """A score derived from scale scores (e.g. the onion-layer alignment score)."""

    id: str = Field(pattern=_ID)
    title: Text
    method: Literal["mean", "sd"]
    scales: list[str] = Field(min_length=2)
    formula: str
    rationale: str
    can_show: str
    cannot_show: str


class GeneralFactorSpec(_Strict):
    """Subscales meant to share a general factor (for omega hierarchical)."""

    id: str = Field(pattern=_ID)
    title: Text
    scales: list[str] = Field(min_length=2)
    rationale: str


def _version_to_str(value: object) -> object:
    # `version: 1` in YAML is an int; a version is a label, so accept it as text.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


class BankSpec(_Strict):
    """An item bank file: items, keys, response scale, subscales, texts, provenance."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str
    title: Text
    construct_text: Text = Field(alias="construct")
    languages: list[Literal["nl", "en"]]
    provenance: Provenance
    response_scale: ResponseScaleSpec
    instructions: Text
    subscales: list[SubscaleSpec] = Field(min_length=1)
    items: list[ItemSpec] = Field(min_length=1)
    composites: list[CompositeSpec] = Field(default_factory=list)
    general_factors: list[GeneralFactorSpec] = Field(default_factory=list)

    _v = field_validator("version", mode="before")(_version_to_str)

    @model_validator(mode="after")
    def _check(self) -> BankSpec:
        if set(self.languages) != {"nl", "en"}:
            raise ValueError(f"languages must be [nl, en]; got {self.languages}")
        _unique("subscale id", [s.id for s in self.subscales])
        _unique("item id", [i.id for i in self.items])
        known = {s.id for s in self.subscales}
        for item in self.items:
            if item.subscale not in known:
                raise ValueError(
                    f"item {item.id}: subscale '{item.subscale}' is not one of the "
                    f"bank's subscales {sorted(known)}"
                )
        used = {i.subscale for i in self.items}
        empty = [s for s in known if s not in used]
        if empty:
            raise ValueError(f"subscales without items: {sorted(empty)}")
        _check_composites(self.composites, known)
        for gf in self.general_factors:
            unknown = [x for x in gf.scales if x not in known]
            if unknown:
                raise ValueError(f"general factor {gf.id}: scales {unknown} are not subscales "
                                 "of this bank")
        return self


class ScaleSpec(_Strict):
    """A scale of a user instrument: its items (column names) and reversed items."""

    items: list[str] = Field(min_length=1)
    reversed: list[str] = Field(default_factory=list)
    title: Text | None = None
    response_scale: ResponseScaleSpec | None = None
    min_answered: float | None = Field(default=None, gt=0, le=1)
    higher_is_better: bool = True

    @model_validator(mode="after")
    def _check(self) -> ScaleSpec:
        _unique("item", self.items)
        dotted = [i for i in self.items if i.startswith(".") or not i.strip()]
        if dotted:
            # Generated models name factors '.scale'; an item may not look like one.
            raise ValueError(f"items {dotted} must not be empty or start with a dot")
        stray = [r for r in self.reversed if r not in self.items]
        if stray:
            raise ValueError(f"reversed items {stray} are not among the scale's items")
        return self


class InstrumentSpec(_Strict):
    """An instrument file: a named selection of scales scored together.

    Scales come from whole bundled banks (``banks: [bpn, tse]``), from explicit
    item lists (``scales: {name: {items: [...], reversed: [...]}}``), or both.
    """

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    version: str
    title: Text | None = None
    description: Text | None = None
    banks: list[str] = Field(default_factory=list)
    response_scale: ResponseScaleSpec | None = None
    scales: dict[str, ScaleSpec] = Field(default_factory=dict)
    composites: list[CompositeSpec] = Field(default_factory=list)
    min_answered: float | None = Field(default=None, gt=0, le=1)

    _v = field_validator("version", mode="before")(_version_to_str)

    @model_validator(mode="after")
    def _check(self) -> InstrumentSpec:
        if not self.banks and not self.scales:
            raise ValueError("an instrument needs 'banks' or 'scales' (or both)")
        for name in self.scales:
            if not re.match(_ID, name):
                raise ValueError(
                    f"scale name '{name}' must start with a letter and hold only "
                    "letters, digits, '_' and '.'"
                )
        missing_range = [
            n for n, s in self.scales.items() if s.response_scale is None
        ]
        if missing_range and self.response_scale is None:
            raise ValueError(
                "scales "
                f"{missing_range} have no response_scale: give a top-level "
                "'response_scale: {min: 1, max: 5}' or one per scale"
            )
        return self


def _unique(what: str, values: list[str]) -> None:
    doubles = sorted(v for v, n in Counter(values).items() if n > 1)
    if doubles:
        raise ValueError(f"duplicate {what}: {doubles}")


def _check_composites(composites: list[CompositeSpec], scales: set[str]) -> None:
    _unique("composite id", [c.id for c in composites])
    for comp in composites:
        unknown = [s for s in comp.scales if s not in scales]
        if unknown:
            raise ValueError(
                f"composite {comp.id}: scales {unknown} are not defined here"
            )
