"""Scoring a file in chunks gives the in-memory scores bit for bit, and the same
problems and errors (bad cells and duplicate ids in several chunks)."""

from __future__ import annotations

import numpy as np
import pytest

import instruments.streaming as streaming
from instruments import Instrument, score
from instruments.errors import ResponseError
from psychometrics.cli import main

YAML = """id: t
version: "1"
response_scale: {min: 1, max: 5}
scales:
  s1: {items: [a, b, c], reversed: [b]}
  s2: {items: [d, e, f]}
"""


def _write(path, n=600, seed=0, bad=True, dup=False):
    rng = np.random.default_rng(seed)
    lines = ["id,wave,a,b,c,d,e,f,school"]
    for i in range(n):
        cells = [str(v) for v in rng.integers(1, 6, 6)]
        for k in np.flatnonzero(rng.random(6) < 0.2):
            cells[k] = ""
        if bad and i % 97 == 5:
            cells[i % 6] = ["x", "7", "2.5", " 9 ", "NA"][i % 5]
        pid = f"p{i // 2}" if not (dup and i in (450, 451)) else "p3"
        lines.append(",".join([pid, f"T{i % 2}", *cells, f"s{i % 3}"]))
        if i % 150 == 7:
            lines.append("")  # a blank line: counted, not scored
    path.write_text("\n".join(lines) + "\n")


def _inst(tmp_path):
    p = tmp_path / "t.yaml"
    p.write_text(YAML)
    return p


@pytest.mark.parametrize("on_invalid", ["missing"])
def test_chunks_equal_in_memory(tmp_path, on_invalid):
    data, inst = tmp_path / "d.csv", _inst(tmp_path)
    _write(data)
    chunks = streaming.ChunkedScores(data, inst, wave_column="wave", on_invalid=on_invalid,
                                     chunk_bytes=1024)
    tables = list(chunks)
    assert len(tables) > 5  # several chunks, bad cells in several of them
    whole = score(data, Instrument.load(inst), wave_column="wave", on_invalid=on_invalid)
    import pandas as pd
    pd.testing.assert_frame_equal(pd.concat(tables, ignore_index=True), whole.table,
                                  check_exact=True)
    pd.testing.assert_frame_equal(chunks.problems, whole.problems)
    pd.testing.assert_frame_equal(chunks.unscored.reset_index(drop=True),
                                  whole.unscored.reset_index(drop=True), check_dtype=False)
    assert chunks.problems["row"].nunique() > 5
    assert chunks.n_rows == whole.responses.n_rows


@pytest.mark.parametrize("dup", [False, True])
def test_chunks_raise_the_in_memory_error(tmp_path, dup):
    data, inst = tmp_path / "d.csv", _inst(tmp_path)
    _write(data, dup=dup, bad=not dup)
    with pytest.raises(ResponseError) as whole:
        score(data, Instrument.load(inst), wave_column="wave")
    with pytest.raises(ResponseError) as chunked:
        list(streaming.ChunkedScores(data, inst, wave_column="wave", chunk_bytes=1024))
    assert str(chunked.value) == str(whole.value)
    assert chunked.value.problems.equals(whole.value.problems)


def test_cli_score_files_identical(tmp_path, monkeypatch, capsys):
    data, inst = tmp_path / "d.csv", _inst(tmp_path)
    _write(data)
    args = ["score", str(data), "--instrument", str(inst), "--wave", "wave",
            "--on-invalid", "missing", "--quiet"]
    monkeypatch.setattr(streaming, "CHUNK_BYTES", 2048)
    assert main([*args, "--out", str(tmp_path / "chunked.csv")]) == 0

    def refuse(*a, **k):
        raise streaming.NotStreamable("test")
    monkeypatch.setattr(streaming.ChunkedScores, "__init__", refuse)
    assert main([*args, "--out", str(tmp_path / "whole.csv")]) == 0
    for suffix in ("", ".problems", ".unscored"):
        chunked = (tmp_path / f"chunked{suffix}.csv").read_bytes()
        assert chunked == (tmp_path / f"whole{suffix}.csv").read_bytes()
        assert len(chunked) > 100


def test_cli_streaming_error_leaves_no_file(tmp_path, monkeypatch, capsys):
    data, inst = tmp_path / "d.csv", _inst(tmp_path)
    _write(data, dup=True, bad=False)
    monkeypatch.setattr(streaming, "CHUNK_BYTES", 2048)
    out = tmp_path / "o.csv"
    assert main(["score", str(data), "--instrument", str(inst), "--wave", "wave",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "duplicate id and wave" in err and "p3 / T0" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "t.yaml"]


def test_quoted_file_falls_back(tmp_path):
    data, inst = tmp_path / "d.csv", _inst(tmp_path)
    data.write_text('id,a,b,c,d,e,f\n"1",1,2,3,4,5,1\n')
    with pytest.raises(streaming.NotStreamable):
        list(streaming.ChunkedScores(data, inst))


def test_progress_bar_only_on_a_terminal(tmp_path, capsys):
    data, inst = tmp_path / "d.csv", _inst(tmp_path)
    _write(data, bad=False)
    seen = []
    list(streaming.ChunkedScores(data, inst, wave_column="wave", chunk_bytes=2048,
                                 progress=lambda done, total: seen.append((done, total))))
    assert len(seen) > 3 and seen[-1][0] == seen[-1][1] == data.stat().st_size
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    # under pytest stderr is not a TTY: the command prints no bar
    assert main(["score", str(data), "--instrument", str(inst), "--wave", "wave",
                 "--out", str(tmp_path / "o.csv")]) == 0
    assert "scoring [" not in capsys.readouterr().err
