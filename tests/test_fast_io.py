"""The fast roads give the careful roads' results: reading text with pyarrow (and
parsing whole item columns at once) and writing CSV with Arrow-formatted numbers."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import instruments.reading as reading
from instruments import Instrument, read_responses, read_table, score
from instruments.errors import ResponseError
from psychometrics.report.outputs import _fast_csv, append_csv

INST = Instrument.from_dict({"id": "t", "version": "1", "response_scale": {"min": 1, "max": 5},
                             "scales": {"s": {"items": ["a", "b", "c"], "reversed": ["b"]}}})

FILES = {
    "plain.csv": "id,a,b,c\n1,1,2,3\n2,4,5,\n",
    "blank_lines.csv": "\n\nid,a,b,c\n1,1,2,3\n\n2,4,5,1\n,,,\n3, 2 ,NA,.\n\n",
    "crlf.csv": "id,a,b,c\r\n1,1,2,3\r\n\r\n2,4,5,1\r\n",
    "bad_cells.csv": "id,a,b,c\n1,1,7,3\n2,x,5,2.5\n3,1e0,inf,nan\n4,-nan,5.0,07\n",
    "semicolon.csv": "id;a;b;c\n1;1;2,0;3\n2;1.000;5;3,5\n",
    "tabs.tsv": "id\ta\tb\tc\n1\t1\t2\t3\n",
    "bom.csv": "\ufeffid,a,b,c\n1,1,2,3\n",
    "dup_header.csv": "id,a,a,b,c\n1,1,2,3,4\n",
    "short_line.csv": "id,a,b,c\n1,1,2\n2,1,2,3\n",
    "long_line.csv": "id,a,b,c\n1,1,2,3,4\n",
    "quoted.csv": 'id,a,b,c\n"1",1,2,3\n',
    "dup_ids.csv": "id,a,b,c\n1,1,2,3\n1,1,2,3\n01,2,2,2\n",
    "empty_id.csv": "id,a,b,c\n,1,2,3\n 2 ,1,2,3\n",
    "header_only.csv": "id,a,b,c\n",
    "spaces_line.csv": "id,a,b,c\n1,1,2,3\n   \n",
}


def _careful(monkeypatch):
    monkeypatch.setattr(reading, "_read_text_fast", lambda *a: None)


def _outcome(path, **kw):
    try:
        raw = read_table(path)
    except ResponseError as exc:
        return ("read error", str(exc))
    try:
        r = read_responses(raw, INST, on_invalid="missing", **kw)
    except ResponseError as exc:
        return ("check error", str(exc), exc.problems.to_dict("list"))
    return (raw.row_numbers.tolist(), raw.blank_rows, raw.details, raw.duplicate_columns,
            r.keys.to_dict("list"), np.nan_to_num(r.values, nan=-1).tolist(),
            r.problems.to_dict("list"), r.extra.to_dict("list"))


@pytest.mark.parametrize("name", sorted(FILES))
def test_fast_reading_equals_careful_reading(tmp_path, monkeypatch, name):
    path = tmp_path / name
    path.write_bytes(FILES[name].encode("utf-8"))
    fast = _outcome(path)
    _careful(monkeypatch)
    assert fast == _outcome(path)


def test_fast_road_is_taken_for_plain_files(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text(FILES["bad_cells.csv"])
    assert reading._read_text_fast(path.read_bytes(), path, None) is not None
    # ... and every bad cell is still named with its row, column and value as typed
    probs = read_responses(path, INST, on_invalid="missing").problems
    assert list(zip(probs["row"], probs["column"], probs["value"])) == [
        (2, "b", "7"), (3, "a", "x"), (3, "c", "2.5"), (4, "b", "inf"),
        (5, "a", "-nan"), (5, "c", "07")]


def test_numbers_at_once_equal_cell_by_cell():
    rng = np.random.default_rng(3)
    cells = rng.choice(["1", " 2", "3 ", "4", "5", "", "NA", ".", "nan", "N/A", "1e0", "5.0"],
                       size=(400, 3))
    frame = pd.DataFrame(cells, columns=["a", "b", "c"]).astype("str")
    frame.insert(0, "id", [str(i) for i in range(400)])
    fast = score(frame, INST).table
    slow = score(frame.astype(object), INST).table
    pd.testing.assert_frame_equal(fast, slow)


@pytest.mark.parametrize("seed", range(5))
def test_fast_csv_equals_pandas(seed):
    rng = np.random.default_rng(seed)
    n = 300
    x = rng.uniform(1, 5, n) / rng.choice([1, 3, 7], n)
    x[rng.random(n) < 0.1] = np.nan
    special = np.array([0.0, -0.0, 1e-5, 2.5e-7, 1e9, 1e16, 123456789.0, np.inf, -np.inf, 3.0])
    x[:len(special)] = special
    frame = pd.DataFrame({
        "input_row": np.arange(n) + 2,
        "id": [f"p{i}" for i in range(n)],
        "s": x,
        "whole": np.round(x),
        "s_n": rng.integers(0, 7, n),
        "wave": pd.array(rng.choice(["T0", "T1", None], n), dtype="str"),
    })
    assert _fast_csv(frame, True) is not None  # the fast road, not pandas, wrote it
    buf = io.StringIO()
    append_csv(frame, buf, header=True)
    assert buf.getvalue() == frame.to_csv(index=False)
