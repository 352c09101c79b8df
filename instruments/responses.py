"""Checking raw responses against an instrument: every problem is found and listed.

The input is first brought into long shape by :func:`instruments.layout.arrange`
(wide files, composite ids, chosen waves); the rules below then apply to it, and a
cell of a wide file is named by its own column (``BPN07_T2``).

The rules (all vectorized over columns):

- Structure. The id column (and the wave column, when named) must exist. Every item
  of the instrument must have a column; a missing item column is always an error.
  A duplicated header name among the id, wave and item columns is always an error.
  Other columns are kept aside (``Responses.extra``, e.g. a school column) and listed.
- Rows. A row whose id (or wave label) is empty cannot be scored. Two rows with the
  same id (and wave) are always an error. A wave column with one value is always an
  error: leave out the wave column for single-wave data.
- Cells. Empty cells and the tokens ``NA``, ``N/A``, ``NaN``, ``.`` are missing, as are
  the user's ``missing_codes`` (e.g. -99). Any other value must be a whole number
  within the item's response scale; otherwise it is a problem: ``not a number``,
  ``not a whole number``, or ``outside the response scale``.

With ``on_invalid="raise"`` (the default) any problem stops the run with a
:class:`~instruments.errors.ResponseError` that lists the first 20 problems and
their count. With ``on_invalid="missing"`` invalid cells become missing, rows that
cannot be scored are left out, and every problem is kept in
``Responses.problems`` (columns ``row, column, value, problem, action``). No row
is dropped silently: each input row is either in ``Responses.keys`` or named in
``Responses.problems`` (fully blank lines are counted in ``blank_rows``).

``row`` is the row number a user sees: the line of a CSV/TSV file and the row of
an Excel sheet (the header is row 1), the case number of an SPSS file, the index
label of a DataFrame.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from instruments.errors import OptionError, ResponseError
from instruments.instrument import Instrument
from instruments.layout import Layout, arrange, check_pattern, id_columns_of
from instruments.options import READ_OPTIONS, as_numbers, check_options
from instruments.reading import RawTable, read_table

OnInvalid = Literal["raise", "missing"]

#: Cell texts read as missing (after stripping white space).
MISSING_TOKENS = frozenset({"", "NA", "N/A", "NaN", "nan", "."})

#: How many problems an error message lists before it gives the count.
MAX_LISTED = 20

PROBLEM_COLUMNS = ["row", "column", "value", "problem", "action"]


@dataclass(frozen=True, slots=True)
class Responses:
    """Checked responses of one instrument, ready to score.

    Attributes
    ----------
    instrument : Instrument
    keys : DataFrame
        One row per scored input row: ``row`` (as the user numbers it), ``id``,
        ``wave`` (the wave label, or ``"all"`` without a wave column).
    values : ndarray, shape (n_rows, n_items), float64, Fortran order
        Answers as given (not reverse keyed), NaN where missing or invalid; the
        columns follow ``instrument.items``.
    waves : tuple of str
        Wave labels in order.
    problems : DataFrame
        Every problem found (``row, column, value, problem, action``); empty when
        there were none.
    extra : DataFrame
        The input's other columns for the scored rows (same order as ``keys``).
    n_rows : int
        Rows in the input (not counting fully blank lines).
    blank_rows : tuple of int
        Fully blank lines of the input, which are not response rows.
    source, details : str
        The input's name and how it was read.
    id_column, wave_column : str, str or None
        The names of the id and wave columns of the checked (long) table; with
        several id columns the id column is their names joined by ``+``.
    layout : Layout
        The input's shape (wide or long, the id columns, waves left out): see
        :mod:`instruments.layout`.
    items : tuple of str
        The instrument's item ids (the columns of ``values``).
    n_persons : int
        The number of distinct ids among the scored rows.
    rows_not_scored : int
        Input rows left out (no id or wave label, with ``on_invalid="missing"``).

    Examples
    --------
    >>> from instruments import read_responses
    >>> from psychometrics.example_study import example_data_path
    >>> r = read_responses(example_data_path(), "kvb", id_column="teacher",
    ...                    wave_column="wave")
    >>> r
    Responses(source='kvb_example.csv', rows=180/180 scored, persons=93, waves=['T0', 'T1'], problems=0)
    >>> r.values.shape, list(r.extra.columns)
    ((180, 58), ['school', 'district'])
    """

    instrument: Instrument
    keys: pd.DataFrame
    values: np.ndarray = field(repr=False)
    waves: tuple[str, ...]
    problems: pd.DataFrame = field(repr=False)
    extra: pd.DataFrame = field(repr=False)
    n_rows: int
    blank_rows: tuple[int, ...]
    source: str
    details: str
    id_column: str
    wave_column: str | None
    layout: Layout = field(default_factory=Layout, repr=False)

    @property
    def id_columns(self) -> tuple[str, ...]:
        """The user's id column(s)."""
        return self.layout.id_columns if self.layout.composite else (self.id_column,)

    @property
    def items(self) -> tuple[str, ...]:
        return self.instrument.items

    @property
    def n_persons(self) -> int:
        return int(self.keys["id"].nunique())

    @property
    def rows_not_scored(self) -> int:
        return self.n_rows - len(self.keys)

    def item_frame(self, scale: str | None = None) -> pd.DataFrame:
        """Answers as a DataFrame (id, wave, items), optionally of one scale only.

        The answers are as given (not reverse keyed; see
        :func:`instruments.keyed_items` for keyed ones).

        Parameters
        ----------
        scale : str, optional
            A scale id; by default every item of the instrument.

        Returns
        -------
        DataFrame
            Columns ``id``, ``wave`` and one per item; one row per scored input row.

        Raises
        ------
        KeyError
            The instrument has no such scale.

        Examples
        --------
        >>> import pandas as pd
        >>> from instruments import Instrument, read_responses
        >>> inst = Instrument.from_dict({"id": "demo", "version": "1",
        ...     "response_scale": {"min": 1, "max": 5},
        ...     "scales": {"agree": {"items": ["A1", "A2", "A3"], "reversed": ["A1"]}}})
        >>> data = pd.DataFrame({"id": ["p1", "p2"], "A1": [5, "NA"], "A2": [1, 4],
        ...                      "A3": [2, 4]})
        >>> read_responses(data, inst).item_frame("agree")
           id wave   A1   A2   A3
        0  p1  all  5.0  1.0  2.0
        1  p2  all  NaN  4.0  4.0
        """
        items = list(self.items) if scale is None else list(self.instrument.scale(scale).items)
        cols = [self.items.index(i) for i in items]
        frame = pd.DataFrame(self.values[:, cols], columns=items)
        return pd.concat([self.keys[["id", "wave"]].reset_index(drop=True), frame], axis=1)

    def __repr__(self) -> str:
        return (
            f"Responses(source={self.source!r}, rows={len(self.keys)}/{self.n_rows} "
            f"scored, persons={self.n_persons}, waves={list(self.waves)}, "
            f"problems={len(self.problems)})"
        )


