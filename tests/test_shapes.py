"""Data in the shapes researchers have (issue 18): a wide file, a composite id and a
four-wave file with chosen waves give the same numbers as the equivalent long,
single-id, two-wave file; the shapes' own errors name the column and value."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

import psychometrics
from instruments import read_responses, score
from instruments.errors import OptionError, ResponseError
from psychometrics.cli import main
from tests.simulate import longitudinal_scale

WAVES = ("T1", "T2", "T3", "T4")
ITEMS = ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3"]


def _study(n: int = 160, seed: int = 7, missing: float = 0.04, absent: float = 0.12) -> pd.DataFrame:
    """Long data of the user instrument (agree A1..A5, calm B1..B3, answers 1..6) at four
    waves, as a real file has it: text cells, 4% of the cells empty, some persons absent
    at some waves, ids unique only within a study, person columns (school, gender)."""
    common = {"intercepts": [3.5] * 5, "residuals": [0.5] * 5, "means": [0, 0.2, 0.3, 0.4],
              "variances": [1, 1, 1, 1], "seed": seed}
    a = longitudinal_scale(n, WAVES, loadings=[0.9, 0.8, 0.7, 0.8, 0.9], **common)
    common.update(intercepts=[3.2] * 3, residuals=[0.6] * 3, seed=seed + 1)
    b = longitudinal_scale(n, WAVES, loadings=[0.8, 0.7, 0.9], **common)
    rng = np.random.default_rng(seed)
    x = np.column_stack([a[["x1", "x2", "x3", "x4", "x5"]].to_numpy(),
                         b[["x1", "x2", "x3"]].to_numpy()])
    x = np.clip(np.round(x), 1, 6)
    x[:, [0, 6, 7]] = 7 - x[:, [0, 6, 7]]  # the reversed items
    cells = pd.DataFrame(x.astype(int).astype(str), columns=ITEMS)
    cells[rng.random(cells.shape) < missing] = ""
    person = np.arange(len(a)) % n
    study = np.where(person % 2 == 0, "S1", "S2")
    long = pd.concat([pd.DataFrame({
        "study": study, "id": (person // 2 + 1).astype(str),
        "pid": [f"{s}-{i // 2 + 1}" for s, i in zip(study, person)],
        "school": [f"school{(i % 6) + 1}" for i in person],
        "gender": np.where(person % 3 == 0, "f", "m"),
        "wave": a["wave"].to_numpy()}), cells], axis=1)
    gone = (rng.random(len(long)) < absent) & (long["wave"] != "T1")
    long = long[~gone]
    return long.sort_values(["study", "id", "wave"], key=_natural, kind="stable").reset_index(drop=True)


def _natural(col: pd.Series) -> pd.Series:
    return col.map(lambda v: int(v) if str(v).isdigit() else v) if col.name == "id" else col


def _wide(long: pd.DataFrame, id_cols: list[str]) -> pd.DataFrame:
    """One row per person with SPSS-style names (A1_T1, ...) and an extra
    time-varying column that is no item (age_T1)."""
    persons = long.drop_duplicates(id_cols)[[*id_cols, "school", "gender"]]
    wide = persons.reset_index(drop=True)
    for w in sorted(long["wave"].unique()):
        part = long[long["wave"] == w].set_index(id_cols)[ITEMS]
        part.columns = [f"{c}_{w}" for c in ITEMS]
        wide = wide.join(part, on=id_cols)
    wide = wide.fillna("")
    wide.insert(3, "age_T1", "40")
    return wide


def _numbers(d, path=""):
    """Every leaf of a results dictionary, by its path."""
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _numbers(v, f"{path}/{k}")
    elif isinstance(d, list):
        for k, v in enumerate(d):
            yield from _numbers(v, f"{path}[{k}]")
    else:
        yield path, d


def _same_results(a: dict, b: dict) -> int:
    """Assert the analyses agree (data description and settings aside); return the
    number of numbers compared."""
    drop = ("data", "settings", "problems", "instrument")
    left = dict(_numbers({k: v for k, v in a.items() if k not in drop}))
    right = dict(_numbers({k: v for k, v in b.items() if k not in drop}))
    assert left.keys() == right.keys()
    n = 0
    for key, u in left.items():
        v = right[key]
        if isinstance(u, float) and isinstance(v, float):
            if math.isnan(u) or math.isnan(v):
                assert math.isnan(u) and math.isnan(v), key
            else:
                assert u == pytest.approx(v, rel=1e-9, abs=1e-12), key
                n += 1
        else:
            assert u == v, key
    return n


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    return _study()


@pytest.fixture(scope="module")
def two_wave_long(study, user_instrument):
    data = study[study["wave"].isin(["T1", "T2"])].reset_index(drop=True)
    return data, psychometrics.validate(data, user_instrument, id_column="pid",
                                        wave_column="wave", cluster="school")


def test_wide_file_gives_the_numbers_of_the_long_file(study, two_wave_long, user_instrument):
    long, expected = two_wave_long
    wide = _wide(long, ["pid"])
    assert {"A1_T1", "B3_T2", "age_T1", "school"} <= set(wide.columns)
    result = psychometrics.validate(wide, user_instrument, id_column="pid", wide="{item}_{wave}",
                                    cluster="school")
    assert _same_results(result.to_dict(), expected.to_dict()) > 500
    pd.testing.assert_frame_equal(
        result.scores.table.drop(columns="input_row"),
        expected.scores.table.drop(columns="input_row"), check_dtype=False)
    data = result.to_dict()["data"]
    assert data["layout"]["format"] == "wide" and data["layout"]["input_rows"] == len(wide)
    assert data["waves"] == ["T1", "T2"]
    # persons without any answer at a wave get no row there, and are counted
    absent = len(wide) - int((long["wave"] == "T2").sum())
    assert data["layout"]["person_waves_without_answers"] == {"T1": 0, "T2": absent}
    assert absent > 0
    assert set(data["layout"]["person_columns"]) == {"pid", "school", "gender", "age_T1"}
    # the person columns are kept, so a cluster (or group) column works from a wide file
    assert result.clusters["column"] == "school"


def test_wide_file_from_the_command_line(study, two_wave_long, tmp_path):
    long, expected = two_wave_long
    _wide(long, ["pid"]).to_csv(tmp_path / "wide.csv", index=False)
    out = tmp_path / "out"
    assert main(["validate", str(tmp_path / "wide.csv"), "--instrument",
                 str(_instrument_path()), "--id", "pid", "--wide", "--cluster", "school",
                 "--out", str(out), "--quiet", "--no-report"]) == 0
    got = json.loads((out / "results.json").read_text())
    assert _same_results(got, expected.to_dict()) > 500
    scores = pd.read_csv(out / "scores.csv", dtype={"pid": str})
    assert list(scores.columns[:3]) == ["input_row", "pid", "wave"]
    # a wide file's row numbers are its lines: each person's line, at both waves
    first = scores[scores["pid"] == long["pid"].iloc[0]]
    assert first["input_row"].nunique() == 1 and first["input_row"].iloc[0] == 2


def test_composite_id_gives_the_numbers_of_a_single_id(two_wave_long, user_instrument, tmp_path):
    long, expected = two_wave_long
    # ids 1..80 repeat in both studies: only study + id identifies a person
    assert long.drop_duplicates(["id", "wave"]).shape[0] < len(long)
    result = psychometrics.validate(long.drop(columns="pid"), user_instrument,
                                    id_column=["study", "id"], wave_column="wave",
                                    cluster="school")
    assert _same_results(result.to_dict(), expected.to_dict()) > 500
    assert result.to_dict()["data"]["id_columns"] == ["study", "id"]
    assert result.responses.n_persons == expected.responses.n_persons
    table = result.scores.table
    assert list(table.columns[:4]) == ["input_row", "study", "id", "wave"]
    np.testing.assert_array_equal(table["study"] + "-" + table["id"],
                                  expected.scores.table["pid"])
    written = result.write(tmp_path / "out", report=False)
    for name in ("scores", "change", "multi_scale"):
        frame = pd.read_csv(written[name], dtype=str)
        assert {"study", "id"} <= set(frame.columns), name
    change = pd.read_csv(written["change"], dtype=str)
    assert set(change["study"]) == {"S1", "S2"}
    from tests.test_thin_wave import _valid

    _valid(result.to_dict())


def test_score_command_writes_every_id_column(two_wave_long, tmp_path):
    long, _ = two_wave_long
    data = long.drop(columns="pid").copy()
    data.loc[data.index[:3], ["B1", "B2", "B3"]] = ""  # three rows without a calm score
    data.to_csv(tmp_path / "d.csv", index=False)
    out = tmp_path / "scores.csv"
    assert main(["score", str(tmp_path / "d.csv"), "--instrument", str(_instrument_path()),
                 "--id", "study,id", "--wave", "wave", "--out", str(out), "--quiet"]) == 0
    scores = pd.read_csv(out, dtype=str)
    assert list(scores.columns[:4]) == ["input_row", "study", "id", "wave"]
    unscored = pd.read_csv(tmp_path / "scores.unscored.csv", dtype=str)
    assert list(unscored.columns[:4]) == ["input_row", "study", "id", "wave"]
    assert len(unscored[unscored["scale"] == "calm"]) == 3


def test_composite_id_from_the_command_line_and_a_wide_file(two_wave_long, tmp_path):
    long, expected = two_wave_long
    wide = _wide(long.drop(columns="pid"), ["study", "id"])
    wide.to_csv(tmp_path / "wide.csv", index=False)
    out = tmp_path / "out"
    assert main(["validate", str(tmp_path / "wide.csv"), "--instrument", str(_instrument_path()),
                 "--id", "study,id", "--wide", "{item}_{wave}", "--cluster", "school",
                 "--out", str(out), "--quiet", "--no-report"]) == 0
    assert _same_results(json.loads((out / "results.json").read_text()), expected.to_dict()) > 500


def test_chosen_waves_of_a_four_wave_file_give_the_numbers_of_a_two_wave_file(
        study, user_instrument):
    expected = psychometrics.validate(
        study[study["wave"].isin(["T1", "T3"])].reset_index(drop=True), user_instrument,
        id_column="pid", wave_column="wave")
    result = psychometrics.validate(study, user_instrument, id_column="pid",
                                    wave_column="wave", waves=["T1", "T3"])
    assert _same_results(result.to_dict(), expected.to_dict()) > 500
    data = result.to_dict()["data"]
    counts = study["wave"].value_counts()
    assert data["waves_left_out"] == {"T2": int(counts["T2"]), "T4": int(counts["T4"])}
    assert data["waves"] == ["T1", "T3"]
    # the order is the user's: T3 before T1 gives the change T3->T1
    backwards = read_responses(study, user_instrument, id_column="pid", wave_column="wave",
                               waves=["T3", "T1"])
    assert backwards.waves == ("T3", "T1")


def test_chosen_waves_of_a_wide_file(study, user_instrument):
    wide = _wide(study, ["pid"])
    r = read_responses(wide, user_instrument, id_column="pid", wide="{item}_{wave}",
                       waves=["T2", "T4"])
    long = read_responses(study[study["wave"].isin(["T2", "T4"])], user_instrument,
                          id_column="pid", wave_column="wave")
    a, b = score(r).table, score(long).table
    pd.testing.assert_frame_equal(a.drop(columns="input_row"), b.drop(columns="input_row"),
                                  check_dtype=False)
    assert set(r.layout.waves_left_out) == {"T1", "T3"}


def test_invalid_cell_of_a_wide_file_is_named_by_its_own_column(study, user_instrument):
    wide = _wide(study, ["pid"])
    wide.loc[4, "B2_T3"] = "zes"
    with pytest.raises(ResponseError) as err:
        read_responses(wide, user_instrument, id_column="pid", wide="{item}_{wave}")
    p = err.value.problems
    assert p[["row", "column", "value", "problem"]].values.tolist() == [
        [4, "B2_T3", "zes", "not a number"]]


def test_wide_shape_errors_are_clear(study, user_instrument, tmp_path):
    wide = _wide(study, ["pid"])
    # an item at one wave without a column at another
    with pytest.raises(ResponseError, match=r"missing for the waves .*: A3_T2"):
        read_responses(wide.drop(columns="A3_T2"), user_instrument, id_column="pid",
                       wide="{item}_{wave}")
    # a column that fits the pattern in two ways: item A1 at wave '1_T1' or item A1_1?
    from instruments import Instrument

    inst = Instrument.from_dict({"id": "amb", "version": "1", "response_scale": {"min": 1, "max": 6},
                                 "scales": {"s": {"items": ["A1", "A1_1", "A2"]}}})
    ambiguous = pd.DataFrame({"pid": ["a", "b"], "A1_1_T1": ["1", "2"], "A1_T1": ["1", "2"],
                              "A2_T1": ["3", "4"]})
    with pytest.raises(ResponseError, match=r"column A1_1_T1: fits the wide pattern "
                       r"'\{item\}_\{wave\}' in 2 ways \(item 'A1' at wave '1_T1'; item 'A1_1' "
                       r"at wave 'T1'\)"):
        read_responses(ambiguous, inst, id_column="pid", wide="{item}_{wave}")
    with pytest.raises(ResponseError, match=r"no column fits the wide pattern 'T\{wave\}_\{item\}'"):
        read_responses(wide, user_instrument, id_column="pid", wide="T{wave}_{item}")
    with pytest.raises(OptionError, match=r"'wide' parameter .* must be None or a pattern"):
        read_responses(wide, user_instrument, id_column="pid", wide="{item}")
    with pytest.raises(OptionError, match="leave out --wave"):
        read_responses(wide, user_instrument, id_column="pid", wave_column="wave",
                       wide="{item}_{wave}")
    # from the command line: exit 2 and the message, never a traceback
    wide.drop(columns="A3_T2").to_csv(tmp_path / "w.csv", index=False)
    assert main(["score", str(tmp_path / "w.csv"), "--instrument", str(_instrument_path()),
                 "--id", "pid", "--wide", "--out", str(tmp_path / "s.csv"), "--quiet"]) == 2


def test_chosen_wave_that_is_not_there_and_ids_that_join_ambiguously(study, user_instrument):
    with pytest.raises(ResponseError, match=r"the chosen wave\(s\) T9 are not in the data. "
                       "Its waves are: T1, T2, T3, T4"):
        read_responses(study, user_instrument, id_column="pid", wave_column="wave",
                       waves=["T1", "T9"])
    with pytest.raises(OptionError, match="not both"):
        read_responses(study, user_instrument, id_column="pid", wave_column="wave",
                       waves=["T1", "T2"], wave_order=["T1", "T2", "T3", "T4"])
    clash = pd.DataFrame({"a": ["x / y", "x"], "b": ["z", "y / z"], "wave": ["T1", "T1"],
                          **{i: ["1", "2"] for i in ITEMS}})
    with pytest.raises(ResponseError, match="join to the same key 'x / y / z'"):
        read_responses(clash, user_instrument, id_column="a,b")
    no_studie = re.escape("there is no id column 'studie'. Did you mean 'study'")
    with pytest.raises(ResponseError, match=no_studie):
        read_responses(study, user_instrument, id_column=["studie", "id"], wave_column="wave")


def test_empty_part_of_a_composite_id_is_a_row_without_id(study, user_instrument):
    data = study[study["wave"].isin(["T1", "T2"])].reset_index(drop=True)
    data.loc[3, "study"] = ""
    r = read_responses(data, user_instrument, id_column=["study", "id"], wave_column="wave",
                       on_invalid="missing")
    assert len(r.keys) == len(data) - 1
    assert r.problems[["row", "problem"]].values.tolist() == [[3, "empty id: the row cannot be scored"]]


def _instrument_path():
    from tests.conftest import REFERENCE

    return REFERENCE / "scoring" / "instrument.yaml"


def test_wide_spss_file_with_numeric_ids_equals_the_long_file(two_wave_long, user_instrument,
                                                              tmp_path):
    """The most common wide file: SPSS, numbers everywhere, system-missing cells."""
    import pyreadstat

    long, expected = two_wave_long
    long = long.assign(nr=long["pid"].str.replace("S1-", "1").str.replace("S2-", "2"))
    wide = _wide(long.drop(columns="pid"), ["nr"])
    numeric = wide.drop(columns=["school", "gender"]).replace("", np.nan).astype(float)
    numeric["school"] = wide["school"]
    path = tmp_path / "wide.sav"
    pyreadstat.write_sav(numeric, str(path))
    result = psychometrics.validate(str(path), user_instrument, id_column="nr",
                                    wide="{item}_{wave}", cluster="school")
    assert _same_results(result.to_dict(), expected.to_dict()) > 500
    assert result.to_dict()["data"]["read_as"].startswith("SPSS .sav file")
    # ids read from SPSS numbers are kept as text without '.0'
    assert result.scores.table["nr"].iloc[0] == "11"


def test_one_chosen_wave_is_scored_alone(study, user_instrument):
    r = read_responses(study, user_instrument, id_column="pid", wave_column="wave", waves=["T2"])
    assert r.waves == ("T2",) and len(r.keys) == int((study["wave"] == "T2").sum())
    assert set(r.layout.waves_left_out) == {"T1", "T3", "T4"}
    wide = _wide(study, ["pid"])
    with pytest.raises(ResponseError, match=r"the item columns \('\{item\}_\{wave\}'\): the "
                       r"chosen wave\(s\) T9 are not in the data"):
        read_responses(wide, user_instrument, id_column="pid", wide="{item}_{wave}", waves=["T9"])
    # a wave column with one value the user did not choose is still refused
    with pytest.raises(ResponseError, match="the wave column has one value"):
        read_responses(study[study["wave"] == "T1"], user_instrument, id_column="pid",
                       wave_column="wave")
