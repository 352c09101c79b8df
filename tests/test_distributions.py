"""psychometrics._distributions against scipy.stats, which it replaces at run time so
that no run imports scipy.stats (issue 16). Same scipy.special routines, same order of
operations: the agreement is exact (measured), asserted to 1e-14 relative."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from psychometrics import _distributions as dist

XS = [-1e3, -40.0, -3.2, -1.0, -1e-9, 0.0, 1e-9, 0.5, 1.96, 7.3, 60.0, 1e4, math.nan,
      math.inf, -math.inf]
DFS = [0.5, 1, 2, 7, 29.5, 120, 1e5, 0, -1, math.nan]
QS = [0.0, 1e-12, 0.025, 0.5, 0.975, 1 - 1e-12, 1.0, -0.1, 1.1, math.nan]


@pytest.fixture(scope="module")
def stats():
    """scipy.stats, imported by the tests that compare with it (not at collection: it is
    ~0.6 s of every test worker's start)."""
    from scipy import stats as scipy_stats

    return scipy_stats



def _same(ours, theirs):
    assert_allclose(ours, float(theirs), rtol=1e-14, atol=0, equal_nan=True)


@pytest.mark.parametrize("df", DFS)
def test_t_and_chi2(stats, df):
    for x in XS:
        _same(dist.t_sf(x, df), stats.t.sf(x, df))
        _same(dist.chi2_sf(x, df), stats.chi2.sf(x, df))
    for q in QS:
        _same(dist.t_ppf(q, df), stats.t.ppf(q, df))
        _same(dist.f_ppf(q, df, 40), stats.f.ppf(q, df, 40))
        _same(dist.f_ppf(q, 3, df), stats.f.ppf(q, 3, df))


@pytest.mark.parametrize("nc", [-12.0, -1.0, 0.0, 0.3, 5.0, 25.0, math.nan, math.inf])
def test_nct_cdf(stats, nc):
    for x in XS:
        for df in (1, 6, 86, 0, math.nan):
            _same(dist.nct_cdf(x, df, nc), stats.nct.cdf(x, df, nc))


@pytest.mark.parametrize("nc", [0.0, 0.05, 1.5, 30.0, 900.0, -1.0, math.nan])
def test_ncx2_sf(stats, nc):
    for x in XS:
        for df in (1, 6, 86, 1e4, 0, math.inf, math.nan):
            try:  # Boost overflows far in the tail (x near 0, large nc): the same error
                expected = stats.ncx2.sf(x, df, nc)
            except OverflowError:
                with pytest.raises(OverflowError):
                    dist.ncx2_sf(x, df, nc)
                continue
            _same(dist.ncx2_sf(x, df, nc), expected)


@pytest.mark.parametrize("seed", range(6))
def test_ranks(stats, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, 40).astype(float)
    x[rng.random(40) < 0.2] = np.nan
    from scipy.stats._stats_py import _rankdata

    r, t = _rankdata(x, "average", return_ties=True, xp=np)
    ours_r, ours_t = dist.rank_average(x)
    np.testing.assert_array_equal(ours_r, r)
    np.testing.assert_array_equal(np.sort(ours_t), np.sort(t))
    np.testing.assert_array_equal(dist.rank_average(x[~np.isnan(x)])[0],
                                  stats.rankdata(x[~np.isnan(x)]))


# Every branch of scipy's method="auto" on each kind of data; with ties or zeros at
# n = 13 scipy runs a permutation test of 2**13 signs (3-4 s each) through the same
# delegation that n = 5 already covers, so those two cases are left out.
@pytest.mark.parametrize(("n", "kind"), [
    (n, kind) for n in (5, 13, 14, 30, 50, 51, 87, 2_000)
    for kind in ("continuous", "ties", "zeros") if not (n == 13 and kind != "continuous")])
def test_wilcoxon_equals_scipy(stats, n, kind):
    rng = np.random.default_rng(n)
    a = rng.normal(3, 1, n)
    b = a + rng.normal(0.2, 0.5, n)
    if kind != "continuous":
        a, b = np.round(a * 2) / 2, np.round(b * 2) / 2
    if kind == "zeros":
        b[: max(1, n // 5)] = a[: max(1, n // 5)]
    expected = stats.wilcoxon(b, a, zero_method="wilcox", correction=True, method="auto")
    _same(dist.wilcoxon_p(b, a), expected.pvalue)
