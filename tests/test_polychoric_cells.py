"""The per-pair cell probabilities of the polychoric fit (``_cell_function``, which
computes once what does not depend on rho) equal ``_cell_probabilities`` bit for bit:
random thresholds of 1-6 cuts, a threshold at 0 (replaced by a tiny value in Owen's
formula), infinite thresholds (the general path), correlations over (-1, 1)."""

import numpy as np
import pytest

from psychometrics.polychoric import _cell_function, _cell_probabilities


@pytest.mark.parametrize("seed", range(4))
def test_cell_function_equals_cell_probabilities(seed):
    rng = np.random.default_rng(seed)
    for t in range(60):
        tx = np.sort(rng.normal(0, 1, rng.integers(1, 7)))
        ty = np.sort(rng.normal(0, 1, rng.integers(1, 7)))
        if t % 5 == 0:
            tx[rng.integers(len(tx))] = 0.0
        if t % 9 == 0:
            ty[0] = -np.inf
        cells = _cell_function(tx, ty)
        for rho in (*rng.uniform(-0.9999, 0.9999, 4), 0.0, 0.9999, -0.9999):
            got = cells(rho)
            np.testing.assert_array_equal(got, _cell_probabilities(rho, tx, ty))
            assert got.shape == (len(tx) + 1, len(ty) + 1)
