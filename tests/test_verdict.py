"""The invariance verdict: the configural model is judged, the size of released
non-invariance (dMACS, mean bias) is recovered, and the change on the invariant items
is what a researcher computes by hand."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from simulate import longitudinal_scale

from psychometrics.cli import main
from psychometrics.invariance import longitudinal_invariance
from psychometrics.noninvariance import change_bias, dmacs


def _two_factor_scale(n: int, seed: int) -> pd.DataFrame:
    """Six 7-point items that measure two weakly related factors (r = .2), at two
    waves: a one-factor model of them misfits badly (CFI about .75)."""
    rng = np.random.default_rng(seed)
    # Factors: (A_T0, B_T0, A_T1, B_T1); stability .6 across waves, A-B correlation .2.
    r = np.array([[1, .2, .6, .1], [.2, 1, .1, .6], [.6, .1, 1, .2], [.1, .6, .2, 1]])
    eta = rng.multivariate_normal(np.zeros(4), r, size=n)
    frames = []
    for w, wave in enumerate(("T0", "T1")):
        a, b = eta[:, 2 * w], eta[:, 2 * w + 1]
        x = np.column_stack([a, a, a, b, b, b]) * 0.9 + rng.normal(0, 0.6, (n, 6)) + 4
        f = pd.DataFrame(np.clip(np.rint(x), 1, 7), columns=[f"x{j + 1}" for j in range(6)])
        f.insert(0, "wave", wave)
        f.insert(0, "id", [f"p{i}" for i in range(n)])
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


INSTRUMENT = """id: verdict
version: "1"
response_scale: {min: 1, max: 7}
scales:
  s: {items: [%s]}
