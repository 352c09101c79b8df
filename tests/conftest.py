import json
import os
from pathlib import Path

import pytest

from instruments import Instrument

REFERENCE = Path(__file__).parent / "reference"


def pytest_addoption(parser):
    parser.addoption("--full-budget", action="store_true",
                     help="run the randomized tests (marked slow) at their full budget of "
                          "examples and Monte Carlo replications (tests/budget.py); the "
                          "same as BINNENUIT_FULL_BUDGET=1")


def pytest_configure(config):
    if config.getoption("--full-budget", default=False):
        os.environ["BINNENUIT_FULL_BUDGET"] = "1"  # read by tests/budget.py at import


@pytest.fixture(scope="session")
def user_instrument() -> Instrument:
    """The minimal user instrument: agree (A1..A5, A1 reversed), calm (B1..B3)."""
    return Instrument.from_file(REFERENCE / "scoring" / "instrument.yaml")


@pytest.fixture(scope="session")
def user_instrument_path() -> str:
    return str(REFERENCE / "scoring" / "instrument.yaml")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> tuple[Path, dict]:
    """`binnenuit demo` run once per test session (the slowest step of the suite; the
    tests that use it carry ``xdist_group("demo")``, so one worker runs it):
    the output folder and its results.json. Dutch item texts, so the report tests can
    check the language option too; nothing else in the run depends on the language."""
    from psychometrics.cli import main

    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out), "--quiet", "--lang", "nl"]) == 0
    return out, json.loads((out / "results.json").read_text())
