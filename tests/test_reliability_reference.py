"""Reliability against R: psych::alpha, semTools::compRelSEM on lavaan::cfa, and the
one-factor model's fitMeasures / standardizedSolution.

References: tests/reference/reliability/make_reference.R (data sets, sources and
licences are described there; output reference.csv and sessionInfo.txt beside it).
Tolerances are the agreement reached (measured worst case) with a margin of about
5-10x, the reason beside each: closed forms (alpha, Feldt interval, item statistics)
agree to round-off; model-based values to where lavaan's, psych's or GPArotation's
optimizer stops (ours converge to a gradient of 1e-10, 1e-8 for rotations).
"""

from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from psychometrics.reliability import scale_reliability

REF = Path(__file__).parent / "reference" / "reliability"


def _reference() -> pd.DataFrame:
    return pd.read_csv(REF / "reference.csv", keep_default_na=False)


def _data(dataset: str, scale: str) -> tuple[pd.DataFrame, int, int]:
    if dataset == "congeneric":
        return pd.read_csv(REF / "congeneric.csv"), -10, 10
    if dataset == "hs_textual":
        return pd.read_csv(REF / "hs_textual.csv"), -10, 20
    bfi = pd.read_csv(REF / "bfi_ac.csv")
    if scale == "agreeableness":
        d = bfi[[f"A{j}" for j in range(1, 6)]].copy()
        d["A1"] = 7 - d["A1"]
    else:
        d = bfi[[f"C{j}" for j in range(1, 6)]].copy()
        d[["C4", "C5"]] = 7 - d[["C4", "C5"]]
    return d, 1, 6


CASES = [("congeneric", "y", "listwise"), ("hs_textual", "textual", "listwise"),
         ("bfi", "agreeableness", "listwise"), ("bfi", "conscientiousness", "listwise"),
         ("bfi", "agreeableness", "pairwise"), ("bfi", "conscientiousness", "pairwise")]


@pytest.mark.parametrize("dataset, scale, missing", CASES)
def test_alpha_and_items_equal_psych(dataset, scale, missing):
    ref = _reference()
    ref = ref[(ref.dataset == dataset) & (ref.scale == scale) & (ref.missing == missing)]
    value = dict(zip(ref.statistic[ref.item == ""], ref.value[ref.item == ""].astype(float)))
    items, lo, hi = _data(dataset, scale)
    rel = scale_reliability(items, low=lo, high=hi, missing=missing)
    assert rel.status == "ok"
    # closed forms: agreement 1.4e-15 (all below); 1e-10 leaves room for summation order
    assert_allclose(rel.alpha.alpha, value["alpha"], rtol=0, atol=1e-10)
    assert_allclose(rel.alpha.alpha_std, value["alpha_std"], rtol=0, atol=1e-10)
    if missing == "listwise":  # psych's Feldt n is the number of rows it was given
        assert rel.alpha.n == int(value["n_feldt"])
        assert_allclose(rel.alpha.ci, [value["feldt_lower"], value["feldt_upper"]], rtol=0, atol=1e-10)
    per_item = ref[ref.item != ""].pivot(index="item", columns="statistic", values="value").astype(float)
    for stat in ("item_rest_r", "alpha_if_deleted", "mean", "sd"):
        assert_allclose(rel.items.loc[per_item.index, stat], per_item[stat], rtol=0, atol=1e-10,
                        err_msg=f"{dataset}/{scale}/{missing}: {stat}")


