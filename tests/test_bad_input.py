"""Every kind of bad input: exit code 2, a message naming row, column and value,
no traceback, and (with --on-invalid missing) no row lost."""

from pathlib import Path

import pandas as pd
import pytest

from psychometrics.cli import main

HEADER = "id,wave,A1,A2,A3,A4,A5,B1,B2,B3"
GOOD = ["p1,T0,1,2,3,4,5,6,1,2", "p1,T1,2,2,3,4,5,6,1,2",
        "p2,T0,3,3,3,3,3,3,3,3", "p2,T1,4,4,4,4,4,4,4,4"]


def _write(tmp_path: Path, lines: list[str], name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _run(args, capsys):
    code = main(args)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def _score(tmp_path, data, inst, *extra):
    return ["score", data, "--instrument", inst, "--id", "id", "--wave", "wave",
            "--out", str(tmp_path / "out.csv"), *extra]


CELL_CASES = [
    ("p3,T0,1,7,3,4,5,6,1,2", "row 6, column A2, value '7': outside the response scale 1..6"),
    ("p3,T0,1,2,2.5,4,5,6,1,2", "row 6, column A3, value '2.5': not a whole number"),
    ("p3,T0,1,2,3,abc,5,6,1,2", "row 6, column A4, value 'abc': not a number"),
    ("p3,T0,1,2,3,4,5,0,1,2", "row 6, column B1, value '0': outside the response scale 1..6"),
    (",T0,1,2,3,4,5,6,1,2", "row 6, column id: empty id: the row cannot be scored"),
    ("p3,,1,2,3,4,5,6,1,2", "row 6, column wave: empty wave label"),
]


@pytest.mark.parametrize("bad_line, expected", CELL_CASES)
def test_invalid_cell_stops_the_run_with_row_column_value(tmp_path, capsys, user_instrument_path,
                                                           bad_line, expected):
    data = _write(tmp_path, [HEADER, *GOOD, bad_line])
    code, err = _run(_score(tmp_path, data, user_instrument_path), capsys)
    assert code == 2
    assert "data.csv: 1 problem in the responses; nothing was scored." in err
    assert expected in err
    assert "--on-invalid missing" in err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("bad_line, expected", CELL_CASES)
def test_on_invalid_missing_loses_no_row(tmp_path, capsys, user_instrument_path, bad_line, expected):
    data = _write(tmp_path, [HEADER, *GOOD, bad_line])
    code, _ = _run(_score(tmp_path, data, user_instrument_path, "--on-invalid", "missing"), capsys)
    assert code == 0
    scores = pd.read_csv(tmp_path / "out.csv")
    problems = pd.read_csv(tmp_path / "out.problems.csv")
    assert len(problems) == 1
    p = problems.iloc[0]
    assert p["row"] == 6 and p["column"] in expected
    not_scored = set(problems.loc[problems["action"] == "row not scored", "row"])
    # Every input row (lines 2..6) is scored or named as not scored.
    assert set(scores["input_row"]) | not_scored == {2, 3, 4, 5, 6}
    assert set(scores["input_row"]).isdisjoint(not_scored)
    if "empty" not in expected:
        assert p["action"] == "set to missing"
        assert scores.loc[scores["input_row"] == 6].shape[0] == 1


def test_every_problem_is_found_not_only_the_first(tmp_path, capsys, user_instrument_path):
    lines = [HEADER, *GOOD] + [f"q{k},T0,9,2,3,4,5,6,1,x" for k in range(30)]
    data = _write(tmp_path, lines)
    code, err = _run(_score(tmp_path, data, user_instrument_path), capsys)
    assert code == 2
    assert "60 problems in the responses" in err
    assert "... and 40 more." in err  # the first 20 are listed, then the count


def test_duplicate_id_and_wave_is_always_an_error(tmp_path, capsys, user_instrument_path):
    data = _write(tmp_path, [HEADER, *GOOD, "p1,T0,1,1,1,1,1,1,1,1"])
    code, err = _run(_score(tmp_path, data, user_instrument_path, "--on-invalid", "missing"), capsys)
    assert code == 2
    assert "row 2, column id+wave, value 'p1 / T0': duplicate id and wave: appears again later" in err
    assert ("row 6, column id+wave, value 'p1 / T0': duplicate id and wave: "
            "the same id and wave as row 2") in err


def test_duplicate_id_without_wave_column(tmp_path, capsys, user_instrument_path):
    data = _write(tmp_path, [HEADER, *GOOD])
    code, err = _run(["score", data, "--instrument", user_instrument_path, "--out",
                      str(tmp_path / "o.csv")], capsys)
    assert code == 2
    assert "row 3, column id, value 'p1': duplicate id: the same id as row 2" in err


def test_missing_item_column_is_always_an_error(tmp_path, capsys, user_instrument_path):
    lines = [HEADER.replace(",A3", ",a_3"), *GOOD]
    data = _write(tmp_path, lines)
    code, err = _run(_score(tmp_path, data, user_instrument_path, "--on-invalid", "missing"), capsys)
    assert code == 2
    assert "column A3: item column missing from the data" in err


def test_misspelled_item_column_gets_a_hint(tmp_path, capsys, user_instrument_path):
    data = _write(tmp_path, [HEADER.replace(",B2", ",b2"), *GOOD])
    code, err = _run(_score(tmp_path, data, user_instrument_path), capsys)
    assert code == 2
    assert "column B2: item column missing from the data (is 'b2' meant?)" in err


def test_wave_column_with_one_value_is_an_error(tmp_path, capsys, user_instrument_path):
    lines = [HEADER, "p1,T0,1,2,3,4,5,6,1,2", "p2,T0,3,3,3,3,3,3,3,3"]
    data = _write(tmp_path, lines)
    code, err = _run(_score(tmp_path, data, user_instrument_path), capsys)
    assert code == 2
    assert "column wave, value 'T0': the wave column has one value in all 2 rows" in err


def test_unknown_id_column_names_the_columns(tmp_path, capsys, user_instrument_path):
    data = _write(tmp_path, [HEADER.replace("id,", "teacher,", 1), *GOOD])
    code, err = _run(_score(tmp_path, data, user_instrument_path), capsys)
    assert code == 2
    assert "there is no id column 'id'" in err and "teacher" in err and "--id" in err


def test_unknown_columns_are_kept_aside_not_errors(tmp_path, capsys, user_instrument_path):
    lines = [HEADER + ",school", *[g + ",S1" for g in GOOD]]
    data = _write(tmp_path, lines)
    out = tmp_path / "v"
    code, _ = _run(["validate", data, "--instrument", user_instrument_path, "--wave", "wave",
                    "--out", str(out), "--quiet"], capsys)
    assert code == 0
    import json
    results = json.loads((out / "results.json").read_text())
    assert results["data"]["unused_columns"] == ["school"]


def test_validate_with_on_invalid_missing_lists_problems_in_results(tmp_path, capsys, user_instrument_path):
    import json
    data = _write(tmp_path, [HEADER, *GOOD, "p3,T0,1,7,3,4,5,6,1,2", ",T1,1,1,1,1,1,1,1,1"])
    out = tmp_path / "v"
    code, _ = _run(["validate", data, "--instrument", user_instrument_path, "--wave", "wave",
                    "--on-invalid", "missing", "--out", str(out), "--quiet"], capsys)
    assert code == 0
    res = json.loads((out / "results.json").read_text())
    assert res["data"]["n_rows"] == 6
    assert res["data"]["rows_scored"] == 5
    assert res["data"]["rows_with_problems"] == 2
    assert res["problems"] == [
        {"row": 6, "column": "A2", "value": "7", "problem": "outside the response scale 1..6",
         "action": "set to missing"},
        {"row": 7, "column": "id", "value": "", "problem": "empty id: the row cannot be scored",
         "action": "row not scored"},
    ]


@pytest.mark.parametrize("name, content, message", [
    ("data.json", "{}", "unsupported file type '.json'"),
    ("data.csv", "", "the file is empty"),
    ("data.xlsx", "not a workbook", "cannot be read as an Excel workbook"),
    ("data.sav", "not spss", "cannot be read as an SPSS .sav file"),
])
def test_unreadable_files(tmp_path, capsys, user_instrument_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    code, err = _run(["score", str(path), "--instrument", user_instrument_path, "--out",
                      str(tmp_path / "o.csv")], capsys)
    assert code == 2 and message in err and name in err


def test_ragged_csv_names_the_line(tmp_path, capsys, user_instrument_path):
    data = _write(tmp_path, [HEADER, *GOOD, "p3,T0,1,2,3,4,5,6,1,2,5,5"])
    code, err = _run(_score(tmp_path, data, user_instrument_path), capsys)
    assert code == 2 and "line 6" in err and "data.csv" in err


def test_missing_file_and_unknown_instrument(tmp_path, capsys, user_instrument_path):
    code, err = _run(["score", str(tmp_path / "nope.csv"), "--instrument", user_instrument_path,
                      "--out", str(tmp_path / "o.csv")], capsys)
    assert code == 2 and "nope.csv: file not found" in err
    data = _write(tmp_path, [HEADER, *GOOD])
    code, err = _run(["score", data, "--instrument", "no_such_thing", "--out",
                      str(tmp_path / "o.csv")], capsys)
    assert code == 2 and "'no_such_thing' is neither a bundled instrument nor an instrument file" in err


def test_missing_codes_become_missing_not_problems(tmp_path, capsys, user_instrument_path):
    data = _write(tmp_path, [HEADER, *GOOD, "p3,T0,-99,2,3,4,5,6,1,2"])
    code, _ = _run(_score(tmp_path, data, user_instrument_path, "--missing-code", "-99"), capsys)
    assert code == 0
    scores = pd.read_csv(tmp_path / "out.csv")
    assert scores.loc[scores["id"] == "p3", "agree_n"].item() == 4


def test_unknown_cluster_column_is_a_clear_error(tmp_path, capsys, user_instrument_path):
    data = _write(tmp_path, [HEADER, *GOOD])
    code, err = _run(["validate", data, "--instrument", user_instrument_path, "--wave", "wave",
                      "--cluster", "school", "--out", str(tmp_path / "v"), "--quiet"], capsys)
    assert code == 2
    assert "there is no cluster column 'school'" in err


def test_internal_errors_ask_to_be_reported_without_a_traceback(monkeypatch, capsys):
    import psychometrics.cli as cli

    def broken(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_cmd_banks", broken)
    code, err = _run(["banks"], capsys)
    assert code == 1
    assert "internal error: RuntimeError: boom" in err and "Please report it" in err
