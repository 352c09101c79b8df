"""MLR through the pipeline: ``binnenuit demo --estimator MLR`` on the example study,
the option's check at the entrance, and the decision rules under MLR.

The example study's tse_instruction scale is the data of tests/reference/mlr/kvb_tse.csv,
so its invariance steps in results.json are checked against lavaan's lavTestLRT there."""

import json
from importlib import resources

import jsonschema
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from reference_values import read_reference
from tests_paths import REFERENCE

from instruments.errors import OptionError
from psychometrics import validate
from psychometrics.cli import main
from psychometrics.example_study import example_data_path
from psychometrics.invariance import longitudinal_invariance
from psychometrics.sem.robust import ROBUST_FIELDS, scaled_difference

TSE = ["TSE05", "TSE06", "TSE07", "TSE08"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    # The example study's self-efficacy scales (the MLR reference scale is one of them),
    # through the command line with the report: the whole MLR path at a fifth of the
    # demo's cost.
    out = tmp_path_factory.mktemp("demo_mlr")
    assert main(["validate", str(example_data_path()), "--instrument", "tse", "--id", "teacher",
                 "--wave", "wave", "--out", str(out), "--quiet", "--estimator", "MLR"]) == 0
    return out, json.loads((out / "results.json").read_text())


def test_example_study_runs_with_mlr_and_says_so(demo):
    out, res = demo
    assert res["settings"]["cfa"]["estimator"] == "MLR"
    assert res["settings"]["invariance"]["estimator"] == "MLR"
    schema = json.loads(resources.files("psychometrics.schema").joinpath(
        "results.schema.json").read_text())
    jsonschema.validate(res, schema)
    blocks = [c for s in res["scales"].values() for c in s["cfa"].values()]
    blocks += [st for s in res["scales"].values() for st in s["invariance"]["steps"]]
    assert all(b["estimator"] == "MLR" for b in blocks)
    for b in blocks:
        assert set(ROBUST_FIELDS) <= set(b)
        if b["status"] == "ok" and b["df"] > 0:
            assert b["chi2_scaled"] > 0 and b["scaling_factor"] > 0, b
            assert 0 <= b["cfi_robust"] <= 1 and b["rmsea_robust"] >= 0
    lav = (out / "models" / "invariance_tse_instruction_1_configural.lav").read_text()
    assert "estimator = 'MLR'" in lav and "missing = 'ml'" in lav
    assert "Estimator <b>MLR</b>" in (out / "report.html").read_text()
    steps = pd.read_csv(out / "tables" / "invariance.csv")
    assert {"chi2_scaled", "delta_chi2_scaled", "rmsea_robust_ci_low"} <= set(steps.columns)


def test_invariance_steps_of_the_example_study_equal_lavaan(demo):
    """tse_instruction is the reference data set kvb_tse: metric and scalar against the
    last accepted model are lavaan's lavTestLRT(configural, metric) and (metric, scalar)."""
    ref = read_reference(REFERENCE / "mlr" / "reference.csv")
    inv = demo[1]["scales"]["tse_instruction"]["invariance"]
    steps = {st["model"]: st for st in inv["steps"]}
    for model in ("configural", "metric", "scalar"):
        v = ref[(ref.model == f"kvb_tse_ml_{model}") & (ref.op == "")].set_index("statistic")["value"]
        st = steps[model]
        assert_allclose([st["chi2_scaled"], st["scaling_factor"], st["cfi_robust"],
                         st["rmsea_robust"]],
                        [v["chisq.scaled"], v["chisq.scaling.factor"], v["cfi.robust"],
                         v["rmsea.robust"]], rtol=1e-5)
        if model != "configural":
            assert st["delta_method"] == "satorra.bentler.2001"
            assert_allclose(st["delta_chi2_scaled"], v["lrt2001_chisq_diff"], rtol=1e-5)
            assert "scaled delta chi2" in st["decision"]
    # the drifting intercept is found under MLR too, and the latent mean SE is robust
    assert inv["level"] == "partial_strict" and inv["freed"] == ["intercept of TSE06 at T1"]
    assert "robust test of close fit" in steps["configural"]["decision"]


def _frame() -> pd.DataFrame:
    d = pd.read_csv(example_data_path())
    return d.rename(columns={"teacher": "id"})[["id", "wave", *TSE]]


@pytest.mark.parametrize("rule", ["cfi-rmsea", "chen-small-n", "chi2"])
def test_fixed_rules_judge_the_robust_statistics_under_mlr(rule):
    res = longitudinal_invariance(_frame(), "tse_instruction", TSE, ["T0", "T1"], rule=rule,
                                  estimator="MLR", standard_errors=False)
    metric = res.steps[1]
    if rule == "chi2":
        assert "p(scaled delta chi2)" in metric.decision
    else:
        assert "robust CFI" in metric.decision and "robust RMSEA" in metric.decision
        assert "robust CFI" in res.steps[0].decision
        assert_allclose(metric.delta_cfi_robust,
                        metric.robust.cfi_robust - res.steps[0].robust.cfi_robust)


def test_longitudinal_null_model_gives_robust_indices_on_its_own_baseline():
    res = longitudinal_invariance(_frame(), "tse_instruction", TSE, ["T0", "T1"],
                                  null_model="longitudinal", estimator="MLR",
                                  standard_errors=False)
    ind = longitudinal_invariance(_frame(), "tse_instruction", TSE, ["T0", "T1"],
                                  estimator="MLR", standard_errors=False)
    a, b = res.steps[0].robust, ind.steps[0].robust
    assert a.rmsea_robust == pytest.approx(b.rmsea_robust)  # RMSEA needs no baseline
    assert 0 < a.cfi_robust < 1 and a.cfi_robust != pytest.approx(b.cfi_robust)


def test_satorra_bentler_2010_replaces_a_negative_2001_scaling_factor():
    d = scaled_difference(30.0, 12, 1.0, 20.0, 10, 1.5, lambda: 0.9)
    assert d.method == "satorra.bentler.2010" and "negative" in d.note
    assert_allclose([d.scaling_factor, d.chi2], [1.5, 10.0 / 1.5])
    no = scaled_difference(30.0, 12, 1.0, 20.0, 10, 1.5)
    assert no.method == "satorra.bentler.2001" and no.chi2 != no.chi2  # NaN, said why
    assert "not positive" in no.note


def test_estimator_is_checked_at_the_entrance(capsys):
    with pytest.raises(OptionError, match=r"'estimator' parameter of validate must be one of "
                                          r"'ML', 'MLR', 'WLSMV'\. Got 'WLS'"):
        validate(example_data_path(), "kvb", id_column="teacher", wave_column="wave",
                 estimator="WLS")
    with pytest.raises(SystemExit) as exc:  # argparse: exit 2, no traceback
        main(["demo", "--out", "x", "--estimator", "WLS"])
    assert exc.value.code == 2
    assert "invalid choice: 'WLS' (choose from 'ML', 'MLR', 'WLSMV')" in capsys.readouterr().err


def test_latent_mean_change_has_lavaans_robust_se():
    """The simulated skewed items reach strict invariance, so the latent mean change
    comes from the full scalar model: its SE is lavaan's MLR (sandwich) SE of F_T1 ~ 1."""
    d = pd.read_csv(REFERENCE / "mlr" / "sim_skew.csv")
    items = ["y1", "y2", "y3", "y4"]
    frame = pd.concat([d[[f"{i}_{w}" for i in items]].set_axis(items, axis=1)
                       .assign(id=range(len(d)), wave=w) for w in ("T0", "T1")])
    res = longitudinal_invariance(frame, "F", items, ["T0", "T1"], estimator="MLR")
    ref = read_reference(REFERENCE / "mlr" / "reference.csv")
    row = ref[(ref.model == "sim_skew_ml_scalar") & (ref.lhs == "F_T1") & (ref.op == "~1")]
    est, se = row.set_index("statistic")["value"][["est", "se"]]
    assert res.level == "strict"
    change = res.latent_mean_diff_std["T1"]
    assert_allclose([change.estimate, change.se], [est, se], rtol=1e-4)


@pytest.mark.parametrize("missing, kind", [("listwise", "cc"), ("fiml", "ml")])
def test_sequence_steps_equal_lavaan_with_complete_cases_and_fiml(missing, kind):
    """The invariance sequence of the simulated skewed items (strict reached, nothing
    released): every step's scaled statistics are lavaan's, listwise and by FIML."""
    d = pd.read_csv(REFERENCE / "mlr" / "sim_skew.csv")
    items = ["y1", "y2", "y3", "y4"]
    frame = pd.concat([d[[f"{i}_{w}" for i in items]].set_axis(items, axis=1)
                       .assign(id=range(len(d)), wave=w) for w in ("T0", "T1")])
    res = longitudinal_invariance(frame, "F", items, ["T0", "T1"], estimator="MLR",
                                  missing=missing, standard_errors=False)
    ref = read_reference(REFERENCE / "mlr" / "reference.csv")
    assert [s.model for s in res.steps] == ["configural", "metric", "scalar", "strict"]
    for st in res.steps:
        v = ref[(ref.model == f"sim_skew_{kind}_{st.model}") & (ref.op == "")]
        v = v.set_index("statistic")["value"]
        out = st.to_dict()
        assert_allclose([out["chi2_scaled"], out["cfi_robust"], out["tli_robust"],
                         out["rmsea_robust"], *out["rmsea_robust_ci"]],
                        [v["chisq.scaled"], v["cfi.robust"], v["tli.robust"], v["rmsea.robust"],
                         v["rmsea.ci.lower.robust"], v["rmsea.ci.upper.robust"]],
                        rtol=1e-5, atol=1e-6)
        if st.model != "configural":
            assert out["delta_method"] == "satorra.bentler.2001"
            assert_allclose([out["delta_chi2_scaled"], out["delta_p_scaled"]],
                            [v["lrt2001_chisq_diff"], v["lrt2001_p"]], rtol=1e-4)
