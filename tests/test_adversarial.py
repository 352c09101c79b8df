"""Hostile and broken input, one case per defect of issue 17 (and more found since).

Every case ends with exit 0 and the correct output, or exit 2 and a sentence that
names the file, row, column and value (or key); never a traceback. Nothing is
written outside --out, an earlier result in --out is not damaged by a failed run,
and the report holds no markup from the data (checked by parsing it).
"""

from __future__ import annotations

import errno
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from instruments import (
    Instrument,
    ItemBankError,
    ResponseError,
    read_responses,
    read_table,
    score,
)
from instruments.errors import OptionError
from psychometrics.cli import main
from psychometrics.report.outputs import MARKER

ITEMS = ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3"]
INSTRUMENT = """id: my-scale
version: "1"
response_scale: {min: 1, max: 6}
scales:
  agree: {items: [A1, A2, A3, A4, A5], reversed: [A1]}
  calm: {items: [B1, B2, B3], reversed: [B2, B3]}
"""
XSS = "<img src=x onerror=alert(1)>"


def frame(n: int = 10, waves=("T0", "T1"), seed: int = 2) -> pd.DataFrame:
    """Small long data: n persons x waves, answers 1..6. Seed 2: every model of a run
    stops within 100 Fisher-scoring iterations (seed 0's configural model runs off to an
    improper solution for all 500: 0.7 s per run, in ten of these tests)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(1, 7, size=(n, 1))
    rows = []
    for w in waves:
        x = np.clip(base + rng.integers(-1, 2, size=(n, len(ITEMS))), 1, 6)
        for k in range(n):
            rows.append({"id": f"p{k}", "wave": w, **dict(zip(ITEMS, x[k].tolist()))})
    return pd.DataFrame(rows)


def csv_text(df: pd.DataFrame, sep: str = ",") -> str:
    return df.to_csv(index=False, sep=sep, lineterminator="\n")


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() and not p.is_symlink() else b"")
            for p in sorted(root.rglob("*"))}


class Run:
    """One CLI run in a sandbox: checks exit code, message and where files went."""

    def __init__(self, tmp_path: Path, capsys):
        self.root = tmp_path
        self.capsys = capsys
        self.out = tmp_path / "work" / "results"
        self.inst = tmp_path / "inst.yaml"
        self.inst.write_text(INSTRUMENT, encoding="utf-8")

    def data(self, content: str | bytes, name: str = "data.csv") -> str:
        path = self.root / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return str(path)

    def earlier_result(self) -> dict[str, bytes]:
        """An earlier run's folder in --out (marker, results.json, a stale file)."""
        self.out.mkdir(parents=True)
        (self.out / MARKER).write_text("binnenuit\n")
        (self.out / "results.json").write_text('{"earlier": true}\n')
        (self.out / "stale.csv").write_text("x\n1\n")
        return files_under(self.out)

    def __call__(self, args: list[str], code: int | tuple[int, ...], *fragments: str,
                 allowed_outside: tuple[str, ...] = ()) -> str:
        before = files_under(self.root)
        got = main(args)
        err = self.capsys.readouterr().err
        assert "Traceback" not in err and "internal error" not in err, err
        assert got in (code if isinstance(code, tuple) else (code,)), err
        if got == 2:
            assert err.startswith("binnenuit: error: ") and len(err) < 5000, err
        for f in fragments:
            assert f in err, (f, err)
        # Nothing was written outside --out (nor temporary folders left beside it).
        after = files_under(self.root)
        out_rel = str(self.out.relative_to(self.root))
        changed = {k for k in set(after) | set(before) if after.get(k) != before.get(k)}
        parents = {str(p) for p in Path(out_rel).parents}  # the folders made for --out
        outside = {k for k in changed if not (k == out_rel or k.startswith(out_rel + "/"))
                   and k not in parents and k not in allowed_outside}
        assert not outside, outside
        return err


