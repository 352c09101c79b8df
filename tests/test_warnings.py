"""The package's warnings are raised where the condition arises, with the class of the
hierarchy that names it (psychometrics.exceptions)."""

import numpy as np
import pandas as pd
import pytest

from instruments import BinnenuitWarning
from psychometrics import efa, omega_hierarchical
from psychometrics.exceptions import (
    IdentificationWarning,
    InsufficientDataWarning,
    SmallSampleWarning,
    category_of,
)


def _items(n: int, p: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.standard_normal(n)
    x = 0.7 * f[:, None] + 0.7 * rng.standard_normal((n, p))
    return pd.DataFrame(x, columns=[f"i{j}" for j in range(p)])


def test_every_warning_belongs_to_the_one_hierarchy():
    for status in ("not_converged", "heywood", "not_identified", "too_few_cases",
                   "no_variance", "not_positive_definite", "too_many_factors"):
        assert issubclass(category_of(status), BinnenuitWarning), status
    assert category_of("ok") is None


def test_efa_warns_when_the_correlations_cannot_carry_it():
    with pytest.warns(InsufficientDataWarning, match="EFA of 6 items: the correlation matrix"):
        res = efa(_items(5, 6), 1)
    assert res.status == "not_positive_definite"


def test_efa_warns_about_a_small_sample_and_still_reports():
    with pytest.warns(SmallSampleWarning, match="fewer than 5 per item"):
        res = efa(_items(25, 6), 1)
    assert res.status == "ok"


def test_a_clean_efa_raises_nothing():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert efa(_items(300, 6), 1).status == "ok"


def test_omega_hierarchical_warns_when_not_identified():
    with pytest.warns(IdentificationWarning, match="omega hierarchical of 4 items"):
        res = omega_hierarchical(_items(100, 4), 2)
    assert res.status == "not_identified"


def test_validate_records_the_warnings_of_its_run_and_raises_each_once(demo_run):
    """The demo's EFA of 58 items on 93 teachers is a small sample: the warning is in
    results.json once with its count, and the API raises it once for its caller."""
    _, res = demo_run
    small = [w for w in res["warnings"] if w["category"] == "SmallSampleWarning"]
    assert small and all(w["count"] >= 1 for w in small)
    assert any("fewer than 5 per item" in w["message"] for w in small)
    assert len({(w["category"], w["message"]) for w in res["warnings"]}) == len(res["warnings"])


def test_api_caller_sees_the_warnings(user_instrument):
    import warnings

    import psychometrics

    # 12 persons answering from one factor per scale: the sample is small enough for the
    # package's warnings. With so few persons many models run off to improper solutions,
    # which Fisher scoring follows to its 500-iteration limit (uniform random answers: 4
    # s of the suite; seed 4: four such fits, 1.4 s); seed 0's fits all stop within 174.
    rng = np.random.default_rng(0)
    f = rng.standard_normal((12, 2))

    def answer(factor: float) -> int:
        return int(np.clip(np.rint(3.5 + 1.2 * factor + rng.standard_normal()), 1, 6))

    rows = [{"id": f"p{i}", "wave": w, **{f"A{k}": answer(f[i, 0]) for k in range(1, 6)},
             **{f"B{k}": answer(f[i, 1]) for k in range(1, 4)}}
            for i in range(12) for w in ("T0", "T1")]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = psychometrics.validate(pd.DataFrame(rows), user_instrument, wave_column="wave")
    ours = [w for w in seen if issubclass(w.category, BinnenuitWarning)]
    assert ours and len(ours) == len(result.warnings)
    assert {w.category.__name__ for w in ours} == {r["category"] for r in result.warnings}


def test_cfa_warns_where_it_cannot_estimate_and_on_a_small_sample():
    from psychometrics import fit_cfa

    with pytest.warns(IdentificationWarning, match="CFA 'two': .*fewer than 3 items"):
        assert fit_cfa(_items(100, 2), {"f": ["i0", "i1"]}, "two").status == "not_identified"
    with pytest.warns(SmallSampleWarning, match="CFA 'small': .* cases per free parameter"):
        assert fit_cfa(_items(30, 6), {"f": [f"i{j}" for j in range(6)]}, "small").status == "ok"


def test_invariance_warns_with_the_scale_named():
    from psychometrics import longitudinal_invariance

    x = _items(8, 4)
    frame = pd.concat([x.assign(id=range(8), wave="T0"), x.assign(id=range(8), wave="T1")])
    with pytest.warns(InsufficientDataWarning, match="invariance of scale s: 8 persons"):
        res = longitudinal_invariance(frame, "s", list(x.columns), ["T0", "T1"])
    assert res.status == "too_few_cases"
