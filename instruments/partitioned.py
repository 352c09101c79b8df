"""Scoring a Dask DataFrame: each partition checked and scored where it lives.

``score(ddf, instrument)`` maps every partition through the row-level check and the
scoring rule of the in-memory path (``map_partitions`` with the score table's
columns and dtypes as ``meta``), so the scores of a partitioned data set equal the
in-memory ones row for row; rows are numbered by their index labels, as for a
pandas DataFrame. Dask is not a dependency of the scorer: it is imported only when
a Dask DataFrame is given.

What needs all rows is checked across partitions before the lazy result is
returned: duplicate (id, wave) pairs (one pass over the key columns). A bad cell
stops the computation of its partition with a :class:`~instruments.ResponseError`
naming its row, column and value (``on_invalid="raise"``), or becomes missing
(``on_invalid="missing"``; the problems are not collected across partitions: run
:func:`instruments.read_responses` on a partition to list them). The checks of the
wave column as a whole (a single wave label, a wave nobody answered) are not made.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from instruments.errors import ResponseError
from instruments.instrument import Instrument
from instruments.options import READ_OPTIONS, as_numbers, check_options
from instruments.reading import _from_frame
from instruments.responses import (
    Responses,
    _check_key_columns,
    _check_rows,
    _concat,
    _header_problems,
    _message,
)


def score_partitioned(data: Any, instrument: Instrument | str | Path, *,
                      id_column: str = "id", wave_column: str | None = None,
                      on_invalid: str = "raise", missing_codes: Iterable[float] = ()) -> Any:
    """The score table of a Dask DataFrame, as a lazy Dask DataFrame (see the module)."""
    check_options("score", {"id_column": id_column, "wave_column": wave_column,
                            "on_invalid": on_invalid, "missing_codes": missing_codes},
                  READ_OPTIONS)
    inst = instrument if isinstance(instrument, Instrument) else Instrument.load(instrument)
    # check_options has refused anything that is not numbers, so as_numbers gives a tuple
    codes = np.asarray(cast("tuple[float, ...]", as_numbers(missing_codes)), dtype=float)
    _check_unique_keys(data, id_column, wave_column)
    meta = _score_partition(_example(inst, id_column, wave_column), inst, id_column=id_column,
                            wave_column=wave_column, on_invalid=on_invalid, codes=codes).iloc[:0]
    return data.map_partitions(_score_partition, inst, meta=meta, id_column=id_column,
                               wave_column=wave_column, on_invalid=on_invalid, codes=codes)


def _score_partition(frame: pd.DataFrame, inst: Instrument, *, id_column: str,
                     wave_column: str | None, on_invalid: str, codes: np.ndarray) -> pd.DataFrame:
    from instruments.scoring import _score

    if not len(frame):
        return _score_partition(_example(inst, id_column, wave_column), inst,
                                id_column=id_column, wave_column=wave_column,
                                on_invalid=on_invalid, codes=codes).iloc[:0]
    raw = _from_frame(frame)
    _check_key_columns(raw, id_column, wave_column)
    fatal = _header_problems(raw, inst, id_column, wave_column)
    checked = _check_rows(raw, inst, id_column, wave_column, codes)
    problems = _concat(fatal + checked.row_problems + checked.cell_problems)
    if fatal:
        raise ResponseError(_message(raw.source, problems, stopped=True, always=True), problems)
    if len(problems) and on_invalid == "raise":
        raise ResponseError(_message(raw.source, problems, stopped=True, always=False), problems)
    usable = checked.usable
    rows = np.asarray(raw.row_numbers)
    responses = Responses(
        instrument=inst,
        keys=pd.DataFrame({"row": rows[usable], "id": checked.ids[usable],
                           "wave": checked.waves[usable]}),
        values=checked.values if usable.all() else np.asfortranarray(checked.values[usable]),
        waves=(), problems=problems, extra=pd.DataFrame(), n_rows=len(frame), blank_rows=(),
        source=raw.source, details=raw.details, id_column=id_column, wave_column=wave_column)
    return _score(responses).table


def _example(inst: Instrument, id_column: str, wave_column: str | None) -> pd.DataFrame:
    """One valid row: what the score table's columns and dtypes are made from."""
    row: dict[str, list[Any]] = {id_column: ["x"]}
    if wave_column is not None:
        row[wave_column] = ["w"]
    row.update({i: [float(inst.items_by_id[i].min)] for i in inst.items})
    return pd.DataFrame(row)


def _check_unique_keys(data: Any, id_column: str, wave_column: str | None) -> None:
    """Duplicate (id, wave) pairs across all partitions: always an error."""
    keys = [id_column] + ([wave_column] if wave_column is not None else [])
    missing = [k for k in keys if k not in data.columns]
    if missing:
        return  # the partition check names the missing column
    counts = data[keys].map_partitions(_key_text, meta=pd.Series(dtype=object)).value_counts(
        ).compute()
    dup = counts[counts > 1]
    if len(dup):
        shown = ", ".join(str(k).replace(_SEP, " / ") for k in dup.index[:10])
        what = "id and wave" if wave_column else "id"
        raise ResponseError(
            f"<Dask DataFrame>: {len(dup)} duplicate {what} value(s) across the partitions "
            f"({shown}{', ...' if len(dup) > 10 else ''}); nothing was scored. Each person "
            f"may appear once{' per wave' if wave_column else ''}.")


_SEP = "\x1f"  # joins id and wave into one key (a control character no label holds)


def _key_text(frame: pd.DataFrame) -> pd.Series:
    """Each row's (id, wave) as one text, stripped as the check strips labels."""
    from instruments.responses import _labels

    parts = [_labels(frame[c]) for c in frame.columns]
    keep = np.all([p != "" for p in parts], axis=0)  # empty labels: the row check names them
    text = parts[0].astype(object)
    for p in parts[1:]:
        text = text + _SEP + p
    return pd.Series(text[keep], index=frame.index[keep], dtype=object)
