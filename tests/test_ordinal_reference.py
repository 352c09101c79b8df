"""Ordered items against lavaan 0.6.14 (tests/reference/ordinal/make_ordinal.R):
thresholds, polychoric correlations and their NACOV (``lavInspect(fit, "gamma")``)."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from psychometrics.sem.ordinal import ordinal_moments
from tests.reference_values import read_reference
from tests.tests_paths import REFERENCE

DIR = REFERENCE / "ordinal"
CASES = {"kvb": "kvb_autsat.csv", "sim": "sim_ord.csv"}


def wave_columns(frame: pd.DataFrame) -> list[str]:
    return ([c for c in frame.columns if c.endswith("_T0")]
            + [c for c in frame.columns if c.endswith("_T1")])


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return read_reference(DIR / "reference.csv")


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    frame = pd.read_csv(DIR / CASES[request.param])
    cols = wave_columns(frame)
    return request.param, cols, ordinal_moments(frame[cols].to_numpy(float), cols)


def test_thresholds(case, ref):
    name, cols, om = case
    r = ref[(ref.model == f"{name}_configural") & (ref.statistic == "th")]
    assert list(r.lhs) == [f"{c}|t{k}" for c in cols for k in (1, 2, 3)]
    assert_allclose(om.th_vector, r.value.to_numpy(), atol=1e-10)


def test_polychorics(case, ref):
    name, cols, om = case
    r = ref[(ref.model == f"{name}_configural") & (ref.statistic == "polychoric")]
    mine = [om.cor[cols.index(a), cols.index(b)] for a, b in zip(r.lhs, r.rhs)]
    # lavaan's optimizer stops at about 1e-8
    assert_allclose(mine, r.value.to_numpy(), atol=1e-6)
    assert_allclose(om.cor_vector, r.value.to_numpy(), atol=1e-6)  # lavaan's order


def test_nacov(case):
    name, _, om = case
    gamma = pd.read_csv(DIR / f"gamma_{name}.csv").to_numpy()
    assert_allclose(om.nacov, gamma, atol=1e-5 * np.abs(gamma).max())


def test_listwise_and_refusal():
    frame = pd.read_csv(DIR / "sim_ord.csv")
    cols = wave_columns(frame)[:3]
    x = frame[cols].to_numpy(float)
    x[0, 1] = np.nan
    om = ordinal_moments(x, cols)
    assert (om.n, om.n_total, om.missing) == (len(x) - 1, len(x), "listwise")
    x[:, 2] = 2.0
    x[0, 2] = np.nan
    with pytest.raises(ValueError, match="item y3_T0 has 1 observed category"):
        ordinal_moments(x, cols)
    with pytest.raises(ValueError, match="'missing' parameter"):
        ordinal_moments(x, cols, missing="fiml")
    x = frame[cols].to_numpy(float)
    om = ordinal_moments(np.vstack([x, np.full(3, np.nan)]), cols, missing="pairwise")
    assert (om.n, om.n_total) == (len(x), len(x) + 1)  # a person with no answer is not used


PAIRWISE = {"kvb": "kvb_T0_missing.csv", "sim": "sim_missing.csv"}


@pytest.mark.parametrize("name", sorted(PAIRWISE))
def test_pairwise_statistics(ref, name):
    frame = pd.read_csv(DIR / PAIRWISE[name])
    cols = list(frame.columns[1:])
    x = frame[cols].to_numpy(float)
    om = ordinal_moments(x, cols, missing="pairwise")
    r = ref[ref.model == f"pw_{name}_onefactor"]
    assert om.n == r[r.statistic == "ntotal"].value.iloc[0] and om.missing == "pairwise"
    assert_allclose(om.th_vector, r[r.statistic == "th"].value.to_numpy(), atol=1e-10)
    assert_allclose(om.cor_vector, r[r.statistic == "polychoric"].value.to_numpy(), atol=1e-6)
    gamma = pd.read_csv(DIR / f"gamma_pw_{name}.csv").to_numpy()
    assert_allclose(om.nacov, gamma, atol=1e-5 * np.abs(gamma).max())
    seen = ~np.isnan(x)
    assert_allclose(om.pair_n, seen.T.astype(int) @ seen.astype(int))
    assert om.pair_n.min() < len(x)  # some pairs really lost persons
