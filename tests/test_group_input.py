"""validate --group: bad group input stops with exit 2 and names what is wrong; the
options are checked at the entrance; a small design runs through to results.json."""

from pathlib import Path

import numpy as np
import pytest

from instruments.errors import OptionError
from psychometrics import validate
from psychometrics.cli import main

HEADER = "id,wave,grp,A1,A2,A3,A4,A5,B1,B2,B3"


def _write(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "data.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return str(path)


def _validate(tmp_path, data, inst, *extra):
    return ["validate", data, "--instrument", inst, "--id", "id", "--wave", "wave",
            "--out", str(tmp_path / "out"), "--quiet", *extra]


def _run(args, capsys):
    code = main(args)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


GOOD = ["p1,T0,a,1,2,3,4,5,6,1,2", "p1,T1,a,2,2,3,4,5,6,1,2",
        "p2,T0,b,3,3,3,3,3,3,3,3", "p2,T1,b,4,4,4,4,4,4,4,4"]


def test_a_person_whose_group_changes_is_named_with_the_values(tmp_path, capsys,
                                                             user_instrument_path):
    lines = [*GOOD[:3], "p2,T1,a,4,4,4,4,4,4,4,4"]
    code, err = _run(_validate(tmp_path, _write(tmp_path, lines), user_instrument_path,
                               "--group", "grp"), capsys)
    assert code == 2
    assert "person p2" in err and "'b' at wave T0" in err and "'a' at wave T1" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("extra, expected", [
    (["--group", "nope"], "there is no group column 'nope'. Other columns: grp"),
    (["--group", "grp", "--group-order", "a,c"], "Found: a, b; got: a, c"),
])
def test_wrong_group_column_or_order_exit_2(tmp_path, capsys, user_instrument_path, extra,
                                            expected):
    code, err = _run(_validate(tmp_path, _write(tmp_path, GOOD), user_instrument_path, *extra),
                     capsys)
    assert code == 2 and expected in err


def test_empty_group_cell_names_row_and_column(tmp_path, capsys, user_instrument_path):
    lines = [*GOOD[:3], "p2,T1,,4,4,4,4,4,4,4,4"]
    code, err = _run(_validate(tmp_path, _write(tmp_path, lines), user_instrument_path,
                               "--group", "grp"), capsys)
    assert code == 2 and "row(s) 5, column 'grp': no group label" in err


def test_group_order_is_checked_at_the_entrance(user_instrument_path):
    with pytest.raises(OptionError, match="'group_order' parameter of validate must be None "
                                          "or a list of distinct non-empty str"):
        validate("unused.csv", user_instrument_path, group="grp", group_order="a,b")


def test_too_small_groups_are_refused_per_scale_with_a_reason(tmp_path, user_instrument_path):
    rng = np.random.default_rng(3)
    rows = []
    for i in range(60):
        g = "a" if i < 52 else "b"  # 8 persons in b: fewer than a group's free parameters
        for w in ("T0", "T1"):
            level = rng.normal()
            vals = np.clip(np.rint(3.5 + level + rng.normal(0, .8, 8)), 1, 6).astype(int)
            rows.append(f"p{i},{w},{g}," + ",".join(map(str, vals)))
    res = validate(_write(tmp_path, rows), user_instrument_path, id_column="id",
                   wave_column="wave", group="grp", group_order=["b", "a"])
    out = res.to_dict()
    assert out["data"]["groups"] == ["b", "a"] and out["data"]["persons_per_group"]["b"] == 8
    for scale, d in out["scales"].items():
        gi = d["group_invariance"]
        assert gi["status"] == "too_few_cases" and "b (8)" in gi["reason"], (scale, gi)
        assert gi["groups"] == ["b", "a"] and gi["steps"] == []
        for c in d["change_by_group"].values():
            assert c["status"] == "blocked" and "too_few_cases" in c["reason"]


def test_group_order_without_group_is_an_option_error(user_instrument_path):
    with pytest.raises(OptionError, match="'group_order' parameter of validate needs 'group'"):
        validate("unused.csv", user_instrument_path, group_order=["a", "b"])


def test_group_labels_are_escaped_and_group_models_written(tmp_path, user_instrument_path):
    rng = np.random.default_rng(5)
    rows = []
    for i in range(80):
        g = "<b>x" if i < 40 else "y&z"
        for w in ("T0", "T1"):
            level = rng.normal()
            vals = np.clip(np.rint(3.5 + level + rng.normal(0, .7, 8)), 1, 6).astype(int)
            rows.append(f"p{i},{w},{g}," + ",".join(map(str, vals)))
    res = validate(_write(tmp_path, rows), user_instrument_path, id_column="id",
                   wave_column="wave", group="grp", rule="chi2")
    html = res.report_html()
    assert "<b>x" not in html and "&lt;b&gt;x" in html and "y&amp;z" in html
    written = res.write(tmp_path / "out")
    names = sorted(p.name for p in Path(written["models"]).iterdir())
    assert any(n.startswith("group_invariance_") and n.endswith("_configural.lav") for n in names)
    text = next(Path(written["models"]).glob("group_invariance_*_configural.lav")).read_text()
    assert "group: 2" in text and "group.label = c('<b>x', 'y&z')" in text
