"""Reading plain delimited text at the speed of the file: pyarrow's CSV parser.

The common file (UTF-8, no quotes, one record per line, every line as wide as the
header) is parsed here in one multi-threaded pass into text columns backed by Arrow
(pandas' ``str`` dtype), with the line number of every row computed from the
positions of the newlines. Anything else returns ``None`` and the caller reads the
file the careful way (:func:`instruments.reading._read_text`), which produces the
exact error messages (a short line, a bad byte, ...). So this module never decides
what is an error: it only takes the fast road where the road is plain.

Cells stay text here, as typed: parsing them as numbers (and naming each cell that is
not one) is :mod:`instruments.responses`' job.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd


def available() -> bool:
    try:
        import pyarrow  # type: ignore[import-untyped]  # pyarrow ships no type information
        import pyarrow.csv  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return False
    return True


def plain(body: bytes) -> bool:
    """Whether ``body`` has no quote, no NUL byte and no carriage return outside CRLF."""
    return (b'"' not in body and b"\x00" not in body
            and body.count(b"\r") == body.count(b"\r\n"))


def line_table(body: bytes) -> tuple[np.ndarray, np.ndarray]:
    """For each line of ``body`` (0-based): whether it is empty ("" or a lone CR),
    and the byte offset where it starts. A final newline ends the last line."""
    buf = np.frombuffer(body, dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    starts = np.r_[0, nl + 1]
    ends = np.r_[nl, len(buf)]
    if starts[-1] == len(buf):  # the text ends with a newline: no line after it
        starts, ends = starts[:-1], ends[:-1]
    length = ends - starts
    empty = length == 0
    one = np.flatnonzero(length == 1)
    empty[one] = buf[starts[one]] == 13
    return empty, starts


def parse_rows(data: bytes, width: int, delimiter: str) -> pd.DataFrame | None:
    """The records of ``data`` (no header; empty lines skipped) as ``width`` text
    columns named 0..width-1, or None when pyarrow refuses them (a line of another
    width, bytes that are not UTF-8, ...)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{k}" for k in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=True,
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False,
                                             double_quote=False, escape_char=False,
                                             newlines_in_values=False,
                                             ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=[],
                strings_can_be_null=False, quoted_strings_can_be_null=False,
                check_utf8=True),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    frame = table.to_pandas(types_mapper={pa.string(): text,
                                          pa.large_string(): text}.get)
    frame.columns = range(width)
    return frame


def read_body(body: bytes, first_line: int, delimiter: str,
              width: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray] | None:
    """Rows of ``body`` (the lines after the header), their line numbers and the
    line numbers of its empty lines; ``first_line`` is the line number of the first
    line of ``body``. None when the fast road does not apply."""
    if width < 2 or not plain(body):
        return None
    empty, _starts = line_table(body)
    frame = parse_rows(body, width, delimiter)
    if frame is None:
        return None
    numbers = np.arange(first_line, first_line + len(empty))
    rows = numbers[~empty]
    if len(rows) != len(frame):  # pyarrow saw other records than the lines: be careful
        return None
    return frame, rows, numbers[empty]
