"""Reading raw response files into a table of cells, exactly as the user wrote them.

Formats: CSV and TSV (delimiter sniffed from the header line; ``;`` means Dutch
Excel, whose decimal separator is a comma), Excel ``.xlsx`` (every sheet can be
read: ``sheet=`` / ``--sheet`` chooses; a workbook with several sheets and no
choice is an error that lists them) and SPSS ``.sav``.

Encodings of text files: the one given (``encoding=`` / ``--encoding``, e.g.
``utf-16``, ``cp1252``); otherwise a byte-order mark decides (UTF-8, UTF-16,
UTF-32), else UTF-8, else Windows-1252 (what Excel on Windows writes), and the
encoding used is named in ``details``. A file with NUL bytes and no byte-order mark
(UTF-16 without BOM) or bytes that fit none of these is refused with the line and
the byte.

Nothing is converted or dropped here: the header row is read as data so that
duplicate column names are seen, and every cell keeps its raw value so a problem
can be reported with the value the user typed. A line with fewer or more fields
than the header, an Excel formula without a stored value, and a file with a header
but no data rows are errors. Row numbers are the lines of the file as an editor
shows them (a quoted field may span lines), blank lines before the header are
skipped. Checking happens in :mod:`instruments.responses`.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from instruments.errors import ResponseError

_DELIMITERS = ("\t", ";", ",")
_DELIMITER_NAMES = {"\t": "tab", ";": "semicolon", ",": "comma"}


@dataclass(frozen=True, slots=True)
class RawTable:
    """Cells of a response file as read, plus what is needed to report on them.

    Attributes
    ----------
    cells : DataFrame
        One column per header name (stripped), object dtype, raw values; empty
        cells are ``""`` (text files) or ``None``/NaN (Excel, SPSS).
    row_numbers : numpy array
        For each row of ``cells``, the row number a user sees: the line of a
        CSV/TSV file or the row of the Excel sheet (the header is row 1), the
        case number of an SPSS file, the index label of a DataFrame.
    source : str
        The file name (or ``"<DataFrame>"``), used in every message.
    decimal_comma : bool
        Whether numbers may use a decimal comma (semicolon-delimited text).
    duplicate_columns : tuple of str
        Header names that occur more than once.
    blank_rows : tuple of int
        Row numbers of rows with no value in any cell; they are not response
        rows, so they are not scored, but they are counted and listed.
    details : str
        How the file was read (format, delimiter, encoding), for the report.

    Examples
    --------
    >>> import pandas as pd
    >>> from instruments import read_table
    >>> raw = read_table(pd.DataFrame({"id": ["a", "b"], "A1": [1, " 2 "]}))
    >>> raw.cells["A1"].tolist(), raw.source, raw.details
    ([1, ' 2 '], '<DataFrame>', 'pandas DataFrame (row = index label)')
    """

    cells: pd.DataFrame
    row_numbers: object
    source: str
    decimal_comma: bool = False
    duplicate_columns: tuple[str, ...] = ()
    blank_rows: tuple[int, ...] = ()
    details: str = ""


def read_table(source: str | Path | pd.DataFrame, *, sheet: str | None = None,
               encoding: str | None = None) -> RawTable:
    """Read a response file (or take a DataFrame) without interpreting any cell.

    Parameters
    ----------
    source : str, Path or DataFrame
        A ``.csv``/``.tsv``/``.txt``, ``.xlsx``/``.xlsm`` or ``.sav`` file, or a
        DataFrame (taken as it is; row numbers are its index labels).
    sheet : str, optional
        The sheet of an Excel workbook (needed when it has more than one).
    encoding : str, optional
        The encoding of a text file (default: detected, see the module notes).

    Returns
    -------
    RawTable
        Every cell as written, with the row numbers a user sees and how the file
        was read.

    Raises
    ------
    ResponseError
        The file does not exist, has an unsupported extension, or cannot be
        parsed; the message names the file (and the line, sheet or cell where known).

    Examples
    --------
    >>> from instruments import read_table
    >>> from psychometrics.example_study import example_data_path
    >>> raw = read_table(example_data_path())
    >>> raw.cells.shape, raw.row_numbers[:3].tolist()
    ((180, 62), [2, 3, 4])
    >>> raw.cells.loc[0, ["teacher", "wave", "BPN01"]].tolist()
    ['L001', 'T0', '4']
    """

    if isinstance(source, pd.DataFrame):
        return _from_frame(source)
    if not isinstance(source, (str, Path)):
        raise ResponseError(f"The data must be a file path or a pandas DataFrame; got "
                            f"{type(source).__name__}.")
    path = Path(source)
    if path.is_dir():
        raise ResponseError(f"{path}: is a folder; give a response file (.csv, .tsv, .xlsx, .sav).")
    if not path.is_file():
        raise ResponseError(f"{path}: file not found.")
    suffix = path.suffix.lower()
    if sheet is not None and suffix not in (".xlsx", ".xlsm"):
        raise ResponseError(f"{path}: --sheet applies to Excel workbooks only.")
    if encoding is not None and suffix not in (".csv", ".tsv", ".txt"):
        raise ResponseError(f"{path}: --encoding applies to text files (.csv, .tsv) only.")
    try:
        if suffix in (".csv", ".tsv", ".txt"):
            return _read_text(path, encoding)
        if suffix in (".xlsx", ".xlsm"):
            return _read_excel(path, sheet)
        if suffix == ".sav":
            return _read_sav(path)
    except OSError as exc:
        raise ResponseError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    raise ResponseError(
        f"{path}: unsupported file type '{path.suffix}'. Use .csv, .tsv, .xlsx or "
        ".sav (or pass a pandas DataFrame through the API)."
    )


def _from_frame(source: pd.DataFrame) -> RawTable:
    if isinstance(source.columns, pd.MultiIndex):
        raise ResponseError(
            f"<DataFrame>: the columns are a MultiIndex ({source.columns.nlevels} levels, e.g. "
            f"{source.columns[0]!r}); give one name per column, e.g. "
            "df.columns = ['_'.join(map(str, c)) for c in df.columns].")
    if len(source) == 0:
        raise ResponseError("<DataFrame>: no rows.")
    # Numeric columns keep their dtype (no copy): checking them is vectorized.
    frame = source.set_axis([str(c).strip() for c in source.columns], axis=1)
    index = frame.index
    if (not isinstance(index, pd.MultiIndex) and pd.api.types.is_integer_dtype(index.dtype)
            and not pd.api.types.is_bool_dtype(index.dtype)):
        rows, how = index.to_numpy(dtype=np.int64), "row = index label"
    else:  # a MultiIndex or labels that are not whole numbers: number rows by position
        rows, how = np.arange(1, len(frame) + 1), "row = position, 1 = first row"
    return RawTable(
        cells=frame.reset_index(drop=True),
        row_numbers=rows,
        source="<DataFrame>",
        duplicate_columns=_duplicates(list(frame.columns)),
        details=f"pandas DataFrame ({how})",
    )


def _decode(raw: bytes, encoding: str | None, path: Path) -> tuple[str, str]:
    """The text of a file and the name of the encoding used."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ResponseError(f"{path}: unknown encoding '{encoding}'. Use e.g. utf-8, "
                                "utf-16, utf-16-le, cp1252 or latin-1.") from None
        try:
            return raw.decode(encoding).removeprefix("\ufeff"), encoding
        except UnicodeDecodeError as exc:
            raise ResponseError(f"{path}: not valid {encoding}: {_bad_byte(raw, exc)}. Give "
                                "the file's encoding with --encoding.") from None
    for bom, name in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                      (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            try:
                return raw.decode(name).removeprefix("\ufeff"), name
            except UnicodeDecodeError as exc:
                raise ResponseError(f"{path}: starts with a {name} byte-order mark but is not "
                                    f"valid {name}: {_bad_byte(raw, exc)}.") from None
    if b"\x00" in raw:
        k = raw.index(b"\x00")
        line = raw[:k].count(b"\n") + 1
        raise ResponseError(
            f"{path}: line {line} holds a NUL byte (at byte {k}): the file "
            "is probably UTF-16 without a byte-order mark. Give its encoding with --encoding "
            "utf-16-le (or utf-16-be).")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:  # what Excel on Dutch Windows writes as "CSV"
        return raw.decode("cp1252"), "cp1252 (not valid UTF-8; give --encoding if this is wrong)"
    except UnicodeDecodeError as exc:
        raise ResponseError(f"{path}: neither UTF-8 nor Windows-1252: {_bad_byte(raw, exc)}. "
                            "Give the file's encoding with --encoding.") from None


def _bad_byte(raw: bytes, exc: UnicodeDecodeError) -> str:
    k = exc.start
    line = raw[:k].count(b"\n") + 1
    return f"byte 0x{raw[k]:02x} at byte {k} (line {line})"


def _read_text(path: Path, encoding: str | None) -> RawTable:
    raw = path.read_bytes()
    fast = _read_text_fast(raw, path, encoding)
    if fast is not None:
        return fast
    text, used = _decode(raw, encoding, path)
    if not text.strip(" \t\r\n,;"):
        raise ResponseError(f"{path}: the file is empty.")
    body, offset = _skip_leading_blank_lines(text)
    delimiter = _text_delimiter(path, body.splitlines()[0])
    what = f"{_DELIMITER_NAMES[delimiter]}-separated text"
    frame = _parse_text(body, delimiter, path, offset, what)
    starts = _record_lines(body, delimiter, frame, path, offset, what)
    # The header is the first line; rows are numbered by the line they start on.
    names = [str(c).strip() for c in frame.iloc[0]]
    cells = frame.iloc[1:].reset_index(drop=True)
    line_numbers = starts[1:]
    cells, line_numbers, blank = _drop_blank(cells, line_numbers, cells == "")
    cells.columns = names
    if not len(cells):
        raise ResponseError(f"{path}: the header is there but no data rows follow.")
    return RawTable(
        cells=cells,
        row_numbers=line_numbers,
        source=str(path.name),
        decimal_comma=delimiter == ";",
        duplicate_columns=_duplicates(names),
        blank_rows=blank,
        details=f"{what}, {used}" + (", decimal comma" if delimiter == ";" else ""),
    )


def _skip_leading_blank_lines(text: str) -> tuple[str, int]:
    """The text from its first non-blank line on, and how many lines came before it
    (blank lines before the header are skipped; line numbers still count them)."""
    pos = offset = 0
    while True:
        end = text.find("\n", pos)
        if end < 0 or text[pos:end].strip(" \t\r,;"):
            break
        pos, offset = end + 1, offset + 1
    return text[pos:], offset


def _text_delimiter(path: Path, header: str) -> str:
    """Tab for a .tsv file; otherwise the delimiter the header holds most of."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    delimiter = max(_DELIMITERS, key=header.count)
    if header.count(delimiter) == 0:
        delimiter = ","  # a single column
    return delimiter


def _parse_text(body: str, delimiter: str, path: Path, offset: int,
                what: str) -> pd.DataFrame:
    """All records of ``body`` (the header first) as text; a line with more fields
    than the header is named by its line number."""
    try:
        return pd.read_csv(
            io.StringIO(body),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        starts, counts = _records(body, delimiter)
        width = counts[0] if counts else 0
        bad = [k for k, c in enumerate(counts) if c not in (width, 0)] if counts else []
        if bad:
            k = bad[0]
            raise ResponseError(
                f"{path}: line {starts[k] + offset} has {counts[k]} fields where the header has "
                f"{width} ({what}). Check that every line has as many fields as the header."
            ) from None
        raise ResponseError(f"{path}: cannot be read as {what}: {exc}.") from None


def _record_lines(body: str, delimiter: str, frame: pd.DataFrame, path: Path, offset: int,
                  what: str) -> np.ndarray:
    """The line number each record of ``frame`` starts on; refuses lines with fewer
    fields than the header (pandas fills them with empty cells)."""
    starts, counts = _line_starts(body, delimiter, len(frame))
    starts = starts + offset
    width = frame.shape[1]
    short = np.flatnonzero((counts != width) & (counts > 0))
    if counts[0] != width:  # cannot happen: pandas takes its width from the header
        short = np.r_[0, short]
    if short.size:
        listed = ", ".join(f"line {starts[k]} ({counts[k]} field{'s' if counts[k] != 1 else ''})"
                           for k in short[:5])
        more = f" and {short.size - 5} more" if short.size > 5 else ""
        raise ResponseError(
            f"{path}: {short.size} line(s) have fewer fields than the header's {width}: "
            f"{listed}{more} ({what}). A field is missing (or a delimiter); nothing was read.")
    return starts


def _read_text_fast(raw: bytes, path: Path, encoding: str | None) -> RawTable | None:
    """The plain file (UTF-8, no quotes, every line as wide as the header) parsed at
    once by pyarrow (:mod:`instruments._fast_text`); None for anything else, which
    :func:`_read_text` then reads (and judges) the careful way. Same result."""
    from instruments import _fast_text

    start = _plain_start(raw, path, encoding)
    if start is None or not _fast_text.plain(raw[start.body:]):
        return None
    parsed = _fast_text.read_body(raw[start.body:], start.first_line, start.delimiter,
                                  len(start.names))
    if parsed is None:
        return None
    table = start.table(*parsed)
    return table if len(table.cells) else None  # the careful road says what is wrong


@dataclass(frozen=True, slots=True)
class _PlainStart:
    """Where the rows of a plain text file start, and how to read them."""

    body: int  # byte offset of the line after the header
    first_line: int  # its line number
    delimiter: str
    names: list[str]
    source: str
    details: str

    def table(self, cells: pd.DataFrame, rows: np.ndarray, empty_lines: np.ndarray) -> RawTable:
        """A RawTable of parsed rows (from :func:`instruments._fast_text.read_body`)."""
        cells, rows, blank = _drop_blank(cells, rows, cells == "")
        cells.columns = self.names
        return RawTable(
            cells=cells,
            row_numbers=rows,
            source=self.source,
            decimal_comma=self.delimiter == ";",
            duplicate_columns=_duplicates(self.names),
            blank_rows=tuple(sorted((*blank, *(int(r) for r in empty_lines)))),
            details=self.details,
        )


def _plain_start(raw: bytes, path: Path, encoding: str | None) -> _PlainStart | None:
    """The header of a plain UTF-8 text file from its first bytes (``raw`` may be the
    whole file or its beginning), or None when the careful reader must read it."""
    from instruments import _fast_text

    used = encoding
    if encoding is not None:
        try:
            if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
                return None
        except LookupError:
            return None
    bom = 0
    if raw.startswith(codecs.BOM_UTF8):
        bom, used = len(codecs.BOM_UTF8), used or "utf-8-sig"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    if not _fast_text.available() or not raw.strip(b" \t\r\n,;"):
        return None
    pos, offset = bom, 0  # blank lines before the header are skipped, and counted
    while True:
        end = raw.find(b"\n", pos)
        if end < 0 or raw[pos:end].strip(b" \t\r,;"):
            break
        pos, offset = end + 1, offset + 1
    end = raw.find(b"\n", pos)
    if end < 0 or not _fast_text.plain(raw[:end + 1]):
        return None
    try:
        header = raw[pos:end].decode("utf-8").removesuffix("\r")
    except UnicodeDecodeError:
        return None
    if len(header.splitlines()) != 1:
        return None
    if path.suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        delimiter = max(_DELIMITERS, key=header.count)
        if header.count(delimiter) == 0:
            return None  # a single column: the careful road
    what = f"{_DELIMITER_NAMES[delimiter]}-separated text"
    return _PlainStart(
        body=end + 1, first_line=offset + 2, delimiter=delimiter,
        names=[c.strip() for c in header.split(delimiter)], source=str(path.name),
        details=f"{what}, {used or 'utf-8'}" + (", decimal comma" if delimiter == ";" else ""))


def _line_starts(body: str, delimiter: str, n_records: int) -> tuple[np.ndarray, np.ndarray]:
    """For each record: the line it starts on (1 = first line of ``body``) and its
    number of fields. Vectorized when no field is quoted."""
    if '"' not in body and "\r" not in body.replace("\r\n", "\n"):
        lines = body.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if len(lines) == n_records:
            counts = np.fromiter((ln.count(delimiter) + 1 if ln.strip() else 0
                                  for ln in lines), dtype=np.int64, count=len(lines))
            return np.arange(1, n_records + 1), counts
    rec_starts, rec_counts = _records(body, delimiter)
    if len(rec_starts) != n_records:  # the csv module and pandas disagree: keep pandas' rows
        return np.arange(1, n_records + 1), np.full(n_records, -1)
    return np.asarray(rec_starts), np.asarray(rec_counts)


def _records(body: str, delimiter: str) -> tuple[list[int], list[int]]:
    """Start lines and field counts of every record, with the csv module."""
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    starts, counts, last = [], [], 0
    try:
        for record in reader:
            starts.append(last + 1)
            counts.append(len(record) if len(record) > 1 or any(f.strip() for f in record) else 0)
            last = reader.line_num
    except csv.Error:
        pass
    return starts, counts


def _read_excel(path: Path, sheet: str | None) -> RawTable:
    import openpyxl  # imported here: only Excel users pay for it
    from openpyxl.utils import get_column_letter

    try:
        book = openpyxl.load_workbook(path, data_only=True)
        formulas = openpyxl.load_workbook(path, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many unrelated types
        # (zipfile, XML, KeyError, ...) for a broken file: each means "cannot be read"
        raise ResponseError(f"{path}: cannot be read as an Excel workbook: {exc}.") from None
    names = book.sheetnames
    if sheet is None:
        if len(names) > 1:
            raise ResponseError(
                f"{path}: the workbook has {len(names)} sheets ({', '.join(map(repr, names))}); "
                "choose one with --sheet NAME (sheet= in the API).")
        sheet = names[0]
    elif sheet not in names:
        raise ResponseError(f"{path}: there is no sheet '{sheet}'. Sheets: "
                            f"{', '.join(map(repr, names))}.")
    ws, wf = book[sheet], formulas[sheet]
    if not hasattr(ws, "iter_rows"):
        raise ResponseError(f"{path}: sheet '{sheet}' is a chart, not a table of responses.")
    values = [list(r) for r in ws.iter_rows(min_row=1, values_only=True)]
    if not values or all(all(v is None for v in r) for r in values):
        raise ResponseError(f"{path}: sheet '{sheet}' is empty.")
    # Formulas whose value was never calculated (saved by a program other than Excel)
    # would read as empty cells: refuse them, by cell.
    lost = []
    for r, row in enumerate(wf.iter_rows(min_row=1, values_only=True)):
        for c, v in enumerate(row):
            if (isinstance(v, str) and v.startswith("=") and r < len(values)
                    and c < len(values[r]) and values[r][c] is None):
                lost.append(f"{get_column_letter(c + 1)}{r + 1} ({v[:40]})")
    if lost:
        raise ResponseError(
            f"{path}: sheet '{sheet}': {len(lost)} formula cell(s) have no stored value: "
            f"{', '.join(lost[:5])}{' ...' if len(lost) > 5 else ''}. Open the file in Excel "
            "and save it (so the values are calculated), or paste the values.")
    width = max(len(r) for r in values)
    frame = pd.DataFrame([r + [None] * (width - len(r)) for r in values], dtype=object)
    first = int(np.flatnonzero(frame.notna().any(axis=1).to_numpy())[0])
    names_ = ["" if pd.isna(c) else str(c).strip() for c in frame.iloc[first]]
    cells = frame.iloc[first + 1:].reset_index(drop=True)
    rows = np.arange(first + 2, first + 2 + len(cells))
    cells, rows, blank = _drop_blank(cells, rows, cells.isna())
    cells.columns = names_
    if not len(cells):
        raise ResponseError(f"{path}: sheet '{sheet}' has a header but no data rows.")
    return RawTable(
        cells=cells,
        row_numbers=rows,
        source=str(path.name),
        duplicate_columns=_duplicates(names_),
        blank_rows=blank,
        details=f"Excel workbook, sheet '{sheet}'",
    )


def _read_sav(path: Path) -> RawTable:
    import pyreadstat  # imported here: only SPSS users pay for it

    try:
        frame, _meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as exc:  # noqa: BLE001 - pyreadstat raises ReadstatError,
        # PyreadstatError and OS errors for a broken file: each means "cannot be read"
        raise ResponseError(f"{path}: cannot be read as an SPSS .sav file: {exc}.") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return RawTable(
        cells=frame,
        row_numbers=pd.RangeIndex(1, 1 + len(frame)).to_numpy(),
        source=str(path.name),
        duplicate_columns=_duplicates(list(frame.columns)),
        details="SPSS .sav file (user-missing values read as missing)",
    )


def _drop_blank(cells: pd.DataFrame, rows: np.ndarray,
                empty: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, tuple[int, ...]]:
    """Take out rows in which every cell is empty; return their row numbers."""
    blank = empty.all(axis=1).to_numpy()
    if not blank.any():
        return cells, rows, ()
    kept = cells.loc[~blank].reset_index(drop=True)
    return kept, rows[~blank], tuple(int(r) for r in rows[blank])


def _duplicates(names: list[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    twice: set[str] = set()
    for n in names:
        if n in seen:
            twice.add(n)
        seen.add(n)
    return tuple(sorted(twice))
