"""--estimator WLSMV end to end: every CFA and invariance model of the run treats the
items as ordered (the onion scales of the example study: 5-point items, two waves)."""

import json

import pytest

from instruments.errors import OptionError
from psychometrics.cli import main
from psychometrics.example_study import example_data_path
from psychometrics.pipeline import validate


@pytest.fixture(scope="module")
def run():
    return validate(example_data_path(), "onion", id_column="teacher", wave_column="wave",
                    estimator="WLSMV")


def test_every_model_names_wlsmv(run):
    d = json.loads(json.dumps(run.to_dict()))
    assert d["settings"]["cfa"]["missing"] == "pairwise"
    assert d["settings"]["invariance"]["estimator"] == "WLSMV"
    for scale in d["scales"].values():
        for c in scale["cfa"].values():
            assert c["estimator"] == "WLSMV" and c["status"] == "ok"
            assert c["chi2_scaled"] is not None
            assert (c["cfi_scaled"] is None) == (c["df"] == 0)  # 3 items: just identified
            assert all(v is not None for v in c["loadings_std"].values())
            assert all(len(t) >= 3 for t in c["thresholds"].values())
        inv = scale["invariance"]
        assert inv["estimator"] == "WLSMV"
        # a category nobody used at one wave is refused, with the item named
        assert inv["status"] == "ok" or (inv["status"] == "blocked" and "item ONI" in inv["reason"])
    sequences = [s["invariance"] for s in d["scales"].values() if s["invariance"]["status"] == "ok"]
    assert sequences and all(s["steps"][0]["model"] == "configural" for s in sequences)
    assert any(st.get("delta_method", "").startswith("satorra.2000")
               for s in sequences for st in s["steps"][1:])
    for c in d["instrument_cfa"].values():
        assert c["estimator"] == "WLSMV"


def test_change_gate_and_no_invented_bias(run):
    d = run.to_dict()
    for scale in d["scales"].values():
        inv = scale["invariance"]
        for c in scale["change"].values():
            if inv["status"] != "ok" or inv["level"] not in ("scalar", "partial_scalar",
                                                             "strict", "partial_strict"):
                assert c["status"] == "blocked"
            elif inv["freed"]:
                assert c["bias_from_noninvariance"] is None


def test_outputs(run, tmp_path):
    run.write(tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert "Estimator WLSMV" in html
    lav = (tmp_path / "models" / "cfa_onion_environment_T0.lav").read_text()
    assert "ONI01 | t1" in lav and "~*~" in lav and "WLSMV" in lav


def test_estimator_is_checked(tmp_path, capsys):
    with pytest.raises(OptionError, match="'estimator' parameter of validate must be one of"):
        validate(example_data_path(), "onion", id_column="teacher", wave_column="wave",
                 estimator="MLM")
    with pytest.raises(SystemExit) as e:
        main(["validate", str(example_data_path()), "--instrument", "tse", "--id", "teacher",
              "--wave", "wave", "--estimator", "DWLS", "--out", str(tmp_path / "o")])
    assert e.value.code == 2
    assert "WLSMV" in capsys.readouterr().err