def read_responses(
    source: str | Path | pd.DataFrame | RawTable,
    instrument: Instrument | str | Path,
    *,
    id_column: str | Sequence[str] = "id",
    wave_column: str | None = None,
    on_invalid: OnInvalid = "raise",
    missing_codes: Iterable[float] = (),
    wave_order: Sequence[str] | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    wide: str | None = None,
    waves: Sequence[str] | None = None,
) -> Responses:
    """Read and check raw responses: long (one row per person per wave) or wide.

    Parameters
    ----------
    source : path, DataFrame or RawTable
        A .csv/.tsv/.xlsx/.sav file, or a DataFrame with the same columns.
    instrument : Instrument, or a bundled name or instrument file
    id_column : str or list of str
        The column that identifies a person, or several (``["study", "id"]`` or
        ``"study,id"``) that do so together.
    wave_column : str, optional
        The column that labels the wave; without it all rows are one wave ``"all"``.
    wide : str, optional
        The data are wide (one row per person) with item columns named by this
        pattern, e.g. ``"{item}_{wave}"``; the waves come from the column names
        and every other column is kept as a person column.
    waves : labels, optional
        The waves to analyse, in this order; rows of other waves are counted in
        ``layout.waves_left_out`` and not checked or scored.
    on_invalid : {"raise", "missing"}
        What invalid cells and unscorable rows do: stop the run, or become missing
        (cells) / be left out (rows), each listed in ``problems``.
    missing_codes : numbers
        Values that mean "missing" in this file (e.g. ``-99``).
    wave_order : labels, optional
        The order of all the waves (a synonym of ``waves`` that must list every wave
        in the data). By default labels that all contain a number are
        ordered by it (``T0, T1, T2``; ``wave 10`` after ``wave 9``), others by
        first appearance in the file.
    sheet, encoding : str, optional
        The sheet of an Excel workbook and the encoding of a text file (see
        :func:`instruments.read_table`).

    Returns
    -------
    Responses
        The answers as numbers (NaN where missing or set to missing), the rows'
        ids and wave labels, the other columns, and every problem found.

    Raises
    ------
    ResponseError
        For structural problems always (a missing item column, a duplicated
        (id, wave) pair, a wave column with one value, a wave without answers), and
        for any problem when ``on_invalid="raise"``; ``error.problems`` holds all
        of them, by row, column and value.
    OptionError
        An option is not one of its allowed values, or the id (or wave) column is
        also an item; the message lists what is allowed.
    ItemBankError
        ``instrument`` is a name or file that cannot be loaded.

    Examples
    --------
    >>> import pandas as pd
    >>> from instruments import Instrument, read_responses
    >>> inst = Instrument.from_dict({"id": "demo", "version": "1",
    ...     "response_scale": {"min": 1, "max": 5},
    ...     "scales": {"agree": {"items": ["A1", "A2", "A3"], "reversed": ["A1"]}}})
    >>> data = pd.DataFrame({"id": ["p1", "p1", "p2", "p2"],
    ...                      "wave": ["T0", "T1", "T0", "T1"],
    ...                      "A1": [5, 4, 2, -99], "A2": [1, 2, 7, 4], "A3": [2, 3, 3, 4]})
    >>> r = read_responses(data, inst, wave_column="wave", on_invalid="missing",
    ...                    missing_codes=[-99])
    >>> r
    Responses(source='<DataFrame>', rows=4/4 scored, persons=2, waves=['T0', 'T1'], problems=1)
    >>> print(r.problems.to_string(index=False))
     row column value                         problem         action
       2     A2     7 outside the response scale 1..5 set to missing
    """

    id_columns = _check_read_options(id_column, wave_column, on_invalid, missing_codes,
                                     wave_order, sheet, encoding, wide, waves)
    # check_options has refused anything that is not numbers: as_numbers gives a tuple
    codes = np.asarray(cast("tuple[float, ...]", as_numbers(missing_codes)), dtype=float)
    inst = _instrument_for(instrument, id_columns, wave_column)
    raw = source if isinstance(source, RawTable) else read_table(source, sheet=sheet,
                                                                   encoding=encoding)
    raw, layout = arrange(raw, inst.items, id_columns=id_columns,
                          wave_column=wave_column, wide=wide, waves=waves)
    id_col, wave_col = layout.id_column, layout.wave_column
    order = list(waves) if waves is not None else wave_order
    _check_key_columns(raw, id_col, wave_col)
    fatal = _header_problems(raw, inst, id_col, wave_col)
    rows = np.asarray(raw.row_numbers)
    checked = _check_rows(raw, inst, id_col, wave_col, codes, layout)
    # One wave chosen (--waves T1) or one wave in a wide header is what the user asked for.
    one_wave_asked = waves is not None or layout.format == "wide"
    wave_labels = _key_and_wave_problems(fatal, raw.source, checked, rows, id_col, wave_col,
                                         order, one_wave_asked)
    problems = _settled_problems(raw.source, fatal, checked, on_invalid)
    return _responses_from(raw, inst, checked, rows, wave_labels, problems, layout)


