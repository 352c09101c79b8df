"""The shape of a response file: wide or long, one or several id columns, chosen waves.

:func:`arrange` turns what the user has into the one shape the checks in
:mod:`instruments.responses` read (one row per person per wave, one id column, one
wave column), and records what it did in a :class:`Layout`, so that nothing is
dropped silently and every message can name the user's own columns.

- Wide files (``wide="{item}_{wave}"``, ``--wide``): one row per person; a column
  whose name fits the pattern for an item of the instrument holds that item at that
  wave, and the wave labels come from the column names. Every other column is a
  person column (e.g. ``school``, ``gender``) and is kept on each of the person's
  rows. A column that fits the pattern for two items (or two ways) is an error, as
  is an item that has a column at one wave and none at another. A person whose
  item cells are all empty at a wave did not take part in it: no row is made for
  that wave, and the number of such person-waves is recorded
  (``person_waves_without_answers``).
- Composite ids (``id_column=["study", "id"]``, ``--id study,id``): persons are keyed
  by all the columns together; the key is the values joined by ``" / "``, and
  :meth:`Layout.id_frame` gives the columns back for the per-person outputs. A row
  with one of its id cells empty has no id. Two different combinations that would
  join to the same key are an error.
- Chosen waves (``waves=["T1", "T3"]``, ``--waves T1,T3``): only these waves are
  checked and scored, in this order; the rows of other waves are counted by label
  in ``waves_left_out``. A chosen wave that is not in the data is an error that
  lists the waves there are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from instruments.errors import OptionError, ResponseError
from instruments.reading import RawTable

#: The pattern of ``--wide`` given without a value.
DEFAULT_PATTERN = "{item}_{wave}"
#: How the values of a composite id are joined into one key.
ID_SEPARATOR = " / "


@dataclass(frozen=True, slots=True)
class Layout:
    """What :func:`arrange` did to the input.

    Attributes
    ----------
    format : {"long", "wide"}
    id_columns : tuple of str
        The user's id column(s).
    id_column, wave_column : str, str or None
        The key columns of the arranged (long) table.
    pattern : str or None
        The wide pattern, e.g. ``"{item}_{wave}"``.
    item_columns : dict
        ``(item, wave) -> column`` of a wide file.
    person_columns : tuple of str
        The columns of a wide file that hold no item.
    input_rows : int
        Rows of the input (persons, in a wide file).
    person_waves_without_answers : dict
        Wave label -> persons of a wide file with no answer at that wave (no row made).
    waves_left_out : dict
        Wave label -> rows not analysed because the wave was not chosen.
    id_parts : dict
        Composite key -> the values of the id columns.
    """

    format: str = "long"
    id_columns: tuple[str, ...] = ("id",)
    id_column: str = "id"
    wave_column: str | None = None
    pattern: str | None = None
    item_columns: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    person_columns: tuple[str, ...] = ()
    input_rows: int = 0
    person_waves_without_answers: dict[str, int] = field(default_factory=dict)
    waves_left_out: dict[str, int] = field(default_factory=dict)
    id_parts: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @property
    def composite(self) -> bool:
        return len(self.id_columns) > 1

    def id_frame(self, keys: Sequence[str]) -> pd.DataFrame:
        """The user's id column(s) for person keys, in the given order."""
        keys = list(keys)
        if not self.composite:
            return pd.DataFrame({self.id_columns[0]: pd.array(keys, dtype=object)})
        parts = [self.id_parts.get(k, (k,) + ("",) * (len(self.id_columns) - 1)) for k in keys]
        return pd.DataFrame({c: pd.array([p[j] for p in parts], dtype=object)
                             for j, c in enumerate(self.id_columns)})

    def with_id_columns(self, frame: pd.DataFrame, key: str = "id") -> pd.DataFrame:
        """``frame`` with its person-key column ``key`` replaced by the id column(s)."""
        if not self.composite or key not in frame.columns:
            return frame
        at = list(frame.columns).index(key)
        ids = self.id_frame(frame[key].tolist()).set_axis(frame.index)
        rest = frame.drop(columns=[key])
        return pd.concat([rest.iloc[:, :at], ids, rest.iloc[:, at:]], axis=1)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": self.format, "id_columns": list(self.id_columns)}
        if self.format == "wide":
            out.update({
                "pattern": self.pattern, "input_rows": self.input_rows,
                "person_columns": list(self.person_columns),
                "item_columns": _nested(self.item_columns),
                "person_waves_without_answers": dict(self.person_waves_without_answers),
            })
        return out


