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
