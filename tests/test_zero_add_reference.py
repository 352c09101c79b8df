"""lavaan's ``zero.add`` on 2 x 2 tables against lavaan 0.6.14
(tests/reference/zero_add/make_zero_add.R): a 2 x 2 table with one empty cell gets 0.5
added to that cell, margins kept (``lav_bvord_cor_twostep_fit``), before the polychoric;
thresholds and the NACOV's casewise scores come from the answers as given.

Measured agreement: thresholds <= 1.4e-15; polychorics of the one-empty-cell tables
<= 2.8e-13, of the table with no empty cell 4.7e-10, in the 4-item model <= 2.8e-9
(lavaan's nlminb stops there); NACOV diagonals of the tables <= 3.2e-9 relative, the
model's whole NACOV <= 1.4e-8 (largest entry 2.1); the model's DWLS fit: chi2 and scaled
chi2 3.3e-9 relative, estimates <= 4.7e-9, robust SEs <= 3.9e-10 (before the 0.5 was
added: the a-b polychoric 0.9962 against 0.9362, chi2 0.083 against 3.017)."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import special

from psychometrics.polychoric import add_to_empty_cell, polychoric_from_table
from psychometrics.sem.dwls import fit_dwls
from psychometrics.sem.ordinal import ordinal_moments
from tests.ordinal_tables import from_lavaan_partable
from tests.reference_values import read_reference
from tests.tests_paths import REFERENCE

DIR = REFERENCE / "zero_add"
TABLES = ["one_offdiag", "one_offdiag2", "one_diag", "one_diag2", "none"]


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return read_reference(DIR / "reference.csv")


def table_case(ref: pd.DataFrame, name: str):
    r = ref[ref.case == f"t_{name}"]
    counts = r[r.statistic == "count"].value.to_numpy().astype(int).reshape(2, 2)
    x = np.repeat([[0, 0], [0, 1], [1, 0], [1, 1]], counts.ravel(), axis=0).astype(float)
    return counts, ordinal_moments(x, ["y1", "y2"]), r


@pytest.mark.parametrize("name", TABLES)
def test_two_by_two_tables(ref, name):
    _, om, r = table_case(ref, name)
    assert_allclose(om.th_vector, r[r.statistic == "th"].value, atol=1e-10)
    # measured <= 4.7e-10 (lavaan's nlminb stopping rule on the table without a zero)
    assert_allclose(om.cor[1, 0], r[r.statistic == "polychoric"].value.iloc[0], atol=1e-8)
    # measured <= 3.2e-9 relative: follows the polychoric's difference
    assert_allclose(np.diag(om.nacov), r[r.statistic == "gamma"].value, rtol=1e-7)


def test_the_adjusted_table_keeps_the_margins(ref):
    for name in TABLES[:4]:
        counts, _, _ = table_case(ref, name)
        adjusted = add_to_empty_cell(counts)
        assert np.count_nonzero(adjusted == 0.5) == 1 and (adjusted > 0).all()
        assert np.array_equal(adjusted.sum(axis=0), counts.sum(axis=0))
        assert np.array_equal(adjusted.sum(axis=1), counts.sum(axis=1))


def test_other_tables_are_left_as_they_are(ref):
    """No empty cell, two empty cells, and tables larger than 2 x 2 (lavaan's
    ``zero.add[2] = 0``): nothing added, the polychoric is today's."""
    counts, _, _ = table_case(ref, "none")
    two = table_case(ref, "two_diag")[0]
    larger = np.array([[30.0, 0.0, 2.0], [10.0, 25.0, 0.0], [0.0, 8.0, 40.0]])
    for table in (counts.astype(float), two.astype(float), larger, larger[:2]):
        assert np.array_equal(add_to_empty_cell(table), table)
    tx, ty = np.array([-0.4, 0.5]), np.array([-0.6, 0.3])
    assert polychoric_from_table(add_to_empty_cell(larger), tx, ty) == \
        polychoric_from_table(larger, tx, ty)


