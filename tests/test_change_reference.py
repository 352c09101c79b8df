"""Observed change against R: t.test, wilcox.test, the d_z/d_av and RCI formulas,
ICC(1) and the CR1 cluster-robust SE (tests/reference/change/make_reference.R).
Closed forms agree to round-off (1e-14 relative), held to 1e-10; the noncentral-t
intervals, which both find by root-finding to 1e-12 on cumulative probabilities that R
warns may not reach full precision, agree to 1.2e-12, held to 1e-10."""

from pathlib import Path

import pandas as pd
from numpy.testing import assert_allclose

from psychometrics.change import cluster_robust_se, icc1, observed_change

REF = Path(__file__).parent / "reference" / "change"


def test_observed_change_equals_r():
    d = pd.read_csv(REF / "paired.csv")
    ref = pd.read_csv(REF / "reference.csv").set_index("statistic")["value"]
    res = observed_change(d["pre"].to_numpy(), d["post"].to_numpy(), d["id"].to_numpy(),
                          scale="s", wave_from="pre", wave_to="post", reliability=0.80)
    assert res.n == ref["n"] and res.df == ref["df"]
    for ours, name in [(res.mean_diff, "mean_diff"), (res.mean_diff_ci.low, "ci_low"),
                       (res.mean_diff_ci.high, "ci_high"), (res.t, "t"), (res.p, "p"),
                       (res.wilcoxon_v, "wilcoxon_v"), (res.wilcoxon_p, "wilcoxon_p"),
                       (res.d_z, "d_z"), (res.d_av, "d_av"),
                       (res.rci_improved, "rci_improved"), (res.rci_unchanged, "rci_unchanged"),
                       (res.rci_deteriorated, "rci_deteriorated")]:
        # closed forms (t, Wilcoxon, RCI shares): agreement 1.1e-14 relative
        assert_allclose(ours, ref[name], rtol=1e-10, atol=1e-12, err_msg=name)
    for ours, name in [(res.d_z_ci.low, "d_z_low"), (res.d_z_ci.high, "d_z_high"),
                       (res.d_av_ci.low, "d_av_low"), (res.d_av_ci.high, "d_av_high")]:
        assert_allclose(ours, ref[name], rtol=0, atol=1e-10, err_msg=name)  # agreement 1.2e-12
    assert set(res.classes["rci_class"]) <= {"improved", "unchanged", "deteriorated"}


def test_icc_design_effect_and_cluster_robust_se_equal_r():
    d = pd.read_csv(REF / "paired.csv")
    ref = pd.read_csv(REF / "reference.csv").set_index("statistic")["value"]
    diff = (d["post"] - d["pre"]).to_numpy()
    summary = icc1(diff, d["school"].to_numpy())
    # closed forms: agreement 4e-15 relative or exact
    assert_allclose(summary.icc1, ref["icc1_diff"], rtol=1e-10)
    assert_allclose(summary.mean_cluster_size, ref["k0"], rtol=1e-10)
    assert_allclose(summary.design_effect, ref["design_effect"], rtol=1e-10)
    assert_allclose(cluster_robust_se(diff, d["school"].to_numpy()), ref["cr1_se"], rtol=1e-10)
