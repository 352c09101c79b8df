import json
from pathlib import Path

import pytest

from instruments import Instrument

REFERENCE = Path(__file__).parent / "reference"


@pytest.fixture(scope="session")
def user_instrument() -> Instrument:
    """The minimal user instrument: agree (A1..A5, A1 reversed), calm (B1..B3)."""
    return Instrument.from_file(REFERENCE / "scoring" / "instrument.yaml")


@pytest.fixture(scope="session")
def user_instrument_path() -> str:
    return str(REFERENCE / "scoring" / "instrument.yaml")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> tuple[Path, dict]:
    """`binnenuit demo` run once per test session (the slowest step of the suite):
    the output folder and its results.json. Dutch item texts, so the report tests can
    check the language option too; nothing else in the run depends on the language."""
    from psychometrics.cli import main

    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out), "--quiet", "--lang", "nl"]) == 0
    return out, json.loads((out / "results.json").read_text())