def _check_read_options(id_column: str | Sequence[str], wave_column: str | None,
                        on_invalid: str, missing_codes: Iterable[float],
                        wave_order: Sequence[str] | None, sheet: str | None,
                        encoding: str | None, wide: str | None,
                        waves: Sequence[str] | None) -> tuple[str, ...]:
    """Every option of :func:`read_responses` checked, alone and together; the id
    columns as a tuple."""
    check_options("read_responses", {
        "id_column": id_column, "wave_column": wave_column, "on_invalid": on_invalid,
        "missing_codes": missing_codes,
        "wave_order": list(wave_order) if isinstance(wave_order, tuple) else wave_order,
        "sheet": sheet, "encoding": encoding, "wide": wide,
        "waves": list(waves) if isinstance(waves, tuple) else waves,
    }, READ_OPTIONS)
    id_columns = id_columns_of(id_column)
    if wide is not None:
        check_pattern(wide)
        if wave_column is not None:
            raise OptionError("With --wide (wide= in the API) the waves come from the column "
                              f"names; leave out --wave {wave_column}.")
    if waves is not None and wave_order is not None:
        raise OptionError("Give the waves either with --waves (choose and order) or with "
                          "--wave-order (order all of them), not both.")
    if wave_column is not None and wave_column.strip() in [c.strip() for c in id_columns]:
        raise OptionError(f"The id column and the wave column are both '{wave_column}'; a "
                          "person's id and the wave must be two different columns.")
    return id_columns


