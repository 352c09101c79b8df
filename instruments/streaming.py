"""Scoring a text file in chunks, with memory that does not grow with its rows.

:class:`ChunkedScores` reads a plain CSV/TSV file (UTF-8, no quotes, every line as
wide as the header: what :mod:`instruments._fast_text` reads) a block of lines at a
time, checks and scores each block with the same functions as
:func:`instruments.read_responses` and :func:`instruments.score`, and yields the score
table of each block. The scores of a row depend on that row only, so the tables,
written one after the other, are the in-memory table bit for bit.

What needs all rows is kept small and judged after the last block, as the in-memory
check judges it: a 64-bit hash per scored row finds duplicate (id, wave) pairs (a
second pass over the file then names them exactly, with the same messages); the wave
labels seen, in order, with whether each had any answer; every problem (kept in
full: none is hidden). With ``on_invalid="raise"`` a problem stops the scoring (no
more tables) but the file is still read to its end so that every problem is listed;
the error is raised after the last block, so a writer that writes the tables to a
temporary file discards them.

A file the fast reader does not take (quoted fields, another encoding, a short line,
...) raises :class:`NotStreamable` before or while reading: the caller then reads it
in memory, where the careful reader names what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from instruments.errors import ResponseError
from instruments.instrument import Instrument
from instruments.options import READ_OPTIONS, as_numbers, check_options
from instruments.reading import RawTable, _plain_start
from instruments.responses import (
    Responses,
    _check_key_columns,
    _check_rows,
    _Checked,
    _concat,
    _duplicate_key_problems,
    _header_problems,
    _labels,
    _message,
    _order_waves,
    _wave_answers,
    _wave_problems,
)
from instruments.scoring import UNSCORED_COLUMNS, _score

#: Bytes of text read per block (about 130,000 rows of 60 items).
CHUNK_BYTES = 16 * 1024 * 1024


class NotStreamable(Exception):
    """The file needs the careful, in-memory reader (not an error of the data)."""


class ChunkedScores:
    """Scores of a text file, one table per block of lines (see the module notes).

    Parameters
    ----------
    path : path of a .csv/.tsv file
    instrument : Instrument, bundled name or instrument file
    chunk_bytes : int, optional
        Bytes of text per block (default :data:`CHUNK_BYTES`).
    progress : callable, optional
        Called as ``progress(bytes_done, bytes_total)`` after each block.
    id_column, wave_column, on_invalid, missing_codes, wave_order, encoding
        As for :func:`instruments.read_responses`.

    Attributes (after iterating to the end)
    ---------------------------------------
    problems, unscored : DataFrame
        As ``Scores.problems`` and ``Scores.unscored`` of the in-memory path.
    n_rows, rows_scored : int
    waves : tuple of str
    """

    def __init__(self, path: str | Path, instrument: Instrument | str | Path, *,
                 id_column: str = "id", wave_column: str | None = None,
                 on_invalid: str = "raise", missing_codes: Iterable[float] = (),
                 wave_order: Sequence[str] | None = None, encoding: str | None = None,
                 chunk_bytes: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> None:
        check_options("read_responses", {
            "id_column": id_column, "wave_column": wave_column, "on_invalid": on_invalid,
            "missing_codes": missing_codes,
            "wave_order": list(wave_order) if isinstance(wave_order, tuple) else wave_order,
            "sheet": None, "encoding": encoding,
        }, READ_OPTIONS)
        self.path = Path(path)
        if self.path.suffix.lower() not in (".csv", ".tsv", ".txt") or not self.path.is_file():
            raise NotStreamable(str(path))
        if wave_column is not None and wave_column.strip() == id_column.strip():
            raise NotStreamable("id and wave column")  # the in-memory check says why
        self.instrument = (instrument if isinstance(instrument, Instrument)
                           else Instrument.load(instrument))
        if {id_column, wave_column} & set(self.instrument.items_by_id):
            raise NotStreamable("a key column is an item")
        self.id_column, self.wave_column = id_column, wave_column
        self.on_invalid, self.wave_order, self.encoding = on_invalid, wave_order, encoding
        # check_options has refused anything that is not numbers: as_numbers gives a tuple
        self.codes = np.asarray(cast("tuple[float, ...]", as_numbers(missing_codes)),
                                dtype=float)
        self.chunk_bytes = max(int(chunk_bytes or CHUNK_BYTES), 1024)
        self.progress = progress
        with open(self.path, "rb") as f:
            head = f.read(1 << 20)
            while b"\n" not in head.lstrip(b" \t\r\n,;") and len(head) < (64 << 20):
                more = f.read(1 << 20)
                if not more:
                    break
                head += more
        start = _plain_start(head, self.path, encoding)
        if start is None:
            raise NotStreamable("not a plain UTF-8 text file")
        self.start = start
        # Set when the file has been read through (None until then).
        self.problems: pd.DataFrame | None = None
        self.unscored: pd.DataFrame | None = None
        self.n_rows = self.rows_scored = 0
        self.waves: tuple[str, ...] = ()

    # -- reading ----------------------------------------------------------------------

    def _tables(self) -> Iterator[RawTable]:
        """The file's rows, a block of lines at a time, as RawTables."""
        from instruments import _fast_text

        start = self.start
        total = self.path.stat().st_size
        with open(self.path, "rb") as f:
            f.seek(start.body)
            done, line, carry = start.body, start.first_line, b""
            while True:
                data = f.read(self.chunk_bytes)
                buf = carry + data
                if not data:
                    block, carry = buf, b""
                else:
                    cut = buf.rfind(b"\n")
                    block, carry = (buf[:cut + 1], buf[cut + 1:]) if cut >= 0 else (b"", buf)
                if block:
                    if not _fast_text.plain(block):
                        raise NotStreamable("quotes or lone carriage returns")
                    parsed = _fast_text.read_body(block, line, start.delimiter,
                                                  len(start.names))
                    if parsed is None:
                        raise NotStreamable("a line pyarrow does not read")
                    line += block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
                    done += len(block)
                    yield start.table(*parsed)
                    if self.progress is not None:
                        self.progress(done, total)
                if not data:
                    return

    # -- scoring ----------------------------------------------------------------------

    def __iter__(self) -> Iterator[pd.DataFrame]:
        inst, idc, wc = self.instrument, self.id_column, self.wave_column
        fatal: list[pd.DataFrame] | None = None
        found: list[pd.DataFrame] = []
        unscored: list[pd.DataFrame] = []
        hashes: list[np.ndarray] = []
        answered: dict[str, list[Any]] = {}  # wave -> [any answer, usable rows], in order seen
        n_usable = n_rows = rows_scored = 0
        source = details = ""
        for raw in self._tables():
            if fatal is None:
                _check_key_columns(raw, idc, wc)
                fatal = _header_problems(raw, inst, idc, wc)
                source, details = raw.source, raw.details
            n_rows += len(raw.cells)
            if not len(raw.cells):
                continue
            checked = _check_rows(raw, inst, idc, wc, self.codes)
            found.extend(p for p in checked.row_problems + checked.cell_problems if len(p))
            usable = checked.usable
            n_usable += int(usable.sum())
            hashes.append(_key_hash(checked.ids[usable], checked.waves[usable]))
            for wave, row in _wave_answers(checked).iterrows():
                seen = answered.setdefault(wave, [False, 0])
                seen[0], seen[1] = seen[0] or bool(row["any"]), seen[1] + int(row["size"])
            if fatal or (found and self.on_invalid == "raise"):
                continue  # the run will stop: read on only to find every problem
            scores = _score(_chunk_responses(raw, inst, checked, idc, wc))
            rows_scored += len(scores.table)
            if len(scores.unscored):
                unscored.append(scores.unscored)
            yield scores.table
        if fatal is None or n_rows == 0:
            raise NotStreamable("no data rows")  # the in-memory reader says so
        labels = _order_waves(np.asarray(list(answered), dtype=object), self.wave_order,
                              source, wc)
        dup = self._duplicates(np.concatenate(hashes))
        if len(dup):
            fatal.append(dup)
        wave_answers = pd.DataFrame({"any": [a for a, _ in answered.values()],
                                     "size": [s for _, s in answered.values()]},
                                    index=list(answered))
        fatal.extend(_wave_problems(labels, wc, n_usable, wave_answers))
        problems = _concat(fatal + found)
        if fatal:
            raise ResponseError(_message(source, problems, stopped=True, always=True), problems)
        if len(problems) and self.on_invalid == "raise":
            raise ResponseError(_message(source, problems, stopped=True, always=False), problems)
        self.problems = problems.assign(
            action=np.where(problems["action"] == "", "set to missing", problems["action"]))
        self.unscored = (pd.concat(unscored, ignore_index=True) if unscored
                         else pd.DataFrame(columns=UNSCORED_COLUMNS))
        self.n_rows, self.rows_scored, self.waves = n_rows, rows_scored, tuple(labels)
        self.source, self.details = source, details

    def _duplicates(self, hashes: np.ndarray) -> pd.DataFrame:
        """Duplicate (id, wave) pairs, named as the in-memory check names them: rows
        whose key hash occurs twice are read again and compared by their text."""
        order = np.sort(hashes)
        twice = np.unique(order[1:][order[1:] == order[:-1]])
        if not twice.size:
            return _concat([])
        ids, waves, rows = [], [], []
        for raw in self._tables():
            if not len(raw.cells):
                continue
            key_ids = _labels(raw.cells[self.id_column])
            key_waves = (_labels(raw.cells[self.wave_column]) if self.wave_column is not None
                         else np.full(len(key_ids), "all", dtype=object))
            usable = (key_ids != "") & (key_waves != "")
            pick = np.flatnonzero(usable)[np.isin(_key_hash(key_ids[usable], key_waves[usable]),
                                                  twice)]
            ids.append(key_ids[pick])
            waves.append(key_waves[pick])
            rows.append(np.asarray(raw.row_numbers)[pick])
        ids_, waves_ = np.concatenate(ids), np.concatenate(waves)
        return _duplicate_key_problems(ids_, waves_, np.ones(len(ids_), dtype=bool),
                                       np.concatenate(rows), self.id_column, self.wave_column)


def _chunk_responses(raw: RawTable, inst: Instrument, checked: _Checked, id_column: str,
                     wave_column: str | None) -> Responses:
    """The usable rows of one chunk as Responses to score (waves and problems are the
    file's, judged when it has been read through)."""
    usable = checked.usable
    rows = np.asarray(raw.row_numbers)
    return Responses(
        instrument=inst,
        keys=pd.DataFrame({"row": rows[usable], "id": checked.ids[usable],
                           "wave": checked.waves[usable]}),
        values=(checked.values if usable.all()
                else np.asfortranarray(checked.values[usable])),
        waves=(), problems=_concat([]), extra=pd.DataFrame(), n_rows=len(raw.cells),
        blank_rows=raw.blank_rows, source=raw.source, details=raw.details,
        id_column=id_column, wave_column=wave_column)


def _key_hash(ids: np.ndarray, waves: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each (id, wave) pair."""
    if not len(ids):
        return np.zeros(0, dtype=np.uint64)
    hashed = pd.util.hash_pandas_object(pd.DataFrame({"id": ids, "wave": waves}), index=False)
    return cast("np.ndarray", hashed.to_numpy())


__all__ = ["CHUNK_BYTES", "ChunkedScores", "NotStreamable"]
