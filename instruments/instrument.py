"""Instruments: the scales that are administered and scored together.

An :class:`Instrument` is resolved from an instrument file (bundled or the user's):
whole bundled banks contribute all their subscales (and composites), explicit
``scales`` contribute item lists. Everything the scorer needs (item order, keys,
response ranges, the rule for scoring a partly answered scale) is in it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from instruments._schema import (
    BankSpec,
    CompositeSpec,
    InstrumentSpec,
    Text,
    _check_composites,
)
from instruments.banks import (
    _INSTRUMENT_SUFFIX,
    _bundled_dir,
    instrument_ids,
    load_bank,
    parse_data,
    parse_file,
)
from instruments.errors import ItemBankError

#: Default share of a scale's items that must be answered for it to be scored.
DEFAULT_MIN_ANSWERED = 2 / 3


@dataclass(frozen=True, slots=True)
class Item:
    """One item: its column name, scale, keying, response range and texts.

    Built by :class:`Instrument`; found in ``Instrument.items_by_id``.

    Attributes
    ----------
    id : str
        The item id, which is also the name of its data column.
    scale : str
        The id of the scale it belongs to.
    reversed : bool
        Whether it is reverse keyed (scored ``min + max - x``).
    min, max : int
        Its response scale.
    text : mapping of str to str, optional
        Its wording by language (``"nl"``, ``"en"``); ``None`` for items of an
        instrument's own ``scales``.

    Examples
    --------
    >>> from instruments import Instrument
    >>> item = Instrument.load("tse").items_by_id["TSE01"]
    >>> item.scale, item.reversed, item.min, item.max
    ('tse_engagement', False, 1, 7)
    """

    id: str
    scale: str
    reversed: bool
    min: int
    max: int
    text: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Scale:
    """A scale: items (in order), reversed items, response range, scoring rule.

    The scale score is the mean of the answered items after reverse keying
    (``min + max - x``); it is computed only when at least ``n_required`` items
    are answered, ``n_required = ceil(min_answered * n_items)``.

    Attributes
    ----------
    id : str
        The scale id (a column of :attr:`Scores.table`).
    items : tuple of str
        Its item ids, in order.
    reversed : tuple of str
        The reverse-keyed items among them.
    min, max : int
        The response scale.
    min_answered : float
        The share of items that must be answered (default ``2/3``).
    title : mapping of str to str, optional
        The scale's name by language.
    bank : str, optional
        The bank it comes from (``None`` for an instrument's own scales).
    higher_is_better : bool
        The scale's good direction (``False`` for e.g. need frustration); reliable
        change is classed "improved" in this direction.
    n_items, n_required : int
        The number of items, and how many must be answered for a score.

    Examples
    --------
    >>> from instruments import Instrument
    >>> s = Instrument.load("kvb").scale("onion_environment")
    >>> s.items, s.n_items, s.n_required
    (('ONI01', 'ONI02', 'ONI03'), 3, 2)
    """

    id: str
    items: tuple[str, ...]
    reversed: tuple[str, ...]
    min: int
    max: int
    min_answered: float = DEFAULT_MIN_ANSWERED
    title: Mapping[str, str] | None = None
    bank: str | None = None
    higher_is_better: bool = True

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_required(self) -> int:
        # The small tolerance keeps 2/3 * 3 == 2 from rounding up to 3.
        return max(1, math.ceil(self.min_answered * self.n_items - 1e-9))

    def to_dict(self) -> dict[str, Any]:
        """The scale as plain JSON types (as ``results.json`` records it).

        Returns
        -------
        dict
            ``items, reversed, min, max, min_answered, n_required, bank,
            higher_is_better``.

        Examples
        --------
        >>> from instruments import Instrument
        >>> Instrument.load("tse").scale("tse_engagement").to_dict()["n_required"]
        3
        """
        return {
            "items": list(self.items),
            "reversed": list(self.reversed),
            "min": self.min,
            "max": self.max,
            "min_answered": self.min_answered,
            "n_required": self.n_required,
            "bank": self.bank,
            "higher_is_better": self.higher_is_better,
        }


@dataclass(frozen=True, slots=True)
class Composite:
    """A score computed from scale scores: their ``mean`` or their ``sd`` (ddof 0).

    Computed only when every component scale score is available (see
    ``docs/alignment.md`` for the onion alignment score and its spread).

    Attributes
    ----------
    id : str
        The composite's id (a column of :attr:`Scores.table`).
    method : {"mean", "sd"}
        The mean of the scale scores, or their standard deviation within the
        person (denominator = number of scales).
    scales : tuple of str
        The component scales.
    title : mapping of str to str, optional
        Its name by language.
    formula : str
        The formula in words, as the bank states it.
    bank : str, optional
        The bank that defines it.

    Examples
    --------
    >>> from instruments import Instrument
    >>> [(c.id, c.method, len(c.scales)) for c in Instrument.load("onion").composites]
    [('onion_alignment', 'mean', 6), ('onion_alignment_spread', 'sd', 6)]
    """

    id: str
    method: Literal["mean", "sd"]
    scales: tuple[str, ...]
    title: Mapping[str, str] | None = None
    formula: str = ""
    bank: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The composite as plain JSON types: ``method, scales, formula, bank``.

        Returns
        -------
        dict

        Examples
        --------
        >>> from instruments import Instrument
        >>> Instrument.load("onion").composites[0].to_dict()["method"]
        'mean'
        """
        return {
            "method": self.method,
            "scales": list(self.scales),
            "formula": self.formula,
            "bank": self.bank,
        }


@dataclass(frozen=True, slots=True)
class GeneralFactor:
    """Scales meant to share a general factor (omega hierarchical is computed for it).

    Attributes
    ----------
    id : str
        The general factor's id.
    scales : tuple of str
        Its group factors, one per scale.
    title : mapping of str to str, optional
        Its name by language.
    bank : str, optional
        The bank that declares it.

    Examples
    --------
    >>> from instruments import Instrument
    >>> g = Instrument.load("tse").general_factors[0]
    >>> g.id, g.scales
    ('teacher_self_efficacy', ('tse_engagement', 'tse_instruction', 'tse_management'))
    """

    id: str
    scales: tuple[str, ...]
    title: Mapping[str, str] | None = None
    bank: str | None = None


@dataclass(frozen=True, slots=True)
class Instrument:
    """A named selection of scales scored together.

    Build it with :meth:`load` (a bundled name or a path), :meth:`from_file` or
    :meth:`from_dict`; not with the constructor. Whole bundled banks contribute all
    their subscales, composites and general factors; an instrument's own ``scales``
    contribute item lists. An item can belong to one scale only.

    Attributes
    ----------
    id, version : str
        The instrument's id and version, as its file states them.
    scales : tuple of Scale
        The scales, in order (the banks' subscales first, then the own scales).
    composites : tuple of Composite
        Scores computed from scale scores.
    general_factors : tuple of GeneralFactor
        Scale groups for omega hierarchical.
    title : mapping of str to str, optional
        The instrument's name by language.
    source : str
        The file it was read from (``"<dict>"`` for :meth:`from_dict`).
    items_by_id : mapping of str to Item
        Every item, in instrument order.
    items, scale_ids : tuple of str
        All item ids (the data columns) and all scale ids, in order.

    Examples
    --------
    >>> from instruments import Instrument
    >>> kvb = Instrument.load("kvb")
    >>> kvb
    Instrument(id='kvb', version='1.0', scales=16, items=58)
    >>> kvb.scale_ids[:2], kvb.items[:2]
    (('autonomy_satisfaction', 'autonomy_frustration'), ('BPN01', 'BPN02'))
    """

    id: str
    version: str
    scales: tuple[Scale, ...]
    composites: tuple[Composite, ...] = ()
    general_factors: tuple[GeneralFactor, ...] = ()
    title: Mapping[str, str] | None = None
    source: str = "<dict>"
    items_by_id: Mapping[str, Item] = field(default_factory=dict, repr=False)

    # -- construction --------------------------------------------------------------
    @classmethod
    def load(cls, name_or_path: str | Path) -> Instrument:
        """A bundled instrument by name (``"kvb"``) or an instrument YAML file.

        Parameters
        ----------
        name_or_path : str or Path
            A bundled name (see :func:`instruments.instrument_ids`), or the path of
            an instrument file (anything ending in ``.yaml``/``.yml``, or an
            existing file).

        Returns
        -------
        Instrument

        Raises
        ------
        ItemBankError
            The name is neither bundled nor a file (the message lists the bundled
            names), or the file or one of its banks is invalid.

        Examples
        --------
        >>> from instruments import Instrument
        >>> Instrument.load("tse")
        Instrument(id='tse', version='1.0', scales=3, items=12)
        """
        text = str(name_or_path)
        path = Path(text)
        if path.suffix in (".yaml", ".yml") or path.is_file():
            if not path.is_file():
                raise ItemBankError(f"{path}: instrument file not found.")
            return cls.from_file(path)
        bundled = _bundled_dir() / f"{text}{_INSTRUMENT_SUFFIX}"
        if not bundled.is_file():
            raise ItemBankError(
                f"'{text}' is neither a bundled instrument nor an instrument file. "
                f"Bundled instruments: {', '.join(instrument_ids())}; or give the "
                "path of a .yaml file."
            )
        return cls.from_file(bundled)

    @classmethod
    def from_file(cls, path: str | Path) -> Instrument:
        """Read and resolve an instrument file.

        Parameters
        ----------
        path : str or Path
            An instrument YAML file: ``id``, ``version``, and ``banks`` (bundled
            bank ids) and/or ``scales``; optionally ``response_scale``,
            ``min_answered``, ``composites``, ``title``.

        Returns
        -------
        Instrument

        Raises
        ------
        ItemBankError
            The file cannot be read, is not valid YAML, breaks the schema, names an
            unknown bank, or puts an item in two scales; the message names the file,
            the scale or item and the field.

        Examples
        --------
        >>> from importlib import resources
        >>> from instruments import Instrument
        >>> path = resources.files("item_banks") / "onion.instrument.yaml"
        >>> Instrument.from_file(path).scale_ids[:3]
        ('onion_environment', 'onion_behaviour', 'onion_competencies')
        """
        path = Path(path)
        spec = parse_file(path, InstrumentSpec)
        return cls._resolve(spec, source=str(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<dict>") -> Instrument:
        """Resolve an instrument given as a mapping (the parsed content of a file).

        Parameters
        ----------
        data : mapping
            The same keys as an instrument file (see :meth:`from_file`).
        source : str
            The name used for it in error messages.

        Returns
        -------
        Instrument

        Raises
        ------
        ItemBankError
            ``data`` breaks the schema, names an unknown bank, or puts an item in
            two scales.

        Examples
        --------
        >>> from instruments import Instrument
        >>> inst = Instrument.from_dict({"id": "demo", "version": "1",
        ...     "response_scale": {"min": 1, "max": 5},
        ...     "scales": {"agree": {"items": ["A1", "A2", "A3"], "reversed": ["A1"]}}})
        >>> inst.scale("agree").reversed, inst.scale("agree").n_required
        (('A1',), 2)
        """
        spec = parse_data(dict(data), InstrumentSpec, source=source)
        return cls._resolve(spec, source=source)

    @classmethod
    def _resolve(cls, spec: InstrumentSpec, source: str) -> Instrument:
        default_share = spec.min_answered or DEFAULT_MIN_ANSWERED
        scales: list[Scale] = []
        composites: list[Composite] = []
        general: list[GeneralFactor] = []
        items: dict[str, Item] = {}
        for bank_id in spec.banks:
            try:
                bank = load_bank(bank_id)
            except ItemBankError as exc:
                raise ItemBankError(f"{source}: field 'banks': {exc}") from None
            bank_scales, bank_items = _scales_of_bank(bank, default_share)
            scales += bank_scales
            items.update(_checked_items(bank_items, items, source))
            composites += [_composite(c, bank.id) for c in bank.composites]
            general += [GeneralFactor(g.id, tuple(g.scales), _text(g.title), bank.id)
                        for g in bank.general_factors]
        for name, s in spec.scales.items():
            rs = s.response_scale or spec.response_scale
            if rs is None:  # InstrumentSpec._check already refuses this
                raise ItemBankError(f"{source}: scale {name}: no response_scale.")
            scale = Scale(
                id=name,
                items=tuple(s.items),
                reversed=tuple(s.reversed),
                min=rs.min,
                max=rs.max,
                min_answered=s.min_answered or default_share,
                title=_text(s.title),
                higher_is_better=s.higher_is_better,
            )
            scales.append(scale)
            new = {
                i: Item(i, name, i in s.reversed, rs.min, rs.max) for i in s.items
            }
            items.update(_checked_items(new, items, source))
        composites += [_composite(c, None) for c in spec.composites]
        ids = [s.id for s in scales]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ItemBankError(f"{source}: scale names used twice: {dup}.")
        try:
            _check_composites(list(spec.composites), set(ids))
        except ValueError as exc:
            raise ItemBankError(f"{source}: {exc}.") from None
        clash = sorted({c.id for c in composites} & set(ids))
        if clash:
            raise ItemBankError(f"{source}: composites named like scales: {clash}.")
        return cls(
            id=spec.id,
            version=spec.version,
            scales=tuple(scales),
            composites=tuple(composites),
            general_factors=tuple(general),
            title=_text(spec.title),
            source=source,
            items_by_id=items,
        )

    # -- queries -------------------------------------------------------------------
    @property
    def items(self) -> tuple[str, ...]:
        """All item ids (data column names), in instrument order."""
        return tuple(self.items_by_id)

    @property
    def scale_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.scales)

    def scale(self, scale_id: str) -> Scale:
        """The scale with id ``scale_id``.

        Parameters
        ----------
        scale_id : str
            A scale id (see :attr:`scale_ids`).

        Returns
        -------
        Scale

        Raises
        ------
        KeyError
            The instrument has no such scale.

        Examples
        --------
        >>> from instruments import Instrument
        >>> Instrument.load("tse").scale("tse_management").items
        ('TSE09', 'TSE10', 'TSE11', 'TSE12')
        """
        for s in self.scales:
            if s.id == scale_id:
                return s
        raise KeyError(f"instrument {self.id} has no scale '{scale_id}'")

    def to_dict(self) -> dict[str, Any]:
        """The instrument's identity: ``id``, ``version`` and ``source``.

        Returns
        -------
        dict

        Examples
        --------
        >>> from instruments import Instrument
        >>> Instrument.load("tse").to_dict()["version"]
        '1.0'
        """
        return {"id": self.id, "version": self.version, "source": self.source}

    def __repr__(self) -> str:
        return (
            f"Instrument(id={self.id!r}, version={self.version!r}, "
            f"scales={len(self.scales)}, items={len(self.items_by_id)})"
        )


def load_instrument(name_or_path: str | Path) -> Instrument:
    """Shorthand for :meth:`Instrument.load`.

    Parameters
    ----------
    name_or_path : str or Path
        A bundled instrument name or the path of an instrument file.

    Returns
    -------
    Instrument

    Raises
    ------
    ItemBankError
        As :meth:`Instrument.load`.

    Examples
    --------
    >>> from instruments import load_instrument
    >>> load_instrument("bpn")
    Instrument(id='bpn', version='1.0', scales=6, items=24)
    """
    return Instrument.load(name_or_path)



def _text(t: Text | None) -> dict[str, str] | None:
    return None if t is None else {"nl": t.nl, "en": t.en}


def _composite(c: CompositeSpec, bank: str | None) -> Composite:
    return Composite(
        id=c.id,
        method=c.method,
        scales=tuple(c.scales),
        title=_text(c.title),
        formula=c.formula,
        bank=bank,
    )


def _scales_of_bank(bank: BankSpec, share: float) -> tuple[list[Scale], dict[str, Item]]:
    rs = bank.response_scale
    scales = []
    items: dict[str, Item] = {}
    for sub in bank.subscales:
        members = [i for i in bank.items if i.subscale == sub.id]
        scales.append(
            Scale(
                id=sub.id,
                items=tuple(i.id for i in members),
                reversed=tuple(i.id for i in members if i.keying == "-"),
                min=rs.min,
                max=rs.max,
                min_answered=share,
                title=_text(sub.title),
                bank=bank.id,
                higher_is_better=sub.higher_is_better,
            )
        )
        for i in members:
            items[i.id] = Item(i.id, sub.id, i.keying == "-", rs.min, rs.max, _text(i.text))
    return scales, items


def _checked_items(
    new: dict[str, Item], existing: dict[str, Item], source: str
) -> dict[str, Item]:
    both = sorted(set(new) & set(existing))
    if both:
        raise ItemBankError(
            f"{source}: items {both} belong to more than one scale; an item column "
            "can be scored in one scale only."
        )
    return new