@pytest.fixture()
def run(tmp_path, capsys) -> Run:
    return Run(tmp_path, capsys)


def validate_args(run: Run, data: str, *extra: str, report: bool = False) -> list[str]:
    return ["validate", data, "--instrument", str(run.inst), "--id", "id", "--wave", "wave",
            "--out", str(run.out), "--quiet", *([] if report else ["--no-report"]), *extra]


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def assert_no_injected_markup(html_text: str, *labels: str) -> None:
    parser = _Tags()
    parser.feed(html_text)
    names = {t for t, _ in parser.tags}
    assert not names & {"img", "script", "iframe", "object", "embed", "base", "form"}, names
    for tag, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            assert not (value or "").strip().lower().startswith("javascript:"), (tag, value)
    csp = [a for t, a in parser.tags if t == "meta" and ("http-equiv", "Content-Security-Policy") in a]
    assert csp and "script-src 'none'" in dict(csp[0])["content"]
    text = "".join(parser.text)
    for label in labels:  # the hostile labels are shown as text
        assert label in text, label


# -- security ---------------------------------------------------------------------------

def test_hostile_labels_are_text_in_the_report_and_files_stay_inside_out(run, tmp_path):
    title = "<svg onload=alert(3)>"
    inst = INSTRUMENT.replace('version: "1"', 'version: "<script>alert(2)</script>"').replace(
        "calm: {items: [B1, B2, B3]", f"calm: {{title: {{nl: '{title}', en: '{title}'}}, "
        f"items: ['{XSS}', B2, B3]")
    run.inst.write_text(inst, encoding="utf-8")
    df = frame(waves=("../../../evil", XSS)).rename(columns={"B1": XSS})
    df["<b onmouseover=alert(4)>school"] = ["S1", "S2"] * 10  # a cluster column
    df = df.astype({"A2": object})
    df.loc[3, "A2"] = "<iframe src=javascript:alert(5)>"  # shown in the problems table
    data = run.data(csv_text(df), name="<img src=y onerror=alert(6)>.csv")
    run(validate_args(run, data, "--on-invalid", "missing", "--cluster",
                      "<b onmouseover=alert(4)>school", report=True), 0)
    html_text = (run.out / "report.html").read_text(encoding="utf-8")
    assert_no_injected_markup(html_text, XSS, "../../../evil", "<script>alert(2)</script>",
                              title, "<b onmouseover=alert(4)>school",
                              "<iframe src=javascript:alert(5)>", "<img src=y onerror=alert(6)>.csv")
    # Every file name is a plain slug inside --out.
    for p in run.out.rglob("*"):
        assert p.resolve().is_relative_to(run.out.resolve())
        assert "<" not in p.name and ".." not in p.name.replace(".csv", "").replace(".lav", "")
    assert not list(tmp_path.rglob("evil*"))
    res = json.loads((run.out / "results.json").read_text())
    assert res["data"]["waves"] == ["../../../evil", XSS]  # the labels themselves are kept
    assert res["instrument"]["version"] == "<script>alert(2)</script>"


@pytest.mark.skipif(shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists(),
                    reason="headless Chromium is not installed")
def test_hostile_report_runs_no_script_in_a_real_browser(run, tmp_path):  # pragma: no cover
    import subprocess

    df = frame(waves=("T0", XSS.replace("alert(1)", "document.title='pwned'")))
    run(validate_args(run, run.data(csv_text(df)), report=True), 0)
    browser = shutil.which("chromium") or "/usr/bin/chromium"
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                          f"--user-data-dir={tmp_path / 'profile'}",
                          (run.out / "report.html").as_uri()],
                         capture_output=True, text=True, timeout=120, check=False).stdout
    assert "pwned" not in dom.split("</title>")[0] and "<img" not in dom