def test_two_empty_cells_stay_at_the_ml_estimate(ref):
    """lavaan returns rho = 1 exactly for [[40, 0], [0, 60]] (and evaluates its NACOV
    with the density at 0.9999 and the cell probabilities at 1); we keep the ML estimate
    at our bound 0.9999, with a finite NACOV (lavaan's differs by about 1%)."""
    _, om, r = table_case(ref, "two_diag")
    assert r[r.statistic == "polychoric"].value.iloc[0] == 1.0
    assert om.cor[1, 0] == pytest.approx(0.9999, abs=1e-12)
    assert np.isfinite(om.nacov).all()


@pytest.fixture(scope="module")
def binary():
    frame = pd.read_csv(DIR / "binary4.csv")
    om = ordinal_moments(frame.to_numpy(float), list(frame.columns))
    return om, fit_dwls(from_lavaan_partable(DIR / "binary_partable.csv"), om)


def test_binary_model_sample_statistics(ref, binary):
    om, _ = binary
    r = ref[ref.case == "binary"]
    assert_allclose(om.th_vector, r[r.statistic == "th"].value, atol=1e-10)
    # lavaan's order (b,a) (c,a) (d,a) (c,b) (d,b) (d,c); measured <= 2.8e-9, and the
    # a-b pair (the empty cell) 1.3e-14
    assert_allclose(om.cor_vector, r[r.statistic == "polychoric"].value, atol=1e-8)
    gamma = pd.read_csv(DIR / "gamma_binary.csv").to_numpy()
    assert_allclose(om.nacov, gamma, atol=1e-7 * np.abs(gamma).max())  # measured 1.4e-8


def test_binary_model_fit(ref, binary):
    _, fit = binary
    assert fit.status == "ok", fit.reason
    r = ref[ref.case == "binary"]
    stats = r.set_index("statistic").value
    assert_allclose([fit.chi2, fit.chi2_scaled], [stats["chisq"], stats["chisq.scaled"]],
                    rtol=1e-7)  # measured 3.3e-9
    tb = fit.table.drop(columns="value")
    for stat, col in (("est", "est"), ("se", "se")):
        m = r[r.statistic == stat].merge(tb, on=["lhs", "op", "rhs"], validate="1:1")
        if stat == "est":  # lavaan lists the delta scale factors' fixed 1 (we: implied)
            m = m[~((m.op == "~~") & (m.lhs == m.rhs) & m.lhs.isin(fit.thresholds))]
        assert len(m) > 0
        # measured: estimates <= 4.7e-9, SEs <= 3.9e-10 (lavaan's optimizer stopping)
        assert_allclose(m[col].to_numpy(float), m.value.to_numpy(), atol=5e-8 if stat == "est"
                        else 1e-8, err_msg=stat)


def test_lavaans_closed_forms_of_two_by_two_tables():
    """lav_bvord_cor_twostep_fit returns, for a 2 x 2 table (after the 0.5), rho = 0 when
    the odds ratio is 1 and rho = -cos(2 pi p_11) when both thresholds are 0 (the ML
    estimate in closed form); ours is the score root, equal to 3e-12 (measured 2.4e-12:
    Owen's formula evaluated at 1e-12 for a threshold of 0, and the root's 1e-12)."""
    tx, ty = special.ndtri([50 / 150]), special.ndtri([60 / 150])
    assert polychoric_from_table(np.array([[20.0, 30.0], [40.0, 60.0]]), tx, ty) == \
        pytest.approx(0.0, abs=1e-12)
    for p11 in (30, 10, 45):
        table = np.array([[p11, 50.0 - p11], [50.0 - p11, p11]])
        assert polychoric_from_table(table, np.zeros(1), np.zeros(1)) == \
            pytest.approx(-np.cos(2 * np.pi * p11 / 100), abs=1e-11)
