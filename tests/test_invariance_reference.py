"""Longitudinal invariance against lavaan + semTools::measEq.syntax (ID.fac = "std.lv",
auto = "all", long.equal per step) and lavTestScore
(tests/reference/invariance/make_reference.R).

Every tolerance is the agreement reached (measured worst case) with a margin of about
5-10x; the reason stands beside each. Ours converge to a gradient of 1e-10; lavaan's
nlminb stops at a relative change of 1e-10 in F, so its estimates are ~1e-7 off the
optimum, while chi2 (second order in that error) agrees to ~1e-11."""

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from psychometrics.invariance import longitudinal_invariance, model_rows
from psychometrics.sem import Moments, build_table, fit_ml, score_tests

REF = Path(__file__).parent / "reference" / "invariance"
SETS = {
    "exlong": ("exlong.csv", ["y1", "y2", "y3"], ["t1", "t2", "t3"], "{item}{wave}"),
    "drift2": ("drift2.csv", ["x1", "x2", "x3", "x4"], ["T0", "T1"], "{item}_{wave}"),
    "wave3": ("three_wave.csv", ["x1", "x2", "x3", "x4"], ["T0", "T1", "T2"], "{item}_{wave}"),
}


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    ref = pd.read_csv(REF / "reference.csv", keep_default_na=False)
    ref["value"] = pd.to_numeric(ref["value"].replace("NA", np.nan))
    return ref


def _long(name: str) -> pd.DataFrame:
    file, items, waves, pattern = SETS[name]
    wide = pd.read_csv(REF / file)
    frames = []
    for w in waves:
        part = wide[[pattern.format(item=i, wave=w) for i in items]].set_axis(items, axis=1)
        frames.append(part.assign(id=np.arange(len(wide)), wave=w))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def results():
    return {name: longitudinal_invariance(_long(name), "F", SETS[name][1], SETS[name][2], rule="chi2")
            for name in SETS}


