"""validate's options are one checked object: built by the CLI and the API alike,
recorded in results.json (settings.options)."""

import re

import pytest

from instruments.errors import OptionError
from psychometrics.validate_options import ValidateOptions


def test_options_are_checked_when_made_and_list_what_is_allowed():
    with pytest.raises(OptionError, match=re.escape("'estimator' parameter of validate must be "
                                                    "one of 'ML', 'MLR', 'WLSMV'. Got 'GLS'")):
        ValidateOptions(estimator="GLS")
    with pytest.raises(OptionError, match=re.escape("validate has no option 'estimater'. Its "
                                                    "options: id_column, wave_column")):
        ValidateOptions.from_mapping({"estimater": "MLR"})


def test_options_round_trip_through_json_types():
    opts = ValidateOptions(id_column=["study", "id"], waves=["T0", "T2"], missing_codes=[-99])
    assert opts.id_column == ("study", "id") and opts.missing_codes == (-99.0,)
    again = ValidateOptions.from_mapping(opts.to_dict())
    assert again == opts and hash(again) == hash(opts)
    assert opts.replace(seed=3).seed == 3 and opts.seed == 0


def test_results_json_records_the_options_the_cli_built(demo_run):
    _, res = demo_run
    options = res["settings"]["options"]
    assert options["id_column"] == "teacher" and options["wave_column"] == "wave"
    assert options["group"] == "district" and options["cluster"] == "school"
    assert ValidateOptions.from_mapping(options).to_dict() == options


def test_keyword_options_still_work_and_override_an_options_object(tmp_path):
    import pandas as pd

    import psychometrics
    from psychometrics.example_study import example_data_path

    data = pd.read_csv(example_data_path())
    data = data[data["school"].isin(["S1", "S2"])]
    base = ValidateOptions(id_column="teacher", wave_column="wave", seed=1)
    res = psychometrics.validate(data, "tse", base, seed=2).to_dict()
    assert res["settings"]["options"]["seed"] == 2
    assert res["settings"]["options"]["id_column"] == "teacher"
