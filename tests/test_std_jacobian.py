"""The closed-form Jacobian of std.all (psychometrics.sem.std_jacobian) against central
differences of ``standardized`` (the computation it replaced), on fitted models with
every kind of row: a three-factor CFA with intercepts (std.lv: free loadings, fixed
factor variances, factor covariances), the longitudinal metric and scalar models
(shared labels, marker loadings, free factor variance and mean at the second wave,
residual covariances across waves) and a perturbed point away from the optimum.
Central differences with h = 1e-6 are accurate to ~1e-9 here (measured worst 7e-10 on
every fit of ``binnenuit demo``); tolerance 1e-7."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from psychometrics.cfa import cfa_rows
from psychometrics.invariance import model_rows
from psychometrics.sem import PatternMoments, Row, build_table, fit_ml
from psychometrics.sem.implied import Structure
from psychometrics.sem.standardized import standardized
from psychometrics.sem.std_jacobian import std_jacobian

REF = Path(__file__).parent / "reference" / "fiml"
HS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


def _central(struct, theta, h=1e-6):
    cols = []
    for k in range(len(theta)):
        step = h * max(1.0, abs(theta[k]))
        up, down = theta.copy(), theta.copy()
        up[k] += step
        down[k] -= step
        cols.append((standardized(struct, up) - standardized(struct, down)) / (2 * step))
    return np.array(cols).T


def _case(name):
    if name == "hs3":
        rows = cfa_rows(HS) + [Row(i, "~1") for its in HS.values() for i in its]
        return build_table(rows), pd.read_csv(REF / "hs_missing.csv")
    table = build_table(model_rows("F", ["x1", "x2", "x3", "x4"], ["T0", "T1"], name))
    return table, pd.read_csv(REF / "drift2_missing.csv")


@pytest.mark.parametrize("name", ["hs3", "configural", "metric", "scalar", "strict"])
def test_std_jacobian_equals_central_differences(name):
    table, data = _case(name)
    pm = PatternMoments.from_data(data)
    struct = Structure(table, pm.names)
    fit = fit_ml(table, pm, standard_errors=False)
    assert fit.status == "ok"
    kinds = set(struct.kind)
    assert {"L", "P", "T"} <= kinds
    if name == "scalar":  # intercepts, latent means, residual covariances, shared labels
        assert {"N", "A"} <= kinds and ((struct.kind == "T") & (struct.row != struct.col)).any()
        assert table["label"].duplicated().any()
    for theta in (fit.theta, fit.theta * np.random.default_rng(1).uniform(0.8, 1.2, struct.q)):
        ours, numerical = std_jacobian(struct, theta), _central(struct, theta)
        assert ours.shape == (len(table), struct.q)
        assert_allclose(ours, numerical, rtol=0, atol=1e-7)
        assert np.abs(ours).max() > 0.01  # not a zero matrix