def _nested(columns: dict[tuple[str, str], str]) -> dict[str, dict[str, str]]:
    """``{(item, wave): column}`` as ``{item: {wave: column}}`` (for results.json)."""
    out: dict[str, dict[str, str]] = {}
    for (item, wave), col in columns.items():
        out.setdefault(item, {})[wave] = col
    return out


def id_columns_of(id_column: str | Sequence[str]) -> tuple[str, ...]:
    """``"study,id"``, ``["study", "id"]`` or ``"id"`` as a tuple of column names."""
    if isinstance(id_column, str):
        return tuple(c.strip() for c in id_column.split(",")) if "," in id_column else (id_column,)
    return tuple(id_column)


def check_pattern(pattern: str) -> None:
    """A wide pattern must hold ``{item}`` and ``{wave}`` once each and nothing else in braces.

    >>> check_pattern("{item}.{wave}")
    >>> check_pattern("{item}_T")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    instruments.errors.OptionError: The 'wide' pattern must hold {item} and {wave} ... Got '{item}_T' instead.
    """
    fields = re.findall(r"\{([^{}]*)\}", pattern)
    if sorted(fields) != ["item", "wave"] or pattern.count("{") != 2 or pattern.count("}") != 2:
        raise OptionError("The 'wide' pattern must hold {item} and {wave} once each (e.g. "
                          f"'{DEFAULT_PATTERN}', 'T{{wave}}_{{item}}'). Got {pattern!r} instead.")


def arrange(raw: RawTable, items: Sequence[str], *, id_columns: Sequence[str],
            wave_column: str | None, wide: str | None = None,
            waves: Sequence[str] | None = None) -> tuple[RawTable, Layout]:
    """Bring ``raw`` into long shape with one id column; see the module notes.

    Raises
    ------
    ResponseError
        A missing id column, an ambiguous or incomplete wide header, ids that join
        ambiguously, a chosen wave that is not in the data.
    """
    id_columns = tuple(id_columns)
    layout = Layout(id_columns=id_columns, id_column=id_columns[0], wave_column=wave_column,
                    input_rows=len(raw.cells))
    if wide is None and len(id_columns) == 1 and waves is None:
        return raw, layout  # the plain long file: nothing to do
    _check_columns(raw, id_columns)
    if wide is not None:
        raw, layout = _from_wide(raw, items, wide, layout)
    if len(id_columns) > 1:
        raw, layout = _join_ids(raw, layout)
    if waves is not None:
        raw, layout = _choose_waves(raw, layout, [str(w) for w in waves])
    return raw, layout


# -- wide ------------------------------------------------------------------------------

def _from_wide(raw: RawTable, items: Sequence[str], pattern: str,
               layout: Layout) -> tuple[RawTable, Layout]:
    check_pattern(pattern)
    found, person = _wide_columns(raw, items, pattern, layout)
    wave_labels = _check_wide_header(raw, items, pattern, found)
    wave_col = _free_name("wave", person)
    long, row_numbers, without = _stack_waves(raw, items, found, person, wave_labels, wave_col)
    if not len(long):
        raise ResponseError(f"{raw.source}: no person answered any item at any wave.")
    out = RawTable(cells=long, row_numbers=row_numbers, source=raw.source,
                   decimal_comma=raw.decimal_comma,
                   duplicate_columns=tuple(c for c in raw.duplicate_columns if c in person),
                   blank_rows=raw.blank_rows,
                   details=raw.details)
    layout = _replace(layout, format="wide", pattern=pattern, wave_column=wave_col,
                      item_columns=found, person_columns=tuple(person),
                      person_waves_without_answers=without)
    return out, layout


def _wide_columns(raw: RawTable, items: Sequence[str], pattern: str,
                  layout: Layout) -> tuple[dict[tuple[str, str], str], list[str]]:
    """The column of each (item, wave) the header holds, and the other (person) columns."""
    regex = _pattern_regex(pattern, items)
    found: dict[tuple[str, str], str] = {}
    person: list[str] = []
    for col in raw.cells.columns:
        col = str(col)
        readings = _readings(col, regex, items)
        if not readings:
            person.append(col)
            continue
        if len(readings) > 1:
            ways = "; ".join(f"item '{i}' at wave '{w}'" for i, w in readings)
            raise ResponseError(
                f"{raw.source}: column {col}: fits the wide pattern '{pattern}' in "
                f"{len(readings)} ways ({ways}). Rename the column, or give a pattern "
                "that separates item and wave unambiguously (e.g. --wide '{item}.{wave}').")
        if col in layout.id_columns:
            raise ResponseError(f"{raw.source}: column {col}: is an id column but fits the wide "
                                f"pattern '{pattern}' as an item; rename it.")
        found[readings[0]] = col
    return found, person


