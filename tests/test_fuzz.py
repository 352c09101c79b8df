"""Fuzzing with a fixed budget: random CSV contents and instrument YAML never end in a
traceback. Each input is read, checked and scored by the command line (or loaded
by the API); the only allowed endings are success or the package's own error with
exit code 2 (a sentence naming the problem).

Budget (tests/budget.py): 30 fixed examples per test in the default run (4 for the
whole pipeline), 500 (60) with --full-budget; FUZZ_N / FUZZ_N_VALIDATE set them
directly, FUZZ_RANDOM draws new examples instead of the fixed ones."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import pytest
import yaml
from budget import budget
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instruments import Instrument
from instruments.errors import BinnenuitError
from psychometrics.cli import main

pytestmark = pytest.mark.slow

BUDGET = settings(max_examples=int(os.environ.get("FUZZ_N", budget(30, 500))), deadline=None,
                  derandomize=not os.environ.get("FUZZ_RANDOM"),
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

INSTRUMENT = """id: fuzz
version: "1"
response_scale: {min: 1, max: 5}
scales:
  s: {items: [A1, A2, A3], reversed: [A2]}
"""
HEADER = ["id", "wave", "A1", "A2", "A3"]

# Cells: numbers in and out of range, decimal commas and points, missing tokens,
# formulas, quotes, delimiters, newlines, odd Unicode.
CELL = st.one_of(
    st.integers(-3, 8).map(str),
    st.sampled_from(["", "NA", ".", "nan", "inf", "-inf", "1e400", "1.000", "2,0", "3.5", " 4 ",
                     "=1+1", "@x", "+3", "-99", '"', '""', "a,b", "a;b", "x\ny", "\t", "３",
                     "1_000", "0x1", "True", "\x00", "\u202e4", "é", "1e-400", "  "]),
    st.text(max_size=6),
)


def _run_cli(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    return code, err.getvalue()


def _check(code: int, err: str) -> None:
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 2:
        assert err.startswith("binnenuit: error: ") and len(err.strip()) > 30, err


@BUDGET
@given(rows=st.lists(st.tuples(st.sampled_from(["p1", "p2", "p3", "", "p1 "]),
                               st.sampled_from(["T0", "T1", "", "T 1"]), CELL, CELL, CELL),
                     min_size=0, max_size=8),
       sep=st.sampled_from([",", ";", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
       on_invalid=st.sampled_from(["raise", "missing"]))
def test_fuzz_csv_cells(rows, sep, encoding, on_invalid):
    def field(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in f'"\n{sep}') else v

    lines = [sep.join(HEADER)] + [sep.join(field(v) for v in r) for r in rows]
    text = "\n".join(lines) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "d.csv"
        try:
            data.write_bytes(text.encode(encoding))
        except UnicodeEncodeError:
            data.write_bytes(text.encode("utf-8"))
        inst = Path(tmp) / "i.yaml"
        inst.write_text(INSTRUMENT, encoding="utf-8")
        code, err = _run_cli(["score", str(data), "--instrument", str(inst), "--wave", "wave",
                              "--on-invalid", on_invalid, "--out", str(Path(tmp) / "o" / "s.csv"),
                              "--quiet"])
        _check(code, err)
        if code == 0:
            assert (Path(tmp) / "o" / "s.csv").is_file()


@BUDGET
@given(raw=st.binary(max_size=300) | st.text(alphabet=st.sampled_from(
    list("id,wave;A1A2A3\t\"\n\r 12345.-=xé\x00")), max_size=200).map(
    lambda t: t.encode("utf-8")))
def test_fuzz_csv_bytes(raw):
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "d.csv"
        data.write_bytes(b"id,wave,A1,A2,A3\n" + raw if raw[:1] != b"!" else raw)
        inst = Path(tmp) / "i.yaml"
        inst.write_text(INSTRUMENT, encoding="utf-8")
        _check(*_run_cli(["score", str(data), "--instrument", str(inst), "--wave", "wave",
                          "--on-invalid", "missing", "--out", str(Path(tmp) / "s.csv"),
                          "--quiet"]))


KEYS = ["id", "version", "title", "description", "banks", "response_scale", "scales", "items",
        "reversed", "min", "max", "labels", "min_answered", "composites", "higher_is_better",
        "nl", "en", "method", "bogus"]
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                   st.floats(allow_nan=True), st.text(max_size=8),
                   st.sampled_from(["A1", "kvb", "bpn", "1.10", "mean", "<b>x</b>", "../x"]))
TREE = st.recursive(SCALAR, lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), children,
                                      max_size=5), max_leaves=25)


def _load(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "i.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            Instrument.from_file(path)
        except BinnenuitError as exc:
            assert str(exc).startswith(str(path)) and len(str(exc)) < 10_000


@BUDGET
@given(tree=st.dictionaries(st.sampled_from(KEYS), TREE, max_size=8))
def test_fuzz_instrument_structure(tree):
    _load(yaml.safe_dump(tree, allow_unicode=True))


@BUDGET
@given(edits=st.lists(st.tuples(st.integers(0, len(INSTRUMENT)), st.sampled_from(
    ["&a ", "*a", "[", "]", "{", "}", ": ", "\n  ", "- ", "!!", "'", '"', "#", "1.10", "x",
     "<<: *a", "\t", "\x00", "scales:\n", "max: 10000000"])), max_size=5))
def test_fuzz_instrument_text(edits):
    text = INSTRUMENT
    for pos, piece in edits:
        pos = min(pos, len(text))
        text = text[:pos] + piece + text[pos:]
    _load(text)


@settings(max_examples=int(os.environ.get("FUZZ_N_VALIDATE", budget(4, 60))), deadline=None,
          derandomize=not os.environ.get("FUZZ_RANDOM"),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(n=st.integers(1, 8), answers=st.lists(st.sampled_from([1, 2, 3, 4, 5, None]),
                                             min_size=48, max_size=48),
       report=st.just(False) if not os.environ.get("FUZZ_RANDOM")
       else st.booleans())
def test_fuzz_validate_small_data(n, answers, report):
    """The whole pipeline on tiny, sparse, constant or degenerate data: statuses, no crash."""
    lines = ["id,wave,A1,A2,A3"]
    k = 0
    for person in range(n):
        for wave in ("T0", "T1"):
            cells = ["" if answers[(k + j) % 48] is None else str(answers[(k + j) % 48])
                     for j in range(3)]
            k += 3
            lines.append(f"p{person},{wave}," + ",".join(cells))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "d.csv"
        data.write_text("\n".join(lines) + "\n", encoding="utf-8")
        inst = Path(tmp) / "i.yaml"
        inst.write_text(INSTRUMENT, encoding="utf-8")
        _check(*_run_cli(["validate", str(data), "--instrument", str(inst), "--wave", "wave",
                          "--out", str(Path(tmp) / "o"), "--quiet"]
                         + ([] if report else ["--no-report"])))


ANY_CELL = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
    st.complex_numbers(max_magnitude=10), st.text(max_size=4), st.binary(max_size=3),
    st.decimals(allow_nan=False), st.just(__import__("decimal").Decimal("NaN")), st.datetimes(),
    st.lists(st.integers(), max_size=2),
    st.sampled_from([1, 2, 3, 4, 5, "3", " 2 ", "NA", float("inf"), object()]),
)


@BUDGET
@given(columns=st.lists(st.lists(ANY_CELL, min_size=4, max_size=4), min_size=5, max_size=5),
       dtype=st.sampled_from([None, "object", "Int64", "float", "string"]))
def test_fuzz_api_dataframes(columns, dtype):
    """Any Python values in a DataFrame: scored, or the package's own error."""
    import pandas as pd

    frame = pd.DataFrame(dict(zip(HEADER, columns)))
    if dtype is not None:
        try:
            frame = frame.astype(dict.fromkeys(HEADER[2:], dtype))
        except Exception:  # noqa: BLE001 - pandas cannot convert these values: not our input
            return
    inst = Instrument.from_dict(yaml.safe_load(INSTRUMENT))
    from instruments import score

    try:
        score(frame, inst, wave_column="wave", on_invalid="missing")
    except BinnenuitError as exc:
        assert str(exc)
