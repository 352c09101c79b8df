"""The report says what was done (issue 18): captions and sentences generated from the
run, for complete data and FIML data, with and without clusters; no Python reprs."""

import html
import re

import pytest

import psychometrics
from tests.test_shapes import _study

WAVES = ["T1", "T2"]


def _run(missing: float, absent: float, cluster: str | None, instrument):
    data = _study(missing=missing, absent=absent)
    data = data[data["wave"].isin(WAVES)].reset_index(drop=True)
    result = psychometrics.validate(data, instrument, id_column="pid", wave_column="wave",
                                    cluster=cluster)
    return data, result, result.to_dict(), result.report_html()


@pytest.fixture(scope="module")
def complete(user_instrument):
    return _run(0.0, 0.0, None, user_instrument)


@pytest.fixture(scope="module")
def fiml(user_instrument):
    return _run(0.04, 0.12, "school", user_instrument)


def _text(page: str) -> str:
    """The report's visible text (tags out, entities decoded; no style block)."""
    body = re.sub(r"<style>.*?</style>|<svg.*?</svg>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_complete_data_caption(complete):
    data, _result, res, page = complete
    text = _text(page)
    n = data["pid"].nunique()
    for scale in ("agree", "calm"):
        inv = res["scales"][scale]["invariance"]
        assert inv["n"] == inv["n_total"] == n
        assert inv["missing_rule"].startswith("complete data")
    assert text.count(f"n = {n} persons, each with every item at every wave (complete data).") == 2
    assert "full-information" not in text
    # settings say what was asked and what was applied, consistently
    assert res["settings"]["invariance"]["missing"] == "fiml"
    assert res["settings"]["invariance"]["missing_applied"] == ["complete data"]
    assert res["settings"]["cfa"]["missing_applied"] == ["complete data"]


def test_fiml_caption_counts_who_was_included(fiml):
    data, _result, res, page = fiml
    text = _text(page)
    wide = data.pivot(index="pid", columns="wave", values=["A1", "A2", "A3", "A4", "A5"])
    wide = wide.replace("", float("nan"))  # empty cells are missing answers
    n = len(wide)
    complete = int(wide.notna().all(axis=1).sum())
    # the generated sentence, with the numbers counted here from the data itself
    seen_once = int(data.groupby("pid")["wave"].nunique().lt(2).sum())
    inv = res["scales"]["agree"]["invariance"]
    assert inv["n"] == n and inv["missing_rule"].startswith("full-information")
    blank = data[["A1", "A2", "A3", "A4", "A5"]].eq("")
    skipped = n - complete - seen_once
    assert skipped > 0 and seen_once > 0 and blank.any(axis=None)
    expected = (f"n = {n} of {n} persons, by full-information ML: {complete} answered every item "
                f"at every wave, {seen_once} were not seen at every wave, {skipped} skipped some "
                "items; every answer given counts.")
    assert expected in text
    assert "complete data" not in text.split("Methods and settings")[0]
    assert res["settings"]["invariance"]["missing_applied"] == ["fiml"]


def test_clusters_are_mentioned_only_when_there_are_some(complete, fiml):
    assert "clusters section" not in _text(complete[3])
    assert "Clusters (" not in complete[3]
    text = _text(fiml[3])
    assert "see the clusters section (school) for the design effect of the clusters." in text
    assert "Clusters (school)" in text


@pytest.mark.parametrize("case", ["complete", "fiml"])
def test_no_python_reprs_and_no_doubled_words(case, request):
    page = request.getfixturevalue(case)[3]
    text = _text(page)
    for repr_like in ("{'", "['", "': ", "None", "True", "False", "nan"):
        assert repr_like not in text, repr_like
    assert not re.search(r"\b(\w+) \1\b", text), re.search(r"\b(\w+) \1\b", text)
    assert "persons by number of scales improved" in text
    # the settings are nested lists in words
    assert "decision rule" in text and "ignore invariance : no" in re.sub(r"\s+", " ", text)


def test_the_data_section_says_how_the_file_was_shaped(user_instrument):
    from tests.test_shapes import _wide

    data = _study()
    wide = _wide(data.drop(columns="pid"), ["study", "id"])
    result = psychometrics.validate(wide, user_instrument, id_column="study,id",
                                    wide="{item}_{wave}", waves=["T1", "T3"])
    text = re.sub(r"\s+", " ", _text(result.report_html()))
    counts = data["wave"].value_counts()
    n = data["pid"].nunique()
    rows = int(counts["T1"] + counts["T3"])
    assert (f"{rows} rows after reshaping, one per person and wave, ({rows} scored) from {n} "
            "persons") in text
    assert (f"A wide file of {n} rows, one per person, item columns named '{{item}}_{{wave}}'; "
            "each person's answers at a wave make one row (no row where a person answered "
            f"nothing at a wave: T3 {n - counts['T3']}).") in text
    assert "A person is identified by study and id together." in text
    assert (f"Rows of the waves not chosen were not analysed: T2 {counts['T2']} rows, "
            f"T4 {counts['T4']} rows.") in text
    # a long file with one id and all its waves gets none of these sentences
    plain = _text(psychometrics.validate(data[data["wave"].isin(WAVES)], user_instrument,
                                         id_column="pid", wave_column="wave").report_html())
    for sentence in ("A wide file", "identified by", "not chosen", "after reshaping"):
        assert sentence not in plain