"""


def _run(tmp_path, data: pd.DataFrame, items: list[str], *extra: str) -> dict:
    path = tmp_path / "data.csv"
    data.to_csv(path, index=False)
    inst = tmp_path / "verdict.yaml"
    inst.write_text(INSTRUMENT % ", ".join(items))
    out = tmp_path / "out"
    assert main(["validate", str(path), "--instrument", str(inst), "--wave", "wave",
                 "--out", str(out), "--quiet", "--no-report", *extra]) == 0
    return json.loads((out / "results.json").read_text())


@pytest.mark.parametrize("rule", ["lrt-calibrated", "cfi-rmsea"])
def test_a_misfitting_configural_model_gives_level_none_and_blocks_change(tmp_path, rule):
    data = _two_factor_scale(93, seed=5)
    res = _run(tmp_path, data, [f"x{j + 1}" for j in range(6)], "--rule", rule)
    inv = res["scales"]["s"]["invariance"]
    configural = inv["steps"][0]
    assert configural["model"] == "configural" and configural["cfi"] < 0.9
    assert configural["accepted"] is False
    assert inv["level"] == "none" and inv["freed"] == []
    assert "configural model does not fit" in inv["reason"]
    misfit = "fits significantly worse than close fit" if rule == "lrt-calibrated" else "CFI"
    assert misfit in inv["reason"]
    # The later models are shown for information, never judged; no partial search.
    assert [s["model"] for s in inv["steps"]] == ["configural", "metric", "scalar", "strict"]
    assert all(s["accepted"] is None for s in inv["steps"][1:])
    change = res["scales"]["s"]["change"]["T0->T1"]
    assert change["status"] == "blocked" and change["mean_diff"] is None
    assert "configural invariance was rejected" in change["reason"]


def test_a_misfitting_configural_model_with_ignore_invariance_is_unverified(tmp_path):
    data = _two_factor_scale(93, seed=5)
    res = _run(tmp_path, data, [f"x{j + 1}" for j in range(6)], "--ignore-invariance")
    change = res["scales"]["s"]["change"]["T0->T1"]
    assert change["status"] == "unverified" and change["mean_diff"] is not None
    assert change["bias_from_noninvariance"] is None and change["invariant_items"] is None


def test_a_correct_configural_model_passes():
    data = longitudinal_scale(93, ("T0", "T1"), loadings=[0.8, 0.7, 0.7, 0.6],
                              intercepts=[3.0, 3.2, 2.8, 3.1], residuals=[0.4, 0.5, 0.5, 0.6],
                              means=[0, 0.3], variances=[1, 1], seed=8)
    res = longitudinal_invariance(data, "F", ["x1", "x2", "x3", "x4"], ["T0", "T1"],
                                  standard_errors=False)
    assert res.steps[0].accepted is True and 0 < res.steps[0].close_fit_p <= 1


def test_dmacs_formula():
    # Intercept only: the bias is the shift, dMACS the shift over the pooled SD.
    # closed forms: round-off only (agreement exact)
    assert dmacs(0.8, 0.0, 0.3, 1.2, 1.1) == pytest.approx((0.8 / 1.1, 0.8), rel=1e-12)
    # A loading difference adds its part at the focal mean and its spread.
    size, bias = dmacs(0.2, 0.3, 0.5, 1.44, 1.0)
    assert bias == pytest.approx(0.2 + 0.3 * 0.5, rel=1e-12)
    assert size == pytest.approx(math.sqrt(0.35 ** 2 + 0.09 * 1.44), rel=1e-12)
    assert change_bias([], 4, "T0", "T1") == 0.0


def test_dmacs_and_bias_of_a_drifting_intercept_recover_the_population():
    lam, theta, nu = [0.8, 0.7, 0.7, 0.6], [0.4, 0.5, 0.5, 0.6], [3.0, 3.2, 2.8, 3.1]
    var1, drift, n = 1.2, 0.8, 4000
    data = longitudinal_scale(n, ("T0", "T1"), loadings=lam, intercepts=nu, residuals=theta,
                              means=[0, 0.3], variances=[1, var1], drift={(2, "T1"): drift},
                              seed=12)
    res = longitudinal_invariance(data, "F", ["x1", "x2", "x3", "x4"], ["T0", "T1"],
                                  standard_errors=False)
    assert res.freed == ("intercept of x3 at T1",)
    (size,) = res.noninvariance
    assert (size.item, size.wave, size.parameter) == ("x3", "T1", "intercept")
    # Population: mean bias = the drift; dMACS = drift / pooled SD of x3, whose
    # variance is lambda^2 psi + theta at each wave (equal n).
    pooled = math.sqrt((lam[2] ** 2 * (1 + var1) + 2 * theta[2]) / 2)
    # Sampling SE of the intercept difference: about sqrt(2 theta (1 - .2) / n) plus the
    # latent mean's share, about 0.02 here; 4 SE (seed 12: .007 and .015 off).
    assert size.mean_bias == pytest.approx(drift, abs=0.08)
    assert size.dmacs == pytest.approx(drift / pooled, abs=0.08)
    assert change_bias(res.noninvariance, 4, "T0", "T1") == pytest.approx(size.mean_bias / 4,
                                                                          rel=1e-12)
    assert res.invariant_items == ("x1", "x2", "x4")


def test_invariant_items_change_equals_the_change_by_hand(tmp_path):
    data = longitudinal_scale(300, ("T0", "T1"), loadings=[0.9, 0.8, 0.8, 0.7],
                              intercepts=[4.0, 4.2, 3.8, 4.1], residuals=[0.4, 0.5, 0.5, 0.6],
                              means=[0, 0.3], variances=[1, 1], drift={(2, "T1"): 1.2}, seed=13)
    items = ["x1", "x2", "x3", "x4"]
    data[items] = np.clip(np.rint(data[items]), 1, 7)
    data.loc[[5, 17, 400], "x1"] = np.nan  # a few missing answers
    res = _run(tmp_path, data, items)
    inv = res["scales"]["s"]["invariance"]
    assert inv["freed"] == ["intercept of x3 at T1"]
    assert inv["invariant_items"] == ["x1", "x2", "x4"]
    (ni,) = inv["noninvariance"]
    assert ni["item"] == "x3" and ni["parameter"] == "intercept" and ni["mean_bias"] > 0.8
    change = res["scales"]["s"]["change"]["T0->T1"]
    # a quarter of the bias (one item of four), through results.json (repr: exact)
    assert change["bias_from_noninvariance"] == pytest.approx(ni["mean_bias"] / 4, rel=1e-12)
    got = change["invariant_items"]
    # By hand: each person's mean of the answered invariant items (the default rule
    # scores a scale when at least two thirds of its items are answered: 2 of 3 here).
    part = data.assign(score=data[["x1", "x2", "x4"]].mean(axis=1))
    wide = part.pivot(index="id", columns="wave", values="score").dropna()
    d = (wide["T1"] - wide["T0"]).to_numpy()
    n = len(d)
    se = d.std(ddof=1) / math.sqrt(n)
    from scipy import stats  # here: importing scipy.stats is ~0.6 s of a worker's start

    q = stats.t.ppf(0.975, n - 1)
    assert got["items"] == ["x1", "x2", "x4"] and got["n"] == n == 300
    # the same arithmetic by hand: round-off only (agreement exact)
    assert got["mean_diff"] == pytest.approx(d.mean(), abs=1e-12)
    assert got["mean_diff_ci"] == pytest.approx([d.mean() - q * se, d.mean() + q * se], abs=1e-12)
    assert got["d_z"] == pytest.approx(d.mean() / d.std(ddof=1), abs=1e-12)
    assert got["d_z_ci"][0] < got["d_z"] < got["d_z_ci"][1]
    # The drifting item inflates the observed change of the whole scale.
    assert change["mean_diff"] > got["mean_diff"]
