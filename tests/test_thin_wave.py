"""Statuses that say what happened (issue 18): the EM of the saturated model that
does not converge is `not_converged` with its iterations; a wave with few persons
blocks only the pairs of waves that involve it."""

import pandas as pd
import pytest

import psychometrics
from instruments import Instrument
from psychometrics import invariance as inv_module
from psychometrics.invariance import longitudinal_invariance
from psychometrics.sem import PatternMoments
from tests.simulate import longitudinal_scale

ITEMS = ["x1", "x2", "x3", "x4"]
INSTRUMENT = Instrument.from_dict({"id": "t", "version": "1", "response_scale": {"min": 1, "max": 7},
                                   "scales": {"s": {"items": ITEMS}}})


def _three_waves(thin: int) -> pd.DataFrame:
    d = longitudinal_scale(300, ("T1", "T2", "T3"), loadings=[0.9, 0.8, 0.7, 0.85],
                           intercepts=[4] * 4, residuals=[0.6] * 4, means=[0, 0.3, 0.4],
                           variances=[1, 1, 1], seed=3)
    d[ITEMS] = d[ITEMS].round(0).clip(1, 7)
    return d[(d["wave"] != "T3") | d["id"].isin([f"p{i}" for i in range(thin)])].reset_index(drop=True)


@pytest.fixture(scope="module")
def thin():
    data = _three_waves(4)
    return data, psychometrics.validate(data, INSTRUMENT, wave_column="wave")


def test_a_thin_wave_blocks_only_the_pairs_that_involve_it(thin):
    data, result = thin
    res = result.to_dict()["scales"]["s"]
    assert res["invariance"]["status"] == "not_positive_definite"
    assert "T3 4)" in res["invariance"]["reason"] and "iterations" in res["invariance"]["reason"]
    change = res["change"]
    assert change["T2->T3"]["status"] == "blocked" and change["T1->T3"]["status"] == "blocked"
    assert change["T1->T2"]["status"] == "ok"
    assert change["T1->T2"]["reason"].startswith("invariance of T1 and T2 tested on their own")
    assert res["invariance_by_pair"]["T1->T2"]["level"] == "strict"
    _valid(result.to_dict())
    # the pair's numbers are those of the two-wave study without T3
    two = psychometrics.validate(data[data["wave"] != "T3"], INSTRUMENT, wave_column="wave")
    expected = two.to_dict()["scales"]["s"]["change"]["T1->T2"]
    for key in ("n", "mean_diff", "t", "d_z"):
        assert change["T1->T2"][key] == pytest.approx(expected[key], rel=1e-12)
    assert change["T1->T2"]["latent"]["estimate"] == pytest.approx(
        expected["latent"]["estimate"], rel=1e-6)


def test_em_that_does_not_converge_is_not_converged_with_its_iterations(monkeypatch):
    class FewIterations(PatternMoments):
        @classmethod
        def from_data(cls, data, tol=1e-10, max_iter=2_000):
            return PatternMoments.from_data(data, tol=tol, max_iter=5)

    monkeypatch.setattr(inv_module, "PatternMoments", FewIterations)
    data = _three_waves(300)
    data.loc[data.index % 7 == 0, "x2"] = float("nan")
    res = longitudinal_invariance(data, "s", ITEMS, ("T1", "T2", "T3"), rule="chi2")
    assert res.status == "not_converged"
    assert "did not converge in 5 iterations" in res.reason
    assert "persons with answers per wave: T1 300, T2 300, T3 300" in res.reason


def _valid(results: dict) -> None:
    import json
    from importlib import resources

    import jsonschema

    schema = json.loads(resources.files("psychometrics.schema").joinpath(
        "results.schema.json").read_text())
    jsonschema.validate(json.loads(json.dumps(results)), schema)