def _check_wide_header(raw: RawTable, items: Sequence[str], pattern: str,
                       found: dict[tuple[str, str], str]) -> list[str]:
    """The waves of the header, in its order, once every item has one column at each."""
    cells = raw.cells
    dup = sorted(set(raw.duplicate_columns) & set(found.values()))
    if dup:
        raise ResponseError(f"{raw.source}: column {dup[0]}: appears more than once in the "
                            "header; each item at each wave needs one column.")
    if not found:
        shown = ", ".join(map(str, cells.columns[:12])) + (", ..." if cells.shape[1] > 12 else "")
        example = pattern.replace("{item}", items[0]).replace("{wave}", "T1")
        raise ResponseError(
            f"{raw.source}: no column fits the wide pattern '{pattern}' for an item of the "
            f"instrument (e.g. {example}). The columns are: {shown}. Give the pattern of "
            "your column names with --wide PATTERN (wide= in the API).")
    wave_labels = list(dict.fromkeys(w for (_, w) in found))
    missing = [(i, w) for w in wave_labels for i in items if (i, w) not in found]
    if missing:
        names = [pattern.replace("{item}", i).replace("{wave}", w) for i, w in missing]
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        raise ResponseError(
            f"{raw.source}: {len(names)} item column(s) missing for the waves found in the "
            f"header ({', '.join(wave_labels)}): {shown}. Every item needs a column at every "
            "wave (an empty column is fine); check the names against the pattern "
            f"'{pattern}'.")
    return wave_labels


def _stack_waves(raw: RawTable, items: Sequence[str], found: dict[tuple[str, str], str],
                 person: list[str], wave_labels: list[str],
                 wave_col: str) -> tuple[pd.DataFrame, np.ndarray, dict[str, int]]:
    """One row per person and wave with an answer, person by person, waves in the
    header's order; their row numbers; per wave the persons without any answer."""
    cells = raw.cells
    rows = np.asarray(raw.row_numbers)
    blocks, row_parts, order, without = [], [], [], {}
    keep = cells[person]
    for k, w in enumerate(wave_labels):
        block = cells[[found[(i, w)] for i in items]].set_axis(list(items), axis=1)
        answered = ~_blank(block).all(axis=1).to_numpy()
        without[w] = int((~answered).sum())
        part = pd.concat([keep.loc[answered].reset_index(drop=True),
                          block.loc[answered].reset_index(drop=True)], axis=1)
        part.insert(len(person), wave_col, w)
        blocks.append(part)
        row_parts.append(rows[answered])
        order.append(np.column_stack([np.flatnonzero(answered), np.full(answered.sum(), k)]))
    long = pd.concat(blocks, ignore_index=True)
    pos = np.concatenate(order)
    sort = np.lexsort((pos[:, 1], pos[:, 0]))  # person by person, waves in the header's order
    long = long.iloc[sort].reset_index(drop=True)
    return long, np.concatenate(row_parts)[sort], without


def _pattern_regex(pattern: str, items: Sequence[str]) -> re.Pattern[str]:
    parts = re.split(r"(\{item\}|\{wave\})", pattern)
    body = "".join("(?P<item>.+)" if p == "{item}" else "(?P<wave>.+)" if p == "{wave}"
                   else re.escape(p) for p in parts)
    return re.compile(body)


def _readings(col: str, regex: re.Pattern[str], items: Sequence[str]) -> list[tuple[str, str]]:
    """Every (item, wave) that ``col`` can be read as: each way of splitting it."""
    out = []
    # Try every item explicitly: a greedy match alone would hide a second reading.
    for item in items:
        pat = regex.pattern.replace("(?P<item>.+)", re.escape(item), 1)
        m = re.fullmatch(pat, col)
        if m and m.group("wave").strip():
            out.append((item, m.group("wave")))
    return out


def _blank(block: pd.DataFrame) -> pd.DataFrame:
    from instruments.responses import MISSING_TOKENS

    tokens = list(MISSING_TOKENS)
    return pd.DataFrame({c: block[c].isna().to_numpy() | block[c].astype(str).str.strip()
                         .isin(tokens).to_numpy() for c in block.columns}, index=block.index)


