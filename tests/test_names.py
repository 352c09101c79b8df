"""Factor and item names never collide in the generated models (issue 18).

A scale named like one of its items ('agree' holds 'agree') or like another scale's
item (scale 'B1', item B1 of 'calm') used to stop validate with "parameter ... is
specified twice". Factors are now written with a leading dot, which no item id can
start with; the exported models are valid lavaan syntax and refit in R to the same
chi-square (tests/reference/names/make_reference.R), and a person reads the
user's names everywhere.
"""

import json

import pandas as pd
import pytest

import psychometrics
from psychometrics.cli import main
from tests.conftest import REFERENCE

HERE = REFERENCE / "names"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("names") / "out"
    assert main(["validate", str(HERE / "clash.csv"), "--instrument", str(HERE / "instrument.yaml"),
                 "--wave", "wave", "--out", str(out), "--quiet"]) == 0
    return out


def test_models_with_colliding_names_fit_and_refit_in_lavaan(run):
    reference = pd.read_csv(HERE / "reference.csv").set_index("model")
    results = json.loads((run / "results.json").read_text())
    fits = {
        "cfa_instrument_T1": results["instrument_cfa"]["T1"],
        "cfa_agree_T1": results["scales"]["agree"]["cfa"]["T1"],
        "cfa_B1_T2": results["scales"]["B1"]["cfa"]["T2"],
    }
    for scale in ("agree", "calm"):
        fits[f"invariance_{scale}_strict"] = next(
            s for s in results["scales"][scale]["invariance"]["steps"] if s["model"] == "strict")
    exported = {
        "cfa_instrument_T1": "cfa_clash_T1.lav", "cfa_agree_T1": "cfa_agree_T1.lav",
        "cfa_B1_T2": "cfa_B1_T2.lav", "invariance_agree_strict": "invariance_agree_4_strict.lav",
        "invariance_calm_strict": "invariance_calm_4_strict.lav"}
    for model, fit in fits.items():
        # the file R refitted is the one binnenuit writes today
        assert (run / "models" / exported[model]).read_text() == (HERE / f"{model}.lav").read_text()
        ref = reference.loc[model]
        assert fit["df"] == ref["df"], model
        # R's reference.csv holds 8 significant digits of chi2 at the least
        assert fit["chi2"] == pytest.approx(ref["chi2"], rel=1e-6, abs=1e-6), model
    for scale in ("agree", "B1", "calm"):
        assert results["scales"][scale]["invariance"]["status"] == "ok"


def test_people_read_the_users_names(run):
    results = json.loads((run / "results.json").read_text())
    cors = results["instrument_cfa"]["T1"]["factor_correlations"]
    assert {(c["lhs"], c["rhs"]) for c in cors} == {("agree", "B1"), ("agree", "calm"),
                                                     ("B1", "calm")}
    for mi in results["instrument_cfa"]["T1"]["modification_indices"]:
        assert not mi["lhs"].startswith(".") and not mi["rhs"].startswith(".")
    assert set(results["scales"]["agree"]["cfa"]["T1"]["loadings_std"]) == {"agree", "A2", "A3", "A4"}
    report = (run / "report.html").read_text(encoding="utf-8")
    assert ".agree" not in report and ".calm" not in report


def test_api_fits_a_scale_named_like_its_item():
    data = pd.read_csv(HERE / "clash.csv")
    result = psychometrics.validate(data[data["wave"] == "T1"].drop(columns="wave"),
                                    str(HERE / "instrument.yaml"))
    assert result.cfa["agree"]["all"].status == "ok"
    assert result.instrument_cfa["all"].status == "ok"