def _instrument_for(instrument: Instrument | str | Path, id_columns: Sequence[str],
                    wave_column: str | None) -> Instrument:
    """The instrument (loaded when named), refused when a key column is one of its items."""
    if not isinstance(instrument, Instrument):
        instrument = Instrument.load(instrument)
    both = [c for c in (*id_columns, wave_column) if c in instrument.items_by_id]
    if both:
        raise OptionError(f"'{both[0]}' is an item of the instrument and also the "
                          f"{'wave' if both[0] == wave_column else 'id'} column; name another "
                          "column with --id/--wave (id_column=/wave_column= in the API).")
    return instrument


def _key_and_wave_problems(fatal: list[pd.DataFrame], source: str, checked: _Checked,
                           rows: np.ndarray, id_column: str, wave_column: str | None,
                           order: Sequence[str] | None, one_wave_asked: bool) -> list[str]:
    """The waves in their order; duplicated keys and wave problems appended to ``fatal``."""
    ids, waves_raw, usable = checked.ids, checked.waves, checked.usable
    dup = _duplicate_key_problems(ids, waves_raw, usable, rows, id_column, wave_column)
    if len(dup):
        fatal.append(dup)
    wave_labels = _order_waves(waves_raw[usable], order, source, wave_column)
    fatal.extend(_wave_problems(wave_labels, wave_column, int(usable.sum()),
                                _wave_answers(checked), one_wave_asked))
    return wave_labels


def _settled_problems(source: str, fatal: list[pd.DataFrame], checked: _Checked,
                      on_invalid: str) -> pd.DataFrame:
    """All problems in one table with the action taken; raises when the run must stop."""
    problems = _concat(fatal + checked.row_problems + checked.cell_problems)
    if fatal:
        raise ResponseError(_message(source, problems, stopped=True, always=True), problems)
    if len(problems) and on_invalid == "raise":
        raise ResponseError(_message(source, problems, stopped=True, always=False), problems)
    return problems.assign(
        action=np.where(problems["action"] == "", "set to missing", problems["action"])
    )

def _responses_from(raw: RawTable, inst: Instrument, checked: _Checked, rows: np.ndarray,
                    wave_labels: list[str], problems: pd.DataFrame, layout: Layout) -> Responses:
    """The checked rows that can be scored, as :class:`Responses`."""
    id_col, wave_col = layout.id_column, layout.wave_column
    usable = checked.usable
    keys = pd.DataFrame({"row": rows[usable], "id": checked.ids[usable],
                         "wave": checked.waves[usable]})
    keys = keys.reset_index(drop=True)
    extra_cols = [c for c in raw.cells.columns
                  if c not in set(inst.items) | {id_col, wave_col}]
    extra = raw.cells.loc[usable, extra_cols].reset_index(drop=True)
    values = checked.values
    return Responses(
        instrument=inst,
        keys=keys,
        values=values if usable.all() else np.asfortranarray(values[usable]),
        waves=tuple(wave_labels),
        problems=problems,
        extra=extra,
        n_rows=len(raw.cells),
        blank_rows=raw.blank_rows,
        source=raw.source,
        details=raw.details,
        id_column=id_col,
        wave_column=wave_col,
        layout=layout,
    )


# -- the parts of a check (shared with the streaming scorer) ---------------------------

