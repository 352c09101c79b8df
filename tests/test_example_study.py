"""The bundled example study: made by its script, scored by every bundled instrument,
validated end to end by `binnenuit demo`."""


import numpy as np
import pandas as pd
import pytest

from instruments import Instrument, instrument_ids, score
from psychometrics.example_study import (
    DRIFT_ITEM,
    EXAMPLE,
    N_LEFT,
    N_TEACHERS,
    SCHOOL_SIZES,
    example_data_path,
    simulate_example_study,
)


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return pd.read_csv(example_data_path(), dtype={"teacher": str})


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run


def test_shipped_file_is_what_the_script_makes(shipped):
    made = simulate_example_study()
    pd.testing.assert_frame_equal(made.astype(object).where(made.notna(), np.nan).reset_index(drop=True),
                                  shipped.astype(object).where(shipped.notna(), np.nan),
                                  check_dtype=False)


def test_design_of_the_example_study(shipped):
    assert shipped["teacher"].nunique() == N_TEACHERS == 93
    assert shipped.groupby("school")["teacher"].nunique().sort_index().tolist() == list(SCHOOL_SIZES)
    assert (shipped["wave"] == "T0").sum() == 93 and (shipped["wave"] == "T1").sum() == 93 - N_LEFT
    items = list(Instrument.load("kvb").items)
    share = shipped[items].isna().to_numpy().mean()
    assert 0.02 < share < 0.04  # ~3% missing answers


@pytest.mark.parametrize("name", ["bpn", "kvb", "onion", "tse"])
def test_each_bundled_instrument_scores_the_example_study(name, shipped):
    assert name in instrument_ids()
    scores = score(example_data_path(), name, id_column="teacher", wave_column="wave")
    inst = scores.instrument
    assert len(scores.table) == len(shipped) == 180
    assert scores.problems.empty
    for s in inst.scales:
        values = scores.table[s.id].dropna()
        assert len(values) >= 170 and values.between(s.min, s.max).all()
    if name in ("kvb", "onion"):
        assert scores.table["onion_alignment"].notna().sum() >= 170


def test_demo_writes_the_contract(demo):
    _out, res = demo
    assert res["schema_version"] == "1"
    assert res["instrument"] == {"id": "kvb", "version": "1.0", "source": "kvb.instrument.yaml"}
    d = res["data"]
    assert (d["n_rows"], d["n_persons"], d["waves"], d["rows_scored"], d["rows_with_problems"]) == \
        (180, 93, ["T0", "T1"], 180, 0)
    assert res["problems"] == []
    assert len(res["scales"]) == 16
    for _name, scale in res["scales"].items():
        assert scale["items"] and isinstance(scale["reversed"], list)
        for wave in ("T0", "T1"):
            rel = scale["reliability"][wave]
            assert {"n", "alpha", "alpha_ci", "omega_total", "items"} <= set(rel)
            assert 0.5 < rel["alpha"] < 1 and rel["alpha_ci"][0] < rel["alpha"] < rel["alpha_ci"][1]
            for stats in rel["items"].values():
                assert {"item_rest_r", "alpha_if_deleted", "mean", "sd"} <= set(stats)
            cfa = scale["cfa"][wave]
            assert {"status", "n", "chi2", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci",
                    "srmr", "loadings_std"} <= set(cfa)
        inv = scale["invariance"]
        assert {"status", "steps", "level", "freed", "latent_mean_diff_std"} <= set(inv)
        for step in inv["steps"]:
            assert {"model", "chi2", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "delta_chi2",
                    "delta_df", "delta_p", "delta_cfi", "delta_rmsea", "accepted"} <= set(step)
        change = scale["change"]["T0->T1"]
        assert {"status", "reason", "n", "mean_diff", "mean_diff_ci", "t", "df", "p", "d_z", "d_av",
                "rci_improved", "rci_unchanged", "rci_deteriorated"} <= set(change)
        if change["status"] == "blocked":
            assert change["mean_diff"] is None and "invariance" in change["reason"]
        else:
            assert inv["level"] in ("partial_scalar", "scalar", "partial_strict", "strict")
            shares = change["rci_improved"] + change["rci_unchanged"] + change["rci_deteriorated"]
            assert shares == pytest.approx(1.0, abs=1e-12)  # three shares of n: round-off
    assert set(res["instrument_cfa"]) == {"T0", "T1"}


def test_demo_finds_and_frees_the_drifting_item(demo):
    _, res = demo
    inv = res["scales"]["tse_instruction"]["invariance"]
    assert f"intercept of {DRIFT_ITEM} at T1" in inv["freed"]
    scalar = next(s for s in inv["steps"] if s["model"] == "scalar")
    assert scalar["accepted"] is False
    assert "T1" in inv["latent_mean_diff_std"]
    # Its size: the intercept was raised by DRIFT = 1 response unit at T1.
    (ni,) = inv["noninvariance"]
    assert (ni["item"], ni["wave"], ni["parameter"]) == (DRIFT_ITEM, "T1", "intercept")
    assert 0.6 < ni["mean_bias"] < 1.4 and ni["dmacs"] > 0.6
    change = res["scales"]["tse_instruction"]["change"]["T0->T1"]
    # a quarter of the bias (one item of four), through results.json (repr: exact)
    assert change["bias_from_noninvariance"] == pytest.approx(ni["mean_bias"] / 4, rel=1e-12)
    assert DRIFT_ITEM not in change["invariant_items"]["items"]
    # Under the calibrated default no other scale of the (invariant) rest is flagged.
    others = {s: d["invariance"]["freed"] for s, d in res["scales"].items()
              if s != "tse_instruction" and d["invariance"]["freed"]}
    assert others == {}
    assert all(d["invariance"]["level"] == "strict" for s, d in res["scales"].items()
               if s != "tse_instruction")


def test_demo_reports_clusters_attrition_and_multi_layer_outcomes(demo):
    out, res = demo
    assert res["clusters"]["column"] == EXAMPLE.cluster_column
    icc = res["clusters"]["scales"]["tse_engagement"]["T0"]
    assert icc["n_clusters"] == 6 and icc["design_effect"] is not None
    assert res["attrition"]["n_first_wave_only"] == N_LEFT
    assert res["attrition"]["n_completers"] == 93 - N_LEFT
    onion = res["multi_scale_change"]["T0->T1"]["onion"]
    assert sum(onion["distribution"].values()) == onion["n_persons"]
    assert (out / "change.csv").is_file() and (out / "models").is_dir()
    assert any(p.name.startswith("invariance_tse_instruction") for p in (out / "models").iterdir())
    scores = pd.read_csv(out / "scores.csv")
    assert "tse_engagement_rci_class" in scores
