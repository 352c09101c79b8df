"""EFA against psych: KMO, cortest.bartlett and fa() with minres/ML extraction and
oblimin/promax/geominQ rotations (tests/reference/cfa/make_reference.R).
Tolerances are the agreement reached (measured worst case) with a margin of about
5-10x, the reason beside each: KMO and Bartlett are closed forms (agreement 1e-15);
the rotated solutions agree to 4e-5 because GPArotation stops at a gradient of 1e-5
(ours at 1e-8)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from reference_values import read_reference

from psychometrics.efa import efa

REF = Path(__file__).parent / "reference" / "cfa"
DATA = {"hs": "hs.csv", "sim3": "sim3.csv"}


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return read_reference(REF / "reference.csv")


@pytest.mark.parametrize("dataset", list(DATA))
def test_kmo_and_bartlett_equal_psych(dataset, reference):
    data = pd.read_csv(REF / DATA[dataset])
    res = efa(data, 3)
    ref = reference[reference.model == f"efa_{dataset}"]
    value = lambda s: ref.loc[ref.statistic == s, "value"].iloc[0]
    # closed forms, agreement 8e-16; 1e-10 leaves room for another BLAS's round-off
    assert_allclose(res.sphericity.kmo, value("kmo"), rtol=0, atol=1e-10)
    items = ref[ref.statistic == "kmo_item"].set_index("lhs")["value"]
    assert_allclose(res.sphericity.kmo_items.loc[items.index], items, rtol=0, atol=1e-10)
    assert_allclose(res.sphericity.bartlett_chi2, value("bartlett_chisq"), rtol=1e-10)
    assert res.sphericity.bartlett_df == value("bartlett_df")
    # p is ~1e-166 here, so relative: agreement 4e-13; far-tail code differs (scipy, R)
    assert_allclose(res.sphericity.bartlett_p, value("bartlett_p"), rtol=1e-10, atol=0)
    # Both data sets have three factors by construction; parallel analysis says so.
    assert res.parallel.n_factors == 3


@pytest.mark.parametrize("dataset", list(DATA))
@pytest.mark.parametrize("extraction", ["minres", "ml"])
@pytest.mark.parametrize("rotation", ["oblimin", "promax", "geomin"])
def test_rotated_solution_equals_psych_fa(dataset, extraction, rotation, reference):
    data = pd.read_csv(REF / DATA[dataset])
    res = efa(data, 3, extraction=extraction, rotation=rotation)
    assert res.status == "ok"
    name = f"efa_{dataset}_{extraction}_{'geominQ' if rotation == 'geomin' else rotation}"
    ref = reference[reference.model == name]
    load = ref[ref.statistic == "fa_loading"]
    cols = list(dict.fromkeys(load.rhs))  # psych's order: by variance explained
    expected = load.pivot(index="lhs", columns="rhs", values="value").loc[list(data.columns), cols]
    # agreement 4e-5 (loadings, phi): GPArotation stops at a gradient of 1e-5, ours at
    # 1e-8; communalities do not depend on the rotation: 6e-6 (psych's extraction, optim)
    assert_allclose(res.loadings.to_numpy(), expected.to_numpy(), rtol=0, atol=3e-4)
    phi = ref[ref.statistic == "fa_phi"].pivot(index="lhs", columns="rhs", values="value").loc[cols, cols]
    assert_allclose(res.phi.to_numpy(), phi.to_numpy(), rtol=0, atol=3e-4)
    h2 = ref[ref.statistic == "fa_communality"].set_index("lhs")["value"].loc[list(data.columns)]
    assert_allclose(res.communalities.to_numpy(), h2.to_numpy(), rtol=0, atol=5e-5)


def test_flags_and_unusable_inputs():
    rng = np.random.default_rng(1)
    f = rng.standard_normal((500, 2))
    x = np.column_stack([f[:, 0] * 0.8, f[:, 0] * 0.8, f[:, 0] * 0.8, f[:, 1] * 0.8, f[:, 1] * 0.8,
                         f[:, 1] * 0.8, f[:, 0] * 0.5 + f[:, 1] * 0.5, f[:, 0] * 0.1])
    data = pd.DataFrame(x + rng.standard_normal(x.shape) * 0.6, columns=[f"v{j}" for j in range(8)])
    res = efa(data, 2)
    assert res.flags["v6"].startswith("cross-loading")
    assert res.flags["v7"].startswith("low")
    assert set(res.flags) == {"v6", "v7"}
    few = efa(data.iloc[:5], 2)
    assert few.status == "not_positive_definite" and few.sphericity is None
    assert few.to_dict()["kmo"] is None