@dataclass(frozen=True, slots=True)
class _Checked:
    """Row-level results of checking some rows (all of a file, or one chunk)."""
    ids: np.ndarray
    waves: np.ndarray
    usable: np.ndarray
    values: np.ndarray
    row_problems: list[pd.DataFrame]
    cell_problems: list[pd.DataFrame]


def _header_problems(raw: RawTable, instrument: Instrument, id_column: str,
                     wave_column: str | None) -> list[pd.DataFrame]:
    """Missing item columns and duplicated key/item columns: always errors."""
    fatal: list[pd.DataFrame] = []
    cells = raw.cells
    missing_items = [i for i in instrument.items if i not in cells.columns]
    if missing_items:
        fatal.append(_missing_columns_problems(missing_items, cells.columns, raw.source))
    dup_keys = sorted(set(raw.duplicate_columns) & ({id_column, wave_column} | set(instrument.items)))
    if dup_keys:
        fatal.append(_frame(None, dup_keys, [""] * len(dup_keys),
                            ["column name appears more than once in the header"], "run stopped"))
    return fatal


def _check_rows(raw: RawTable, instrument: Instrument, id_column: str,
                wave_column: str | None, codes: np.ndarray,
                layout: Layout | None = None) -> _Checked:
    """Ids, wave labels and answers of every row, with the problems of rows and cells:
    what does not depend on the other rows. From a wide file (``layout``) each wave's
    cells are checked under the name of their own column (``BPN07_T2``)."""
    cells = raw.cells
    rows = np.asarray(raw.row_numbers)
    n = len(cells)
    ids = _labels(cells[id_column])
    row_problems = [_empty_label_problems(ids == "", rows, id_column, "empty id")]
    usable = ids != ""
    if wave_column is not None:
        waves_raw = _labels(cells[wave_column])
        row_problems.append(
            _empty_label_problems(usable & (waves_raw == ""), rows, wave_column, "empty wave label")
        )
        usable &= waves_raw != ""
    else:
        waves_raw = np.full(n, "all", dtype=object)
    present = [i for i in instrument.items if i in cells.columns and i not in raw.duplicate_columns]
    values = np.full((n, len(instrument.items)), np.nan, order="F")
    cell_problems = []
    for j, item_id in enumerate(instrument.items):
        if item_id not in present:
            continue
        item = instrument.items_by_id[item_id]
        if layout is not None and layout.format == "wide":
            for w in dict.fromkeys(waves_raw.tolist()):
                at = np.flatnonzero(waves_raw == w)
                x, probs = _check_item(cells[item_id].iloc[at].reset_index(drop=True), rows[at],
                                       layout.item_columns[(item_id, w)], item.min, item.max,
                                       raw.decimal_comma, codes)
                values[at, j] = x
                if probs is not None:
                    cell_problems.append(probs)
            continue
        x, probs = _check_item(cells[item_id], rows, item_id, item.min, item.max,
                               raw.decimal_comma, codes)
        values[:, j] = x
        if probs is not None:
            cell_problems.append(probs)
    return _Checked(ids, waves_raw, usable, values, row_problems, cell_problems)


def _wave_answers(checked: _Checked) -> pd.DataFrame:
    """Per wave label (in order of appearance): whether any usable row answered any
    item (``any``) and the number of usable rows (``size``)."""
    usable = checked.usable
    return pd.Series(~np.isnan(checked.values[usable]).all(axis=1)).groupby(
        checked.waves[usable], sort=False).agg(["any", "size"])


def _wave_problems(wave_labels: list[str], wave_column: str | None, n_usable: int,
                   answered: pd.DataFrame, one_wave_asked: bool = False) -> list[pd.DataFrame]:
    """A wave column with one value (unless one wave is what was asked for), and waves
    in which nobody answered anything."""
    fatal = []
    if wave_column is not None and len(wave_labels) == 1 and not one_wave_asked:
        fatal.append(_frame(
            None, [wave_column], [wave_labels[0]],
            [f"the wave column has one value in all {n_usable} rows; leave out "
             "the wave column for single-wave data"], "run stopped"))
    if wave_column is not None and len(wave_labels) > 1 and n_usable:
        empty_waves = answered.index[~answered["any"].to_numpy(bool)]
        if len(empty_waves):
            fatal.append(_frame(
                None, [wave_column] * len(empty_waves), list(empty_waves),
                [f"no answer to any item in the wave's {int(answered.loc[w, 'size'])} rows: "
                 "remove the wave's rows or check the wave column" for w in empty_waves],
                "run stopped"))
    return fatal


