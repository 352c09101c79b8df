"""Reading raw response files into a table of cells, exactly as the user wrote them.

Formats: CSV and TSV (delimiter sniffed from the header line; ``;`` means Dutch
Excel, whose decimal separator is a comma; UTF-8 with or without BOM, Windows-1252
as a fallback), Excel ``.xlsx`` (first sheet) and SPSS ``.sav``.

Nothing is converted or dropped here: the header row is read as data so that
duplicate column names are seen, and every cell keeps its raw value so a problem
can be reported with the value the user typed. Checking happens in
:mod:`instruments.responses`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
    """

    cells: pd.DataFrame
    row_numbers: object
    source: str
    decimal_comma: bool = False
    duplicate_columns: tuple[str, ...] = ()
    blank_rows: tuple[int, ...] = ()
    details: str = ""


def read_table(source: str | Path | pd.DataFrame) -> RawTable:
    """Read a response file (or take a DataFrame) without interpreting any cell.

    Raises
    ------
    ResponseError
        The file does not exist, has an unsupported extension, or cannot be
        parsed; the message names the file (and the line where known).
    """
    if isinstance(source, pd.DataFrame):
        # Numeric columns keep their dtype (no copy): checking them is vectorized.
        frame = source.set_axis([str(c).strip() for c in source.columns], axis=1)
        return RawTable(
            cells=frame,
            row_numbers=frame.index.to_numpy(),
            source="<DataFrame>",
            duplicate_columns=_duplicates(list(frame.columns)),
            details="pandas DataFrame",
        )
    path = Path(source)
    if not path.is_file():
        raise ResponseError(f"{path}: file not found.")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return _read_text(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_excel(path)
    if suffix == ".sav":
        return _read_sav(path)
    raise ResponseError(
        f"{path}: unsupported file type '{path.suffix}'. Use .csv, .tsv, .xlsx or "
        ".sav (or pass a pandas DataFrame through the API)."
    )


def _read_text(path: Path) -> RawTable:
    raw = path.read_bytes()
    encoding = "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        encoding = "cp1252"  # what Excel on Dutch Windows writes as "CSV"
        text = raw.decode(encoding)
    if not text.strip():
        raise ResponseError(f"{path}: the file is empty.")
    header = text.lstrip("\r\n").splitlines()[0]
    if path.suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        delimiter = max(_DELIMITERS, key=header.count)
        if header.count(delimiter) == 0:
            delimiter = ","  # a single column
    try:
        frame = pd.read_csv(
            path,
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding=encoding,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        raise ResponseError(
            f"{path}: cannot be read as {_DELIMITER_NAMES[delimiter]}-separated "
            f"text: {exc}. Check that every line has as many fields as the header."
        ) from None
    # The header is the first line; line numbers count from it (header = line 1).
    names = [str(c).strip() for c in frame.iloc[0]]
    cells = frame.iloc[1:].reset_index(drop=True)
    line_numbers = pd.RangeIndex(2, 2 + len(cells)).to_numpy()
    cells, line_numbers, blank = _drop_blank(cells, line_numbers, cells == "")
    cells.columns = names
    return RawTable(
        cells=cells,
        row_numbers=line_numbers,
        source=str(path.name),
        decimal_comma=delimiter == ";",
        duplicate_columns=_duplicates(names),
        blank_rows=blank,
        details=f"{_DELIMITER_NAMES[delimiter]}-separated text, {encoding}"
        + (", decimal comma" if delimiter == ";" else ""),
    )


def _read_excel(path: Path) -> RawTable:
    try:
        frame = pd.read_excel(path, sheet_name=0, header=None, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ResponseError(f"{path}: cannot be read as an Excel workbook: {exc}.") from None
    if frame.empty:
        raise ResponseError(f"{path}: the first sheet is empty.")
    names = ["" if pd.isna(c) else str(c).strip() for c in frame.iloc[0]]
    cells = frame.iloc[1:].reset_index(drop=True)
    rows = pd.RangeIndex(2, 2 + len(cells)).to_numpy()
    cells, rows, blank = _drop_blank(cells, rows, cells.isna())
    cells.columns = names
    return RawTable(
        cells=cells,
        row_numbers=rows,
        source=str(path.name),
        duplicate_columns=_duplicates(names),
        blank_rows=blank,
        details="Excel workbook, first sheet",
    )


def _read_sav(path: Path) -> RawTable:
    import pyreadstat  # imported here: only SPSS users pay for it

    try:
        frame, _meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as exc:  # pyreadstat raises its own ReadstatError
        raise ResponseError(f"{path}: cannot be read as an SPSS .sav file: {exc}.") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return RawTable(
        cells=frame,
        row_numbers=pd.RangeIndex(1, 1 + len(frame)).to_numpy(),
        source=str(path.name),
        duplicate_columns=_duplicates(list(frame.columns)),
        details="SPSS .sav file (user-missing values read as missing)",
    )


def _drop_blank(cells: pd.DataFrame, rows, empty: pd.DataFrame):
    """Take out rows in which every cell is empty; return their row numbers."""
    blank = empty.all(axis=1).to_numpy()
    if not blank.any():
        return cells, rows, ()
    kept = cells.loc[~blank].reset_index(drop=True)
    return kept, rows[~blank], tuple(int(r) for r in rows[blank])


def _duplicates(names: list[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    return tuple(sorted({n for n in names if n in seen or seen.add(n)}))