def test_symlinks_in_out_are_not_followed(run, tmp_path):
    run.earlier_result()
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    (run.out / "results.json").unlink()
    (run.out / "results.json").symlink_to(target)
    (run.out / "tables").symlink_to(tmp_path, target_is_directory=True)
    run(validate_args(run, run.data(csv_text(frame()))), 0)
    assert target.read_text() == "keep me\n"
    assert not (run.out / "results.json").is_symlink()
    assert json.loads((run.out / "results.json").read_text())["data"]["n_rows"] == 20


def test_out_that_is_a_symlink_is_refused(run, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    run.out.parent.mkdir(parents=True)
    run.out.symlink_to(real, target_is_directory=True)
    run(validate_args(run, run.data(csv_text(frame()))), 2, "is a symbolic link")
    assert not any(real.iterdir())


@pytest.mark.parametrize("yaml_text, fragment", [
    ("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
     + "id: [*i]\n", "aliases"),
    (INSTRUMENT.replace("response_scale: {min: 1, max: 6}", "response_scale: {min: 1, max: 10000000}"),
     "at most 101"),
    (INSTRUMENT + "scales:\n  agree: {items: [A1, A2, A3, A4, A5]}\n", "duplicate key 'scales'"),
    (INSTRUMENT.replace("reversed: [A1]", "reversed: [A1], reversed: []"), "duplicate key 'reversed'"),
    ("id: x\nversion: '1'\nscales: " + "[" * 200 + "]" * 200 + "\n", "nested"),
    (INSTRUMENT.replace("response_scale: {min: 1, max: 6}", "response_scale: {min: 1, max: 6.5}"),
     "response_scale"),
    ("- just\n- a list\n", "expected a mapping"),
    ("id: x\nversion: '1'\ntitle: !!python/object/apply:os.system ['echo hi']\n",
     "not valid YAML"),
])
def test_hostile_instrument_files(run, yaml_text, fragment):
    run.inst.write_text(yaml_text, encoding="utf-8")
    err = run(["score", run.data(csv_text(frame())), "--instrument", str(run.inst), "--wave",
               "wave", "--out", str(run.out / "s.csv")], 2, "inst.yaml", fragment)
    assert len(err) < 3000


def test_instrument_file_that_is_not_utf8(run):
    run.inst.write_bytes(INSTRUMENT.replace("my-scale", "m\xe9").encode("cp1252"))
    run(["score", run.data(csv_text(frame())), "--instrument", str(run.inst), "--out",
         str(run.out / "s.csv")], 2, "not UTF-8", "line 1")


def test_spreadsheet_formulas_in_cells_are_neutralized(run):
    df = frame(n=4, waves=("T0", "T1"))
    df["id"] = df["id"].map({"p0": '=HYPERLINK("http://x")', "p1": "+1+2", "p2": "@SUM(A1)",
                             "p3": "-2+3"})
    df["note"] = ["=cmd|' /C calc'!A0", "-5", "ok", "\tx"] * 2
    run(["score", run.data(csv_text(df)), "--instrument", str(run.inst), "--wave", "wave",
         "--out", str(run.out / "s.csv"), "--quiet"], 0)
    out = pd.read_csv(run.out / "s.csv", dtype=str, keep_default_na=False)
    assert set(out["id"]) == {"'=HYPERLINK(\"http://x\")", "'+1+2", "'@SUM(A1)", "'-2+3"}


# -- outputs: atomic, no stale files, --out checked first ---------------------------------

def _fail_writing(monkeypatch, exc: BaseException):
    import psychometrics.report.outputs as outputs

    def broken(data, path):
        path.write_text('{"half": ')  # a truncated file, as on a full disk
        raise exc

    monkeypatch.setattr(outputs, "write_json", broken)


@pytest.mark.parametrize("exc, code, fragment", [
    (OSError(errno.ENOSPC, "No space left on device"), 2, "No space left on device"),
    (KeyboardInterrupt(), 1, "interrupted"),
])
def test_a_failed_run_leaves_the_earlier_result_intact(run, monkeypatch, exc, code, fragment):
    earlier = run.earlier_result()
    _fail_writing(monkeypatch, exc)
    run(validate_args(run, run.data(csv_text(frame()))), code, fragment)
    assert files_under(run.out) == earlier
    assert [p.name for p in run.out.parent.iterdir()] == ["results"]  # no temporary folder left


def test_an_earlier_runs_files_are_not_mixed_with_the_new_ones(run):
    run.earlier_result()
    bad = frame()
    bad.loc[0, "A2"] = 9
    data = run.data(csv_text(bad))
    run(validate_args(run, data, "--on-invalid", "missing"), 0)
    assert (run.out / "problems.csv").is_file() and not (run.out / "stale.csv").exists()
    run(validate_args(run, run.data(csv_text(frame()))), 0)  # a second run, no problems
    assert not (run.out / "problems.csv").exists()
    assert json.loads((run.out / "results.json").read_text())["problems"] == []


@pytest.mark.parametrize("where", ["same", "parent"])
def test_out_that_holds_the_input_is_refused(run, where):
    data = run.data(csv_text(frame()))
    out = run.root if where == "same" else run.root.parent
    before = Path(data).read_bytes()
    code = main(["validate", data, "--instrument", str(run.inst), "--wave", "wave", "--out",
                 str(out), "--quiet", "--no-report"])
    err = run.capsys.readouterr().err
    assert code == 2 and "contains the input" in err
    assert Path(data).read_bytes() == before


def test_out_with_other_files_is_refused(run):
    run.out.mkdir(parents=True)
    (run.out / "thesis.docx").write_text("years of work")
    run(validate_args(run, run.data(csv_text(frame()))), 2, "thesis.docx", "not written by binnenuit")
    assert (run.out / "thesis.docx").read_text() == "years of work"


def test_unusable_out_is_found_before_the_analysis(run, monkeypatch):
    import psychometrics.pipeline as pipeline

    def no_analysis(*a, **k):
        raise AssertionError("the analysis ran before --out was checked")

    monkeypatch.setattr(pipeline, "validate", no_analysis)
    blocker = run.root / "work"
    blocker.write_text("a file")
    run(validate_args(run, run.data(csv_text(frame()))), 2, "is a file", allowed_outside=())


def test_score_out_cannot_overwrite_its_input(run):
    data = run.data(csv_text(frame()))
    run(["score", data, "--instrument", str(run.inst), "--wave", "wave", "--out", data], 2,
        "is the input")


# -- input reading ----------------------------------------------------------------------

def _workbook(path: Path, sheets: dict[str, pd.DataFrame], formula: str | None = None) -> str:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, df in sheets.items():
        ws = book.create_sheet(name)
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append(list(row))
        if formula:
            ws["C3"] = formula  # openpyxl stores no calculated value
    book.save(path)
    return str(path)


def test_workbook_with_several_sheets_needs_sheet(run):
    path = _workbook(run.root / "d.xlsx", {"T0": frame(), "notes": pd.DataFrame({"x": [1]})})
    run(["score", path, "--instrument", str(run.inst), "--wave", "wave", "--out",
         str(run.out / "s.csv")], 2, "d.xlsx", "2 sheets ('T0', 'notes')", "--sheet")
    run(["score", path, "--instrument", str(run.inst), "--wave", "wave", "--sheet", "T0",
         "--out", str(run.out / "s.csv"), "--quiet"], 0)
    assert len(pd.read_csv(run.out / "s.csv")) == 20
    run(["score", path, "--instrument", str(run.inst), "--sheet", "nope", "--out",
         str(run.out / "s.csv")], 2, "no sheet 'nope'")


def test_formula_without_a_stored_value_is_an_error(run):
    path = _workbook(run.root / "d.xlsx", {"data": frame()}, formula="=1+1")
    run(["score", path, "--instrument", str(run.inst), "--wave", "wave", "--out",
         str(run.out / "s.csv")], 2, "d.xlsx", "C3 (=1+1)", "no stored value")


@pytest.mark.parametrize("name, content, fragment", [
    ("short.csv", "id,wave,A1,A2,A3,A4,A5,B1,B2,B3\np1,T0,1,2,3,4,5,6,1,2\np1,T1,1,2,3\n",
     "line 3 (5 fields)"),
    ("one.csv", "id,wave,A1,A2,A3,A4,A5,B1,B2,B3\np1,T0,1,2,3,4,5,6,1,2\np2\n", "line 3 (1 field)"),
    ("long.csv", "id,wave,A1,A2,A3,A4,A5,B1,B2,B3\np1,T0,1,2,3,4,5,6,1,2\np1,T1,1,2,3,4,5,6,1,2,7\n",
     "line 3 has 11 fields"),
    ("header.csv", "id,wave,A1,A2,A3,A4,A5,B1,B2,B3\n", "no data rows"),
    ("empty.csv", "\n\n  \n", "the file is empty"),
    ("utf16.csv", csv_text(frame()).encode("utf-16-le"), "NUL byte"),
    ("bad.csv", b"id,wave\n\x81\x8d,T0\n", "neither UTF-8 nor Windows-1252"),
    ("dutch.csv", csv_text(frame(), ";").replace(";4;", ";4.000;", 1), "thousands separator"),
    ("waves.csv", csv_text(frame()).replace(",T0,", ",1,").replace(",T1,", ",1.0,", 3),
     "'1' and '1.0'"),
])
def test_broken_text_files(run, name, content, fragment):
    run(["score", run.data(content, name), "--instrument", str(run.inst), "--wave", "wave",
         "--out", str(run.out / "s.csv")], 2, name, fragment)


@pytest.mark.parametrize("encoding, option", [
    ("cp1252", None), ("cp1252", "cp1252"), ("utf-16", None), ("utf-16-le", "utf-16-le"),
    ("utf-8-sig", None), ("latin-1", "latin-1"),
])
def test_encodings_read_correctly(run, encoding, option):
    df = frame()
    df["note"] = "café Straße"
    path = run.data(csv_text(df).encode(encoding))
    run(["score", path, "--instrument", str(run.inst), "--wave", "wave", "--out",
         str(run.out / "s.csv"), "--quiet"] + (["--encoding", option] if option else []), 0)
    assert len(pd.read_csv(run.out / "s.csv")) == 20
    raw = read_table(path, encoding=option)
    assert raw.cells["note"].tolist() == ["café Straße"] * 20
    assert (encoding.split("-")[0] if option is None else option) in raw.details


def test_unknown_encoding_is_named(run):
    run(["score", run.data(csv_text(frame())), "--instrument", str(run.inst), "--encoding",
         "klingon", "--out", str(run.out / "s.csv")], 2, "unknown encoding 'klingon'")


def test_blank_lines_before_the_header_and_quoted_newlines_keep_line_numbers(run):
    df = frame(n=3)
    df["note"] = ["one\nline more", "x", "y", "z", "w", "v"]
    df.loc[2, "A3"] = 9  # on the record that starts on line 3 + 2 blank lines + 1 quoted newline
    text = "\n\n" + csv_text(df)
    err = run(["score", run.data(text), "--instrument", str(run.inst), "--wave", "wave",
               "--out", str(run.out / "s.csv")], 2, "row 7, column A3, value '9'")
    assert "1 problem" in err


def test_ids_above_2_to_the_53_stay_distinct():
    inst = Instrument.from_dict({"id": "t", "version": "1", "response_scale": {"min": 1, "max": 6},
                                 "scales": {"s": {"items": ["A1", "A2", "A3"]}}})
    big = 2**53
    df = pd.DataFrame({"id": np.array([big, big + 1, big + 2], dtype=np.int64),
                       "A1": [1, 2, 3], "A2": [1, 2, 3], "A3": [1, 2, 3]})
    r = read_responses(df, inst)
    assert r.keys["id"].tolist() == [str(big), str(big + 1), str(big + 2)]
    df = df.astype({"id": "Int64"})
    df.loc[1, "id"] = pd.NA
    r = read_responses(df, inst, on_invalid="missing")
    assert r.keys["id"].tolist() == [str(big), str(big + 2)]


def test_ids_above_2_to_the_53_from_a_csv(run):
    big = 2**53
    df = frame(n=2, waves=("T0", "T1"))
    df["id"] = df["id"].map({"p0": str(big), "p1": str(big + 1)})
    run(["score", run.data(csv_text(df)), "--instrument", str(run.inst), "--wave", "wave",
         "--out", str(run.out / "s.csv"), "--quiet"], 0)
    out = pd.read_csv(run.out / "s.csv", dtype={"id": str})
    assert sorted(set(out["id"])) == [str(big), str(big + 1)]


def test_instrument_version_is_kept_as_written(tmp_path):
    path = tmp_path / "i.yaml"
    path.write_text(INSTRUMENT.replace('version: "1"', "version: 1.10"), encoding="utf-8")
    assert Instrument.from_file(path).version == "1.10"


# -- options ----------------------------------------------------------------------------

@pytest.mark.parametrize("value, fragment", [("1", "an int in [1000, 1000000]. Got 1"),
                                             ("0", "Got 0 instead"), ("-5", "Got -5 instead")])
def test_n_boot_below_the_minimum(run, value, fragment):
    run(validate_args(run, run.data(csv_text(frame())), "--alpha-ci", "bootstrap", "--n-boot",
                      value), 2, "'n_boot'", fragment)


@pytest.mark.parametrize("option, value", [
    ("rule", "bogus"), ("missing", "bogus"), ("model_missing", "pairwise"),
    ("null_model", "none"), ("rci_reliability", "kr20"), ("alpha_ci", "bca"),
    ("id_column", 5), ("wave_column", ""), ("missing_codes", "-99"),
    ("missing_codes", [float("nan")]), ("missing_codes", [1 + 2j]), ("n_boot", 2.5),
    ("seed", -1), ("ignore_invariance", "yes"), ("cluster", 3), ("wave_order", "T0,T1"),
    ("on_invalid", "ignore"),
])
def test_api_options_are_checked_at_the_entrance(option, value):
    import psychometrics

    with pytest.raises(OptionError, match=f"The '{option}' parameter of validate must be"):
        psychometrics.validate(frame(), "tse", **{option: value})


def test_cli_options_list_the_allowed_values(run, capsys):
    with pytest.raises(SystemExit) as exc:
        main(validate_args(run, run.data(csv_text(frame())), "--rule", "bogus"))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "'cfi-rmsea', 'chen-small-n', 'chi2'" in err


@pytest.mark.parametrize("args, fragment", [
    (["--id", "wave"], "both 'wave'"),
    (["--missing-code", "nan"], "'missing_codes'"),
    (["--wave-order", "T0,,T1"], "'wave_order'"),
])
def test_cli_option_combinations(run, args, fragment):
    run(validate_args(run, run.data(csv_text(frame())), *args), 2, fragment)


def test_missing_codes_may_be_one_number():
    df = frame(n=3)
    df.loc[0, "A2"] = -99
    r = read_responses(df, Instrument.load(Path(__file__).parent / "reference" / "scoring"
                                           / "instrument.yaml"), wave_column="wave",
                       missing_codes=-99)
    assert np.isnan(r.values[0, 1]) and len(r.problems) == 0


def test_complex_numbers_are_not_scored(user_instrument):
    df = frame(n=3).astype({"A1": complex})
    df.loc[1, "A1"] = 2 + 1j
    with pytest.raises(ResponseError, match=r"row 1, column A1, value '\(2\+1j\)': not a number"):
        score(df, user_instrument, wave_column="wave")


def test_multiindex_dataframes(user_instrument):
    df = frame(n=3)
    with pytest.raises(ResponseError, match="MultiIndex"):
        score(df.set_axis(pd.MultiIndex.from_tuples([(c, "x") for c in df.columns]), axis=1),
              user_instrument, wave_column="wave")
    indexed = df.set_index(["id", "wave"], drop=False)
    indexed.loc[indexed.index[2], "A3"] = 9
    with pytest.raises(ResponseError, match="row 3, column A3, value '9'"):
        score(indexed, user_instrument, wave_column="wave")


# -- degenerate data that used to crash ----------------------------------------------------

def _blank(df: pd.DataFrame, rows, cols) -> pd.DataFrame:
    df = df.astype(dict.fromkeys(cols, object))
    df.loc[rows, cols] = ""
    return df


@pytest.mark.parametrize("case", [
    "scale_missing", "slash_wave", "long_name", "one_person", "few_persons",
    "scale_missing_at_one_wave",
])
def test_degenerate_data_gives_statuses_not_crashes(run, case):
    df = frame()
    if case == "scale_missing":
        df = _blank(df, df.index, ["B1", "B2", "B3"])
    elif case == "scale_missing_at_one_wave":
        df = _blank(df, df["wave"] == "T1", ["B1", "B2", "B3"])
    elif case == "few_persons":
        df = df[df["id"].isin(["p0", "p1", "p2"])]
    elif case == "slash_wave":
        df["wave"] = df["wave"].map({"T0": "2023/24", "T1": "2024/25"})
    elif case == "long_name":
        run.inst.write_text(INSTRUMENT.replace("calm:", "c" * 300 + ":"), encoding="utf-8")
    elif case == "one_person":
        df = df[df["id"] == "p0"]
    run(validate_args(run, run.data(csv_text(df)), "--on-invalid", "missing"), 0)
    res = json.loads((run.out / "results.json").read_text())
    for scale in res["scales"].values():
        for c in scale["cfa"].values():
            assert c["status"] == "ok" or c["chi2"] is None
    for p in run.out.rglob("*"):
        assert len(p.name) <= 120
    if case == "scale_missing_at_one_wave":
        inv = next(s["invariance"] for s in res["scales"].values() if "B1" in s["items"])
        assert inv["status"] == "no_variance" and "B1 at T1" in inv["reason"]


def test_a_wave_without_any_answer_is_an_error(run):
    df = _blank(frame(), frame()["wave"] == "T1", ITEMS)
    run(validate_args(run, run.data(csv_text(df))), 2,
        "column wave, value 'T1': no answer to any item in the wave's 10 rows")


def test_data_that_is_a_folder(run):
    (run.root / "folder.csv").mkdir()
    run(["score", str(run.root / "folder.csv"), "--instrument", str(run.inst), "--out",
         str(run.out / "s.csv")], 2, "is a folder")


def test_unknown_instrument_option_in_api_is_an_item_bank_error(tmp_path):
    path = tmp_path / "i.yaml"
    path.write_text(INSTRUMENT.replace("scales:", "scaless:"), encoding="utf-8")
    with pytest.raises(ItemBankError, match="unknown key"):
        Instrument.from_file(path)


def test_runs_into_one_folder_at_the_same_time_do_not_mix(tmp_path, user_instrument):
    import threading

    import psychometrics
    from instruments.errors import OutputError
    from psychometrics.report.outputs import write_outputs

    results = [psychometrics.validate(frame(seed=s), user_instrument, wave_column="wave")
               for s in (1, 2)]
    out = tmp_path / "shared"
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def write(k: int) -> None:
        barrier.wait()
        try:
            write_outputs(results[k % 2], out, report=False)
            outcomes.append("ok")
        except OutputError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with pytest.raises(OptionError, match="The 'lang' parameter of write_outputs must be one of 'en', 'nl'"):
        write_outputs(results[0], out, lang="fr")
    assert "ok" in outcomes and all(o == "ok" or "at the same time" in o or "during the run" in o
                                    for o in outcomes), outcomes
    # One whole result: its results.json and scores.csv come from the same run.
    res = json.loads((out / "results.json").read_text())
    scores = pd.read_csv(out / "scores.csv")
    k = [r.to_dict()["scales"]["agree"]["reliability"]["T0"]["alpha"] for r in results].index(
        res["scales"]["agree"]["reliability"]["T0"]["alpha"])
    # scores.csv holds repr'd floats, which pandas' default parser reads back to within an
    # ulp or so; the other runs' scores differ by far more
    assert np.allclose(scores["agree"], results[k].scores.table["agree"], rtol=1e-12, atol=0,
                       equal_nan=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared"]


def test_odd_python_values_in_an_api_dataframe(user_instrument):
    df = frame(n=3).astype({"A1": object, "id": object})
    df.loc[0, "A1"] = b"\x80"
    df.loc[1, "id"] = 2.0**64  # a float id beyond int64
    df.loc[2, "id"] = float("inf")
    with pytest.raises(ResponseError, match=r"column A1, value 'b'\\x80'': not a number"):
        score(df, user_instrument, wave_column="wave")
    r = read_responses(df, user_instrument, wave_column="wave", on_invalid="missing")
    assert r.keys["id"].tolist()[:4] == ["p0", "18446744073709551616", "inf", "p0"]


def test_an_item_that_is_also_the_id_column(run):
    run.inst.write_text(INSTRUMENT.replace("[A1, A2, A3, A4, A5], reversed: [A1]", "[id, A2, A3, A4, A5]"),
                        encoding="utf-8")
    run(["score", run.data(csv_text(frame())), "--instrument", str(run.inst), "--wave", "wave",
         "--out", str(run.out / "s.csv")], 2, "'id' is an item of the instrument and also the id column")


def test_figure_labels_are_not_mathtext_and_sizes_are_bounded():
    from psychometrics.report import figures

    items = pd.DataFrame({"$\\frac{": [1.0, 2.0, 3.0, 2.0], "A$": [1.0, 1.0, 2.0, 3.0]})
    svg = figures.response_distribution(items, np.array(["$x^", "$x^", "T1", "T1"]), 1, 3)
    assert "$x^" in svg and "$\\frac{" in svg
    with pytest.raises(ValueError, match="at most 101"):
        figures.response_distribution(items, np.array(["a"] * 4), 1, 10_000_000)
    many = pd.DataFrame(np.ones((4, 150)), columns=[f"i{k}" for k in range(150)])
    svg = figures.response_distribution(many, np.array(["a", "a", "b", "b"]), 1, 5)
    _width, height = (float(v.rstrip("pt")) for v in
                     __import__("re").search(r'width="([\d.]+pt)" height="([\d.]+pt)"', svg).groups())
    assert height <= 72 * figures.MAX_INCHES * 1.2


def test_sheet_and_encoding_through_the_api(tmp_path, user_instrument):
    path = _workbook(tmp_path / "d.xlsx", {"a": frame(), "b": frame(n=2)})
    assert len(score(path, user_instrument, wave_column="wave", sheet="b").table) == 4
    text = tmp_path / "d.csv"
    text.write_bytes(csv_text(frame()).encode("utf-16-le"))
    assert len(score(text, user_instrument, wave_column="wave", encoding="utf-16-le").table) == 20
    with pytest.raises(OptionError, match="The 'sheet' parameter of read_responses"):
        score(path, user_instrument, wave_column="wave", sheet=0)


def test_a_header_that_starts_with_an_empty_name(run):
    text = "\n ,\n" + frame().to_csv(lineterminator="\n")  # pandas' index column has no name
    run(["score", run.data(text), "--instrument", str(run.inst), "--wave", "wave", "--out",
         str(run.out / "s.csv"), "--quiet"], 0)
    assert pd.read_csv(run.out / "s.csv")["input_row"].tolist()[:2] == [4, 5]