# -- helpers ------------------------------------------------------------------------

def _check_key_columns(raw: RawTable, id_column: str, wave_column: str | None) -> None:
    cols = list(raw.cells.columns)
    for role, name, flag in (("id", id_column, "--id"), ("wave", wave_column, "--wave")):
        if name is not None and name not in cols:
            near = difflib.get_close_matches(name, cols, n=1)
            hint = f" Did you mean '{near[0]}'?" if near else ""
            shown = ", ".join(cols[:12]) + (", ..." if len(cols) > 12 else "")
            raise ResponseError(
                f"{raw.source}: there is no {role} column '{name}'.{hint} The columns "
                f"are: {shown}. Name the {role} column with {flag} COLUMN "
                f"({role}_column= in the API)."
            )


def _labels(col: pd.Series) -> np.ndarray:
    """Ids and wave labels as stripped text ("" when empty); whole floats lose '.0'.

    Integer columns are turned into text exactly (an id above 2**53 is not rounded
    through a float, so two persons never merge).
    """
    if (pd.api.types.is_integer_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype)):
        return cast("np.ndarray", col.astype("string").fillna("").to_numpy(dtype=object))
    if pd.api.types.is_complex_dtype(col.dtype):
        return np.array([_show(v).strip() for v in col.to_numpy(dtype=object)], dtype=object)
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        x = col.to_numpy(dtype=float, na_value=np.nan)
        empty = np.isnan(x)
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(x) & (np.floor(x) == x)
        text: np.ndarray = x.astype(str).astype(object)
        small = whole & (np.abs(x) < 2.0**53)
        text[small] = x[small].astype(np.int64).astype(str)
        big = whole & ~small  # the float's exact whole value (it was stored as a float)
        text[big] = [str(int(v)) for v in x[big]]
        text[empty] = ""
        return text
    if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:  # text from a CSV
        return cast("np.ndarray", col.str.strip().fillna("").to_numpy(dtype=object))
    filled = col.astype(object).where(col.notna(), "")
    # Mixed cells (Excel, SPSS): one value at a time, so 1.0 reads as "1".
    return np.array([_show(v).strip() for v in filled.to_numpy(dtype=object)], dtype=object)


def _order_waves(labels: np.ndarray, order: Sequence[str] | None, source: str,
                 wave_column: str | None) -> list[str]:
    seen = list(dict.fromkeys(labels.tolist()))
    if order is not None:
        order = [str(w) for w in order]
        unknown = [w for w in seen if w not in order]
        if unknown:
            raise ResponseError(
                f"{source}: column {wave_column}: wave labels {unknown} are not in the "
                f"wave order given ({', '.join(order)})."
            )
        return [w for w in order if w in seen]
    _same_number(seen, source, wave_column)
    if seen and all(re.search(r"\d", w) for w in seen):
        return sorted(seen, key=_natural_key)
    return seen


def _same_number(labels: list[str], source: str, wave_column: str | None) -> None:
    """Refuse wave labels that are the same number written differently (1 and 1.0)."""
    by_value: dict[float, str] = {}
    for w in labels:
        try:
            v = float(w)
        except ValueError:
            continue
        if v in by_value:
            raise ResponseError(
                f"{source}: column {wave_column}: the wave labels '{by_value[v]}' and '{w}' are "
                "the same number written differently; write each wave's label one way.")
        by_value[v] = w