@pytest.mark.parametrize("dataset, scale", [c[:2] for c in CASES if c[2] == "listwise"])
def test_omega_and_one_factor_fit_equal_lavaan(dataset, scale):
    ref = _reference()
    ref = ref[(ref.dataset == dataset) & (ref.scale == scale) & (ref.missing == "listwise")]
    value = dict(zip(ref.statistic[ref.item == ""], ref.value[ref.item == ""].astype(float)))
    items, lo, hi = _data(dataset, scale)
    omega = scale_reliability(items, low=lo, high=hi).omega
    assert omega.status == "ok"
    # The one-factor model is fitted by the SEM engine; lavaan's estimates stop ~1e-6 off.
    assert_allclose(omega.omega_total, value["omega_total"], rtol=0, atol=1e-5)  # agreement 1e-6
    fit = omega.model.fit
    assert fit.df == int(value["cfa_df"])
    # agreement 3e-11 relative (F at the optimum); atol for the 3-item model's chi2 = 0
    assert_allclose(fit.chi2, value["cfa_chisq"], rtol=3e-10, atol=1e-8)
    for ours, theirs in [(fit.cfi, "cfa_cfi"), (fit.tli, "cfa_tli"), (fit.rmsea, "cfa_rmsea"),
                         (fit.rmsea_ci.low, "cfa_rmsea.ci.lower"),
                         (fit.rmsea_ci.high, "cfa_rmsea.ci.upper"), (fit.srmr, "cfa_srmr")]:
        # cfi/tli/rmsea follow chi2 (agreement 2e-12); the RMSEA interval (R's uniroot) and
        # the SRMR (from lavaan's estimates) agree to 3e-9 and 8e-9
        tol = 5e-8 if theirs in ("cfa_srmr", "cfa_rmsea.ci.lower", "cfa_rmsea.ci.upper") else 1e-10
        assert_allclose(ours, value[theirs], rtol=0, atol=tol, err_msg=theirs)
    std = ref[ref.statistic == "std_loading"].set_index("item")["value"].astype(float)
    # agreement 5e-7 (lavaan's estimates)
    assert_allclose(omega.model.std_loadings, std.loc[list(items.columns)], rtol=0, atol=5e-6)


@pytest.mark.parametrize("scale", ["agreeableness", "conscientiousness"])
def test_ordinal_alpha_and_omega_equal_psych_polychoric(scale):
    """psych::polychoric maximizes each rho with optimize(), whose tolerance is
    .Machine$double.eps^0.25 = 1.2e-4: the reference is that approximate (agreement
    reached: 2e-5 for the correlations, 3e-6 for alpha and omega, which average them)."""
    from psychometrics.reliability import ordinal_reliability

    ref = pd.read_csv(REF / "ordinal_reference.csv", keep_default_na=False)
    ref = ref[ref.scale == scale]
    items, lo, hi = _data("bfi", scale)
    ordinal = ordinal_reliability(items, low=lo, high=hi)
    assert ordinal.status == "ok"
    cols = list(items.columns)
    for pair, value in zip(ref.item[ref.statistic == "polychoric"],
                           ref.value[ref.statistic == "polychoric"].astype(float)):
        a, b = pair.split("~")
        assert_allclose(ordinal.polychoric[cols.index(a), cols.index(b)], value, rtol=0, atol=1.2e-4,
                        err_msg=pair)
    value = dict(zip(ref.statistic, ref.value))
    assert_allclose(ordinal.alpha, float(value["ordinal_alpha"]), rtol=0, atol=3e-5)
    assert_allclose(ordinal.omega, float(value["ordinal_omega"]), rtol=0, atol=3e-5)


@pytest.mark.parametrize("dataset", ["hs_nine", "bifactor"])
def test_omega_hierarchical_equals_psych_omega(dataset):
    """Model-based: GPArotation stops at a gradient of 1e-5 (we at 1e-8); agreement
    reached 2e-6 (omega_h), 7e-6 (general loadings), 5e-8 (omega_total, which does
    not depend on the rotation)."""
    from psychometrics.omega_hierarchical import omega_hierarchical

    ref = pd.read_csv(REF / "omega_h_reference.csv", keep_default_na=False)
    ref = ref[ref.dataset == dataset]
    items = pd.read_csv(REF / f"{dataset}.csv")
    oh = omega_hierarchical(items, n_groups=3)
    assert oh.status == "ok"
    value = dict(zip(ref.statistic[ref.item == ""], ref.value[ref.item == ""].astype(float)))
    assert_allclose(oh.omega_h, value["omega_h"], rtol=0, atol=3e-5)
    assert_allclose(oh.omega_total, value["omega_total"], rtol=0, atol=5e-7)
    g = ref[ref.statistic == "g_loading"].set_index("item")["value"].astype(float)
    assert_allclose(oh.general_loadings.loc[g.index], g, rtol=0, atol=5e-5)
