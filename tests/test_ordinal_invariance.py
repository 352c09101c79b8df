"""Wu & Estabrook (2016) invariance of ordered items: the models binnenuit builds give
lavaan/semTools' statistics (tests/reference/ordinal/make_ordinal.R), and the sequence
logic (partial release, refusal of unused categories) does what it says."""

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from psychometrics.ordinal_invariance import ordinal_invariance, ordinal_model_rows
from tests.reference_values import read_reference
from tests.test_ordinal_reference import CASES, DIR


def long_frame(case: str):
    wide = pd.read_csv(DIR / CASES[case])
    ident = wide.columns[0]
    items = sorted({c.rsplit("_", 1)[0] for c in wide.columns[1:]})
    parts = []
    for w in ("T0", "T1"):
        part = wide[[ident] + [f"{i}_{w}" for i in items]].copy()
        part.columns = ["id", *items]
        parts.append(part.assign(wave=w))
    return pd.concat(parts, ignore_index=True), items


@pytest.fixture(scope="module")
def ref():
    return read_reference(DIR / "reference.csv")


@pytest.fixture(scope="module", params=sorted(CASES))
def sequence(request):
    frame, items = long_frame(request.param)
    return request.param, ordinal_invariance(frame, "F", items, ["T0", "T1"], rule="chi2",
                                             missing="listwise")


def test_sequence_matches_lavaan(sequence, ref):
    case, res = sequence
    assert res.status == "ok" and res.level == "strict"
    assert [s.model for s in res.steps] == ["configural", "thresholds", "metric", "scalar",
                                            "strict"]
    for s in res.steps:
        name = "strict_theta" if s.model == "strict" else s.model
        r = ref[ref.model == f"{case}_{name}"].set_index("statistic").value
        assert s.fit.df == r["df"]
        assert s.fit.parameterization == ("theta" if s.model == "strict" else "delta")
        assert_allclose(s.fit.chi2_scaled, r["chisq.scaled"], rtol=1e-6)
        assert_allclose([s.fit.cfi_scaled, s.fit.rmsea_scaled], [r["cfi.scaled"], r["rmsea.scaled"]],
                        atol=1e-7)
        if s.model != "configural":
            assert_allclose(s.difference.delta_chi2_scaled, r["lrt_chisq_diff"], rtol=1e-6)
            assert_allclose(s.difference.delta_p_scaled, r["lrt_p"], rtol=1e-6)


def test_latent_mean_from_scalar(sequence, ref):
    case, res = sequence
    r = ref[(ref.model == f"{case}_scalar") & (ref.lhs == "F_T1") & (ref.op == "~1")]
    est, se = r[r.statistic == "est"].value.iloc[0], r[r.statistic == "se"].value.iloc[0]
    change = res.latent_mean_diff_std["T1"]
    assert_allclose([change.estimate, change.se], [est, se], atol=1e-5)
    if case == "sim":  # simulated with a latent mean of .3
        assert change.ci.low < 0.3 < change.ci.high


def test_results_say_which_estimator(sequence):
    _, res = sequence
    out = json.loads(json.dumps(res.to_dict()))
    assert out["estimator"] == "WLSMV" and out["missing_rule"] == "listwise"
    assert len(out["pair_n"]) == 28 and set(out["pair_n"].values()) == {res.n}
    strict = out["steps"][-1]
    assert strict["estimator"] == "WLSMV" and strict["parameterization"] == "theta"
    assert strict["delta_method"].startswith("satorra.2000")
    assert strict["delta_p"] == strict["delta_p_scaled"]
    assert strict["cfi_robust"] is None and "equality constraints" in strict["robust_reason"]
    assert out["steps"][0]["cfi_robust"] is not None  # configural: none
    assert all(len(v) == 3 for v in out["steps"][0]["thresholds"].values())
    assert "| th_" in res.steps[1].syntax and "~*~" in res.steps[1].syntax


