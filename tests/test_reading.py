"""Reading CSV (comma and Dutch semicolon/decimal comma), TSV, BOM, Windows-1252,
Excel and SPSS files: the same data give the same scores from every format."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from instruments import read_responses, read_table, score

ITEMS = ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3"]


@pytest.fixture()
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    values = rng.integers(1, 7, size=(12, 8)).astype(float)
    values[2, 3] = np.nan
    values[5, 0] = np.nan
    df = pd.DataFrame(values, columns=ITEMS).astype("Int64")
    df.insert(0, "wave", ["T0", "T1"] * 6)
    df.insert(0, "id", np.repeat([f"p{k}" for k in range(6)], 2))
    df["note"] = "héél goed"  # a non-item column with non-ASCII text
    return df


def _expected(frame, inst):
    """The scores of the DataFrame itself. Read from a file, the same answers give the same
    means: agreement exact; 1e-12 allows another summation order (nullable vs float)."""
    return score(frame, inst, wave_column="wave").table[["agree", "calm"]].to_numpy()


def test_comma_csv(tmp_path, frame, user_instrument):
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    got = score(path, user_instrument, wave_column="wave").table[["agree", "calm"]].to_numpy()
    assert_allclose(got, _expected(frame, user_instrument), rtol=1e-12)


def test_dutch_excel_csv_semicolon_decimal_comma_bom(tmp_path, frame, user_instrument):
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False, sep=";", encoding="utf-8-sig")
    raw = read_table(path)
    assert raw.decimal_comma and "semicolon" in raw.details
    got = score(path, user_instrument, wave_column="wave").table[["agree", "calm"]].to_numpy()
    assert_allclose(got, _expected(frame, user_instrument), rtol=1e-12)
    # A decimal comma is read as a decimal point: '2,5' is reported as not whole.
    text = path.read_text(encoding="utf-8-sig").splitlines()
    fields = text[1].split(";")
    fields[3] = "2,5"
    text[1] = ";".join(fields)
    path.write_text("\n".join(text), encoding="utf-8")
    r = read_responses(path, user_instrument, wave_column="wave", on_invalid="missing")
    assert r.problems.iloc[0][["row", "column", "value"]].tolist() == [2, "A2", "2,5"]
    assert r.problems.iloc[0]["problem"].startswith("not a whole number")


def test_tsv_and_windows_1252(tmp_path, frame, user_instrument):
    path = tmp_path / "d.tsv"
    frame.to_csv(path, index=False, sep="\t", encoding="cp1252")
    raw = read_table(path)
    assert "tab" in raw.details and "cp1252" in raw.details
    assert raw.cells["note"].iloc[0] == "héél goed"
    got = score(path, user_instrument, wave_column="wave").table[["agree", "calm"]].to_numpy()
    assert_allclose(got, _expected(frame, user_instrument), rtol=1e-12)


def test_excel(tmp_path, frame, user_instrument):
    path = tmp_path / "d.xlsx"
    frame.to_excel(path, index=False)
    got = score(path, user_instrument, wave_column="wave")
    assert_allclose(got.table[["agree", "calm"]].to_numpy(), _expected(frame, user_instrument), rtol=1e-12)
    assert got.table["input_row"].tolist() == list(range(2, 14))  # sheet rows, header = 1


def test_spss(tmp_path, frame, user_instrument):
    pyreadstat = pytest.importorskip("pyreadstat")
    path = tmp_path / "d.sav"
    out = frame.copy()
    out[ITEMS] = out[ITEMS].astype(float)
    pyreadstat.write_sav(out, str(path))
    got = score(path, user_instrument, wave_column="wave")
    assert_allclose(got.table[["agree", "calm"]].to_numpy(), _expected(frame, user_instrument), rtol=1e-12)
    assert got.table["input_row"].tolist() == list(range(1, 13))  # case numbers


def test_blank_lines_are_counted_not_scored(tmp_path, frame, user_instrument):
    path = tmp_path / "d.csv"
    text = frame.to_csv(index=False, sep=";").splitlines()
    text.insert(3, ";" * 10)  # Excel writes such lines for emptied rows
    path.write_text("\n".join(text) + "\n")
    r = read_responses(path, user_instrument, wave_column="wave")
    assert r.blank_rows == (4,)
    assert r.n_rows == 12 and len(r.keys) == 12


def test_dataframe_with_numeric_ids(user_instrument):
    df = pd.DataFrame({"id": [1.0, 2.0], **{i: [1, 2] for i in ITEMS}})
    r = read_responses(df, user_instrument)
    assert r.keys["id"].tolist() == ["1", "2"]
    assert r.waves == ("all",)


def test_wave_order(user_instrument, frame):
    df = frame.assign(wave=np.tile(["pre", "post"], 6))
    assert read_responses(df, user_instrument, wave_column="wave").waves == ("pre", "post")
    df = frame.assign(wave=np.tile(["wave 10", "wave 9"], 6))
    assert read_responses(df, user_instrument, wave_column="wave").waves == ("wave 9", "wave 10")
    r = read_responses(df, user_instrument, wave_column="wave", wave_order=["wave 10", "wave 9"])
    assert r.waves == ("wave 10", "wave 9")