@pytest.mark.parametrize("name", list(SETS))
@pytest.mark.parametrize("step", ["configural", "metric", "scalar", "strict"])
def test_each_step_equals_lavaan(name, step, reference):
    file, items, waves, pattern = SETS[name]
    wide = pd.read_csv(REF / file)
    cols = {f"{i}_{w}": pattern.format(item=i, wave=w) for w in waves for i in items}
    data = wide[list(cols.values())].set_axis(list(cols), axis=1)
    fit = fit_ml(build_table(model_rows("F", items, waves, step)), Moments.from_data(data))
    ref = reference[(reference.model == f"{name}_{step}") & (reference.op == "")]
    ref = ref.set_index("statistic")["value"]
    assert fit.status == "ok"
    assert fit.npar == ref["npar"] and fit.df == ref["df"]
    f = fit.fit
    assert_allclose(f.chi2, ref["chisq"], rtol=3e-10)  # agreement 3e-11: F at the optimum
    # cfi/tli/rmsea/pvalue follow chi2 (agreement 1e-12 to 3e-11); the RMSEA interval (R's
    # uniroot) and the SRMR (from lavaan's estimates) agree to 3e-7 and 4e-8.
    tolerance = {"rmsea.ci.lower": 1e-6, "rmsea.ci.upper": 1e-6, "srmr": 3e-7}
    for ours, theirs in [(f.cfi, "cfi"), (f.tli, "tli"), (f.rmsea, "rmsea"), (f.srmr, "srmr"),
                         (f.rmsea_ci.low, "rmsea.ci.lower"), (f.rmsea_ci.high, "rmsea.ci.upper"),
                         (f.pvalue, "pvalue")]:
        assert_allclose(ours, ref[theirs], rtol=0, atol=tolerance.get(theirs, 3e-10), err_msg=theirs)
    # agreement 1.2e-13 relative (the log-likelihood's constant dominates)
    assert_allclose([fit.loglik, fit.aic, fit.bic], [ref["logl"], ref["aic"], ref["bic"]], rtol=1e-12)
    # Latent means (free in later waves from scalar on), in wave order.
    est = reference[(reference.model == f"{name}_{step}") & (reference.statistic == "est")]
    latent = est[(est.op == "~1") & est.lhs.str.startswith("F_")]
    ours_means = [row["est"] for _, row in fit.table[(fit.table["op"] == "~1") &
                  fit.table["lhs"].str.startswith(".F_")].iterrows()]  # ours: '.F_T1
    # agreement 1.7e-7: lavaan's estimates stop ~1e-7 off the optimum
    assert_allclose(ours_means, latent["value"].to_numpy(), rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", list(SETS))
def test_likelihood_ratio_tests_equal_lavaan(name, reference, results):
    res = results[name]
    full = [s.model for s in res.steps if not s.model.startswith("partial_")]
    checked = 0
    for prev, step in itertools.pairwise(full):
        ours = next(s for s in res.steps if s.model == step)
        if ours.compared_with != prev:
            continue  # compared with a partial model: lavTestLRT's pair is not ours
        checked += 1
        ref = reference[(reference.model == f"{name}_{step}")].set_index("statistic")["value"]
        # a difference of two chi2s that each agree to 3e-11: agreement 2e-10 relative
        assert_allclose(ours.delta_chi2, ref["lrt_chisq_diff"], rtol=2e-9, atol=1e-8)
        assert ours.delta_df == ref["lrt_df_diff"]
        assert_allclose(ours.delta_p, ref["lrt_p"], rtol=0, atol=1e-9)  # agreement 9e-11
    assert checked >= 2


@pytest.mark.parametrize("name", ["drift2", "exlong"])
def test_score_tests_of_the_scalar_model_equal_lavtestscore(name, reference):
    file, items, waves, pattern = SETS[name]
    wide = pd.read_csv(REF / file)
    cols = {f"{i}_{w}": pattern.format(item=i, wave=w) for w in waves for i in items}
    data = wide[list(cols.values())].set_axis(list(cols), axis=1)
    moments = Moments.from_data(data)
    table = build_table(model_rows("F", items, waves, "scalar"))
    fit = fit_ml(table, moments)
    labels = pd.read_csv(REF / f"{name}_scalar_labels.csv", keep_default_na=False)
    where = {r.plabel: (r.lhs, r.op, r.rhs) for r in labels.itertuples(index=False)}
    ref = reference[(reference.model == f"{name}_scalar") & (reference.statistic == "score_x2")]
    for r in ref.itertuples(index=False):
        lhs, op, rhs = where[r.rhs]  # the later wave's parameter of the constraint
        lhs = _ours(lhs, name)
        rhs = _ours(rhs, name)
        row = np.flatnonzero((table["lhs"] == lhs) & (table["op"] == op) & (table["rhs"] == rhs))
        got = score_tests(fit, table, moments, [int(row[0])])["mi"].iloc[0]
        # agreement 9e-6 relative: lavTestScore evaluates at lavaan's estimates (~1e-7 off)
        assert_allclose(got, r.value, rtol=1e-4, err_msg=f"{lhs} {op} {rhs}")


def _ours(name: str, dataset: str) -> str:
    """lavaan's variable names in the reference -> ours (item_wave; factors '.F_wave')."""
    if dataset == "exlong" and len(name) == 4 and name[0] == "y":
        return f"{name[:2]}_{name[2:]}"
    if dataset == "exlong" and name.startswith("F_T"):
        return f".F_t{name[3:]}"
    if name.startswith("F_"):
        return f".{name}"
    return name


def test_partial_scalar_frees_the_drifting_intercept_and_matches_lavaan(reference, results):
    res = results["drift2"]
    assert res.freed[0] == "intercept of x3 at T1"
    step = next(s for s in res.steps if s.model == "partial_scalar")
    ref = reference[reference.model == "drift2_partial_scalar"].set_index("statistic")
    values = ref[ref.op == ""]["value"]
    assert_allclose(step.fit.fit.chi2, values["chisq"], rtol=3e-10)  # agreement 4e-12
    assert_allclose(step.cfi, values["cfi"], rtol=0, atol=1e-11)  # agreement 1e-13, follows chi2
    mean = reference[(reference.model == "drift2_partial_scalar") & (reference.statistic == "latent_mean")]
    se = reference[(reference.model == "drift2_partial_scalar") & (reference.statistic == "latent_mean_se")]
    change = res.latent_mean_diff_std["T1"]
    # agreement 2.6e-7 and 9e-9: lavaan's estimates stop ~1e-7 off the optimum
    assert_allclose(change.estimate, mean["value"].iloc[0], rtol=0, atol=2e-6)
    assert_allclose(change.se, se["value"].iloc[0], rtol=0, atol=1e-7)
