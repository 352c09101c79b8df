"""Scale scores against R: psych::scoreItems (impute = "none") plus the 2/3 rule.

Reference: tests/reference/scoring/make_reference.R (its output scores_R.csv and
sessionInfo.txt stand beside it). The data have missing answers, reversed items,
and rows below the minimum number of answered items.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose, assert_array_equal

from instruments import Instrument, score
from psychometrics.cli import main

REF = Path(__file__).parent / "reference" / "scoring"


def _reference() -> pd.DataFrame:
    return pd.read_csv(REF / "scores_R.csv", na_values=["NA"])


def test_api_scores_equal_psych_score_items():
    inst = Instrument.from_file(REF / "instrument.yaml")
    scores = score(REF / "responses.csv", inst).table
    ref = _reference()
    assert_array_equal(scores["id"], ref["id"])
    for scale in ("agree", "calm"):
        # Closed form (a mean): R printed 17 significant digits.
        assert_allclose(scores[scale], ref[scale], rtol=1e-12, atol=0, equal_nan=True)
        assert_array_equal(scores[f"{scale}_n"], ref[f"{scale}_n"])
    # The rule left some scores missing; the same ones in R and here.
    assert ref["agree"].isna().sum() >= 2 and ref["calm"].isna().sum() >= 1


def test_cli_score_writes_the_same_scores(tmp_path):
    out = tmp_path / "scores.csv"
    code = main(["score", str(REF / "responses.csv"), "--instrument",
                 str(REF / "instrument.yaml"), "--out", str(out), "--quiet"])
    assert code == 0
    got = pd.read_csv(out)
    ref = _reference()
    assert len(got) == len(ref) == 200
    # through scores.csv and R's 17 digits: agreement exact; 1e-12 allows printing round-off
    assert_allclose(got["agree"], ref["agree"], rtol=1e-12, equal_nan=True)
    assert_allclose(got["calm"], ref["calm"], rtol=1e-12, equal_nan=True)
    # Unscored scale scores are listed with their reason beside the output.
    unscored = pd.read_csv(tmp_path / "scores.unscored.csv")
    expected = int(ref["agree"].isna().sum() + ref["calm"].isna().sum())
    assert len(unscored) == expected
    row = unscored[(unscored["id"] == "P006") & (unscored["scale"] == "agree")].iloc[0]
    assert row["n_answered"] == 2 and row["n_required"] == 4
    assert row["reason"] == "2 of 5 items answered; at least 4 needed"
    assert np.isnan(got.loc[got["id"] == "P006", "agree"]).all()