def _natural_key(label: str) -> tuple[int | str, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", label))


def _check_item(col: pd.Series, rows: np.ndarray, item_id: str, lo: int, hi: int,
                decimal_comma: bool, codes: np.ndarray) -> tuple[np.ndarray, pd.DataFrame | None]:
    """One item column → float answers (NaN = missing/invalid) and its problems."""
    ambiguous = np.zeros(len(col), dtype=bool)
    if pd.api.types.is_complex_dtype(col.dtype):  # a complex answer is not a rating
        z = col.to_numpy()
        x = np.where(z.imag == 0, z.real, np.nan).astype(float)
        not_number = ~np.isnan(z) & (z.imag != 0)
    elif pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        x = col.to_numpy(dtype=float, na_value=np.nan).copy()
        not_number = np.zeros(len(x), dtype=bool)
    elif (parsed := _numbers_at_once(col, decimal_comma)) is not None:
        x = parsed  # a text column whose every cell is a number or a missing token
        not_number = np.zeros(len(x), dtype=bool)
    else:
        isna = col.isna().to_numpy()
        try:
            txt = col.astype(str).str.strip()
        except (UnicodeDecodeError, TypeError, ValueError):  # bytes and odd objects (API)
            txt = pd.Series([_show(v) for v in col.to_numpy(dtype=object)],
                            index=col.index, dtype=object).str.strip()
        blank = isna | txt.isin(MISSING_TOKENS).to_numpy()
        if decimal_comma:
            # In a file with decimal commas a '.' is a thousands separator (1.000 is a
            # thousand, not 1): never read it as a decimal point.
            ambiguous = (~blank & txt.str.contains(".", regex=False).fillna(False)).to_numpy(bool)
            txt = txt.str.replace(",", ".", regex=False)
        with np.errstate(all="ignore"):
            x = np.array(pd.to_numeric(txt.where(~blank & ~ambiguous), errors="coerce"),
                         dtype=float)
        x[~np.isfinite(x)] = np.nan
        not_number = ~blank & np.isnan(x)
    if codes.size:
        x[np.isin(x, codes)] = np.nan
    finite = ~np.isnan(x)
    whole = np.floor(x) == x
    not_whole = finite & ~whole
    outside = finite & whole & ((x < lo) | (x > hi))
    bad = not_number | not_whole | outside
    if not bad.any():
        return x, None
    idx = np.flatnonzero(bad)
    reason = np.where(
        ambiguous[idx], "not a number: a '.' in a file with decimal commas is a thousands "
        "separator (1.000 is a thousand)",
        np.where(not_number[idx], "not a number",
        np.where(not_whole[idx], f"not a whole number (the response scale is {lo}..{hi})",
                 f"outside the response scale {lo}..{hi}")))
    x[bad] = np.nan
    raw_values = [_show(v) for v in col.to_numpy(dtype=object)[idx]]
    return x, _frame(rows[idx], [item_id] * len(idx), raw_values, reason, "")


def _numbers_at_once(col: pd.Series, decimal_comma: bool) -> np.ndarray | None:
    """A text column held by Arrow (as read from a CSV/TSV file) parsed as numbers in
    one pass: stripped, the missing tokens set aside, the rest cast to float. None
    when any cell is not a finite number (or, with decimal commas, holds a '.'): the
    column then takes the cell-by-cell road, which names every such cell.

    Accepts exactly the cells that road accepts, with the same values: Arrow's cast
    is stricter than ``pd.to_numeric`` (no NaN or infinity spellings get through
    here), so a cell it refuses is judged cell by cell.
    """
    dtype = col.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return None
    import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    text = pc.utf8_trim_whitespace(pa.chunked_array(col.array.__arrow_array__()))
    blank = pc.or_kleene(pc.is_null(text), pc.is_in(text, value_set=_TOKENS_ARROW()))
    if decimal_comma:
        if pc.any(pc.match_substring(text, ".")).as_py():
            return None
        text = pc.replace_substring(text, ",", ".")
    try:
        numbers = pc.cast(pc.if_else(blank, pa.scalar(None, pa.string()), text), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    x = numbers.to_numpy(zero_copy_only=False).astype(float, copy=False)
    if not np.array_equal(~np.isfinite(x), blank.to_numpy(zero_copy_only=False)):
        return None  # a "nan" or "inf" spelt otherwise than a missing token
    if not x.flags.writeable:
        x = x.copy()
    return cast("np.ndarray", x)


def _TOKENS_ARROW() -> Any:
    """The missing tokens as an Arrow string array (a ``pyarrow.Array``)."""
    import pyarrow as pa

    return pa.array(sorted(MISSING_TOKENS), type=pa.string())


def _show(v: object) -> str:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    try:
        return str(v)
    except Exception:  # noqa: BLE001 - an object whose str() fails (API input)
        return repr(v)


def _empty_label_problems(mask: np.ndarray, rows: np.ndarray, column: str,
                          what: str) -> pd.DataFrame:
    idx = np.flatnonzero(mask)
    return _frame(rows[idx], [column] * len(idx), [""] * len(idx),
                  [f"{what}: the row cannot be scored"] * len(idx), "row not scored")


def _duplicate_key_problems(ids: np.ndarray, waves: np.ndarray, usable: np.ndarray,
                            rows: np.ndarray, id_column: str,
                            wave_column: str | None) -> pd.DataFrame:
    key = pd.DataFrame({"id": ids, "wave": waves})[usable]
    dup = key.duplicated(keep=False).to_numpy()
    if not dup.any():
        return _concat([])
    sub = key[dup]
    first = sub.groupby(["id", "wave"], sort=False).cumcount() == 0
    first_row = pd.Series(rows[usable][dup], index=sub.index).where(first).groupby(
        [sub["id"], sub["wave"]]).transform("first")
    what = "id and wave" if wave_column else "id"
    messages = [
        f"duplicate {what}: the same {what} as row {int(f)}" if not is_first
        else f"duplicate {what}: appears again later"
        for f, is_first in zip(first_row.to_numpy(), first.to_numpy())
    ]
    label = id_column if wave_column is None else f"{id_column}+{wave_column}"
    values = [f"{i}" if wave_column is None else f"{i} / {w}"
              for i, w in zip(sub["id"], sub["wave"])]
    return _frame(rows[usable][dup], [label] * len(sub), values, messages, "run stopped")


def _missing_columns_problems(missing: list[str], columns: Iterable[object],
                              source: str) -> pd.DataFrame:
    cols = [str(c) for c in columns]
    lower = {c.lower().replace(" ", ""): c for c in cols}
    msgs = []
    for item in missing:
        near = lower.get(item.lower()) or next(iter(difflib.get_close_matches(item, cols, n=1)), None)
        msgs.append("item column missing from the data"
                    + (f" (is '{near}' meant?)" if near else ""))
    return _frame(None, missing, [""] * len(missing), msgs, "run stopped")


def _frame(rows: Iterable[object] | None, columns: Sequence[object],
           values: Iterable[object], problems: Iterable[object], action: str) -> pd.DataFrame:
    n = len(columns)
    if n == 0:  # most checks find nothing: a copy of one empty frame (0.05 ms, not 0.9)
        return _no_problems().copy()
    return _problem_frame(rows, columns, values, problems, action)


@functools.cache
def _no_problems() -> pd.DataFrame:
    return _problem_frame(None, [], [], [], "")


def _problem_frame(rows: Iterable[object] | None, columns: Sequence[object],
                   values: Iterable[object], problems: Iterable[object],
                   action: str) -> pd.DataFrame:
    n = len(columns)
    return pd.DataFrame({
        "row": pd.array([None] * n if rows is None else list(rows), dtype="Int64"),
        "column": pd.array(list(columns), dtype=object),
        "value": pd.array(list(values), dtype=object),
        "problem": pd.array(list(problems), dtype=object),
        "action": [action] * n,
    })


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return _frame(None, [], [], [], "")
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values("row", kind="stable", na_position="first").reset_index(drop=True)


def _message(source: str, problems: pd.DataFrame, stopped: bool, always: bool) -> str:
    n = len(problems)
    lines = [f"{source}: {n} problem{'s' if n != 1 else ''} in the responses; nothing was scored."]
    for r in problems.head(MAX_LISTED).itertuples(index=False):
        where = f"row {r.row}, column {r.column}" if not pd.isna(r.row) else f"column {r.column}"
        value = f", value '{r.value}'" if r.value != "" else ""
        lines.append(f"  {where}{value}: {r.problem}")
    if n > MAX_LISTED:
        lines.append(f"  ... and {n - MAX_LISTED} more.")
    if always:
        lines.append("Missing item columns, duplicate ids and a one-valued wave column must be "
                     "fixed in the data (or in the instrument, or with --id/--wave).")
    else:
        lines.append("Fix the data, or run with --on-invalid missing (API: on_invalid='missing') "
                     "to set these cells to missing and go on; the problems are then listed "
                     "beside the output.")
    return "\n".join(lines)
