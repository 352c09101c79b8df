"""Invariants of scoring, checked on generated data (hypothesis).

Budget (tests/budget.py): 30-50 new examples per test and run in the default run,
500-1,000 with --full-budget."""

import math

import numpy as np
import pandas as pd
import pytest
from budget import budget
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from instruments import Instrument, score

pytestmark = pytest.mark.slow

LO, HI = 1, 6


def _instrument(k: int, reversed_: list[int], share: float = 2 / 3) -> Instrument:
    items = [f"X{j}" for j in range(k)]
    return Instrument.from_dict({
        "id": "prop", "version": "1", "min_answered": share,
        "response_scale": {"min": LO, "max": HI},
        "scales": {"s": {"items": items, "reversed": [items[j] for j in reversed_]}},
    })


@st.composite
def responses(draw):
    k = draw(st.integers(1, 8))
    n = draw(st.integers(1, 40))
    values = draw(arrays(np.float64, (n, k),
                         elements=st.sampled_from([np.nan, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])))
    reversed_ = draw(st.lists(st.integers(0, k - 1), unique=True, max_size=k))
    return values, reversed_


def _frame(values: np.ndarray) -> pd.DataFrame:
    df = pd.DataFrame(values, columns=[f"X{j}" for j in range(values.shape[1])])
    df.insert(0, "id", [f"p{i}" for i in range(len(df))])
    return df


@settings(max_examples=budget(50, 1000), deadline=None)
@given(responses())
def test_scores_are_means_of_answered_items_within_bounds(case):
    values, reversed_ = case
    inst = _instrument(values.shape[1], reversed_)
    got = score(_frame(values), inst).table["s"].to_numpy()
    keyed = values.copy()
    keyed[:, reversed_] = LO + HI - keyed[:, reversed_]
    answered = (~np.isnan(values)).sum(axis=1)
    need = math.ceil(2 / 3 * values.shape[1] - 1e-9)
    for i in range(len(values)):
        if answered[i] >= max(need, 1):
            # the same mean, perhaps summed in another order: round-off only
            assert got[i] == np.nanmean(keyed[i]) or abs(got[i] - np.nanmean(keyed[i])) < 1e-12
            assert LO <= got[i] <= HI
        else:
            assert np.isnan(got[i])


@settings(max_examples=budget(30, 500), deadline=None)
@given(responses())
def test_reverse_keying_twice_is_the_identity(case):
    values, reversed_ = case
    k = values.shape[1]
    flipped = values.copy()
    flipped[:, reversed_] = LO + HI - flipped[:, reversed_]
    # Reversing in the instrument, or in the data, gives the same score.
    a = score(_frame(values), _instrument(k, reversed_)).table["s"]
    b = score(_frame(flipped), _instrument(k, [])).table["s"]
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


@settings(max_examples=budget(30, 500), deadline=None)
@given(responses(), st.randoms(use_true_random=False))
def test_scores_ignore_column_and_row_order(case, rnd):
    values, reversed_ = case
    inst = _instrument(values.shape[1], reversed_)
    df = _frame(values)
    base = score(df, inst).table.set_index("id")["s"]
    cols = list(df.columns)
    rnd.shuffle(cols)
    rows = list(range(len(df)))
    rnd.shuffle(rows)
    shuffled = df[cols].iloc[rows].reset_index(drop=True)
    other = score(shuffled, inst).table.set_index("id")["s"]
    pd.testing.assert_series_equal(base.sort_index(), other.sort_index(), check_exact=False,
                                   atol=1e-12, rtol=0)


@settings(max_examples=budget(30, 500), deadline=None)
@given(st.integers(1, 10), st.floats(0.05, 1.0))
def test_prorating_rule_uses_the_share_given(k, share):
    inst = _instrument(k, [], share)
    need = inst.scale("s").n_required
    assert need == max(1, math.ceil(share * k - 1e-9))
    values = np.full((k + 1, k), np.nan)
    for answered in range(k + 1):
        values[answered, :answered] = 3.0
    got = score(_frame(values), inst).table["s"].to_numpy()
    assert np.isnan(got[:need]).all()
    assert (got[need:] == 3.0).all()