def _free_name(name: str, taken: Sequence[str]) -> str:
    while name in taken:
        name += "_"
    return name


# -- composite ids ---------------------------------------------------------------------

def _join_ids(raw: RawTable, layout: Layout) -> tuple[RawTable, Layout]:
    from instruments.responses import _labels

    cells = raw.cells
    parts = [_labels(cells[c]) for c in layout.id_columns]
    n = len(cells)
    empty = np.zeros(n, dtype=bool)
    for p in parts:
        empty |= p == ""
    joined = np.array([ID_SEPARATOR.join(t) for t in zip(*parts)], dtype=object) if n else \
        np.array([], dtype=object)
    joined[empty] = ""
    table = pd.DataFrame({"key": joined, **{f"p{j}": p for j, p in enumerate(parts)}})[~empty]
    distinct = table.drop_duplicates()
    clash = distinct["key"].duplicated(keep=False)
    if clash.any():
        bad = distinct[clash]
        shown = "; ".join(" + ".join(map(str, r[1:])) for r in bad.head(4).itertuples(index=False))
        raise ResponseError(
            f"{raw.source}: columns {', '.join(layout.id_columns)}: different id combinations "
            f"({shown}) join to the same key '{bad['key'].iloc[0]}' because a value holds "
            f"'{ID_SEPARATOR.strip()}'; remove it from the ids.")
    id_parts = {r[0]: tuple(r[1:]) for r in distinct.itertuples(index=False)}
    name = _free_name("+".join(layout.id_columns), list(map(str, cells.columns)))
    cells = cells.copy()
    cells[name] = joined
    out = RawTable(cells=cells, row_numbers=raw.row_numbers, source=raw.source,
                   decimal_comma=raw.decimal_comma, duplicate_columns=raw.duplicate_columns,
                   blank_rows=raw.blank_rows, details=raw.details)
    return out, _replace(layout, id_column=name, id_parts=id_parts)


# -- chosen waves ----------------------------------------------------------------------

def _choose_waves(raw: RawTable, layout: Layout, waves: list[str]) -> tuple[RawTable, Layout]:
    from instruments.responses import _labels

    if layout.wave_column is None:
        raise OptionError("--waves (waves= in the API) chooses among the waves of a wave "
                          "column (--wave COL) or of a wide file (--wide); this data has one "
                          "wave.")
    if layout.wave_column not in raw.cells.columns:
        return raw, layout  # reported as a missing wave column by the checks
    labels = _labels(raw.cells[layout.wave_column])
    present = list(dict.fromkeys(w for w in labels.tolist() if w != ""))
    absent = [w for w in waves if w not in present]
    if absent:
        where = (f"column {layout.wave_column}" if layout.format == "long"
                 else f"the item columns ('{layout.pattern}')")
        raise ResponseError(
            f"{raw.source}: {where}: the chosen wave(s) "
            f"{', '.join(absent)} are not in the data. Its waves are: {', '.join(present)}.")
    keep = (labels == "") | np.isin(labels, waves)
    left = pd.Series(labels[~keep]).value_counts(sort=False)
    left_out = {w: int(left[w]) for w in present if w in left.index}
    out = RawTable(cells=raw.cells.loc[keep].reset_index(drop=True),
                   row_numbers=np.asarray(raw.row_numbers)[keep], source=raw.source,
                   decimal_comma=raw.decimal_comma, duplicate_columns=raw.duplicate_columns,
                   blank_rows=raw.blank_rows, details=raw.details)
    return out, _replace(layout, waves_left_out=left_out)


# -- helpers ---------------------------------------------------------------------------

def _check_columns(raw: RawTable, id_columns: Sequence[str]) -> None:
    cols = list(map(str, raw.cells.columns))
    for name in id_columns:
        if name not in cols:
            import difflib

            near = difflib.get_close_matches(name, cols, n=1)
            hint = f" Did you mean '{near[0]}'?" if near else ""
            shown = ", ".join(cols[:12]) + (", ..." if len(cols) > 12 else "")
            raise ResponseError(f"{raw.source}: there is no id column '{name}'.{hint} The "
                                f"columns are: {shown}. Name the id column(s) with --id COL "
                                "or --id COL1,COL2 (id_column= in the API).")


def _replace(layout: Layout, **changes: Any) -> Layout:
    from dataclasses import replace

    return replace(layout, **changes)
