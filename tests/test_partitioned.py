"""A Dask DataFrame is scored partition by partition with the same scores as in memory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from instruments import Instrument, score
from instruments.errors import ResponseError


@pytest.fixture(scope="module")
def dd():
    """dask.dataframe, imported by the tests that use it (not at collection: ~0.5 s of
    every test worker's start)."""
    return pytest.importorskip("dask.dataframe")

INST = Instrument.from_dict({"id": "t", "version": "1", "response_scale": {"min": 1, "max": 5},
                             "scales": {"s1": {"items": ["a", "b", "c"], "reversed": ["b"]},
                                        "s2": {"items": ["d", "e", "f"]}}})


def _frame(n=500, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.integers(1, 6, size=(n, 6)).astype(float)
    values[rng.random(values.shape) < 0.2] = np.nan
    frame = pd.DataFrame(values, columns=list("abcdef"))
    frame.insert(0, "wave", np.where(np.arange(n) % 2, "T1", "T0"))
    frame.insert(0, "id", [f"p{i // 2}" for i in range(n)])
    return frame


def test_partitioned_scores_equal_in_memory(dd):
    frame = _frame()
    lazy = score(dd.from_pandas(frame, npartitions=4), INST, wave_column="wave")
    assert lazy.npartitions == 4
    got = lazy.compute()
    want = score(frame, INST, wave_column="wave").table
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_exact=True)
    assert got["s1"].notna().sum() > 300


def test_bad_cell_named_and_duplicates_across_partitions_refused(dd):
    frame = _frame().astype({"a": object})
    frame.loc[321, "a"] = "x"
    lazy = score(dd.from_pandas(frame, npartitions=4), INST, wave_column="wave")
    with pytest.raises(ResponseError, match="row 321, column a, value 'x': not a number"):
        lazy.compute()
    dup = _frame()
    dup.loc[450, "id"] = "p0"  # p0 / T0 is row 0, in another partition
    with pytest.raises(ResponseError, match=r"duplicate id and wave.*p0 / T0"):
        score(dd.from_pandas(dup, npartitions=4), INST, wave_column="wave")