def simulated_drift(n=600, seed=7, shift=(0.0, 0.0, 0.9)):
    """4 items, 4 categories, two waves; item x2's thresholds move by ``shift`` at T1
    (one threshold: a threshold difference; all alike: an intercept difference)."""
    rng = np.random.default_rng(seed)
    lam = np.array([.8, .7, .7, .6])
    tau = np.array([-1.0, 0.0, 1.0])
    eta = rng.multivariate_normal([0, .2], [[1, .6], [.6, 1]], size=n)
    rows = []
    for w, wave in enumerate(("T0", "T1")):
        ystar = eta[:, [w]] * lam + rng.standard_normal((n, 4)) * np.sqrt(1 - lam ** 2)
        cats = np.stack([np.searchsorted(tau + (np.array(shift) if (w == 1 and i == 1) else 0.0),
                                         ystar[:, i]) + 1 for i in range(4)], axis=1)
        rows.append(pd.DataFrame(cats, columns=["x1", "x2", "x3", "x4"]).assign(
            id=np.arange(n), wave=wave))
    return pd.concat(rows, ignore_index=True)


def test_partial_thresholds_release_the_drifting_item():
    res = ordinal_invariance(simulated_drift(), "F", ["x1", "x2", "x3", "x4"], ["T0", "T1"],
                             rule="chi2")
    models = [s.model for s in res.steps]
    assert models[:3] == ["configural", "thresholds", "partial_thresholds"]
    assert res.steps[1].accepted is False and res.steps[2].accepted is True
    assert res.freed == ("thresholds of x2 at T1",)
    assert res.level in ("partial_scalar", "partial_strict")
    # the released item's intercept and scale factor at T1 are fixed, as in configural
    t = res.steps[2].fit.table
    fixed = t[(t.lhs == "x2_T1") & t.op.isin(["~1", "~*~"])]
    assert (fixed.free == 0).all()


def test_partial_scalar_releases_the_shifted_intercept():
    res = ordinal_invariance(simulated_drift(shift=(0.7, 0.7, 0.7)), "F",
                             ["x1", "x2", "x3", "x4"], ["T0", "T1"], rule="chi2")
    by_model = {s.model: s for s in res.steps}
    assert by_model["thresholds"].accepted and by_model["metric"].accepted
    assert by_model["scalar"].accepted is False
    assert by_model["partial_scalar"].accepted
    assert res.freed == ("intercept of x2 at T1",)
    assert res.allows_change and "T1" in res.latent_mean_diff_std


def test_unused_category_is_refused():
    frame = simulated_drift(n=200)
    frame.loc[(frame.wave == "T1") & (frame.x3 == 1), "x3"] = 2
    res = ordinal_invariance(frame, "F", ["x1", "x2", "x3", "x4"], ["T0", "T1"])
    assert res.status == "blocked" and "item x3" in res.reason and res.steps == ()
    assert json.loads(json.dumps(res.to_dict()))["status"] == "blocked"


def test_pairwise_uses_every_answer():
    frame = simulated_drift(n=300, shift=(0.0, 0.0, 0.0))
    rng = np.random.default_rng(3)
    items = ["x1", "x2", "x3", "x4"]
    frame[items] = frame[items].mask(rng.random((len(frame), 4)) < 0.08)
    pw = ordinal_invariance(frame, "F", items, ["T0", "T1"], rule="chi2")
    lw = ordinal_invariance(frame, "F", items, ["T0", "T1"], rule="chi2", missing="listwise")
    assert pw.status == lw.status == "ok" and pw.missing_rule == "pairwise"
    assert lw.n < pw.n == 300
    assert min(pw.pair_n.values()) < max(pw.pair_n.values()) <= 300
    assert pw.steps[0].fit.n == 300


def test_two_items_per_wave_are_refused():
    res = ordinal_invariance(simulated_drift(n=300), "F", ["x1", "x2"], ["T0", "T1"])
    assert res.status == "not_identified" and "degrees of freedom" in res.reason
    assert json.loads(json.dumps(res.to_dict()))["level"] == "none"


def test_options_are_checked():
    frame = simulated_drift(n=50)
    with pytest.raises(ValueError, match="'rule' parameter must be one of"):
        ordinal_invariance(frame, "F", ["x1", "x2"], ["T0", "T1"], rule="aic")
    with pytest.raises(ValueError, match="'missing' parameter of ordinal_invariance"):
        ordinal_invariance(frame, "F", ["x1", "x2"], ["T0", "T1"], missing="fiml")
    with pytest.raises(ValueError, match="theta parameterization"):
        ordinal_model_rows("F", ["x1"], ["T0", "T1"], "strict", {"x1": 3}, "delta")
