"""The scorer's public API is a contract for other projects: its names are pinned,
it is typed, and importing it pulls in nothing heavy."""

import subprocess
import sys
from pathlib import Path

import instruments

PUBLIC = [
    "DEFAULT_MIN_ANSWERED", "MISSING_TOKENS", "BinnenuitError", "BinnenuitWarning",
    "Composite", "ConvergenceWarning", "GeneralFactor", "HeywoodCaseWarning", "Instrument", "Item",
    "ItemBankError", "MissingDataWarning", "RawTable", "ResponseError", "Responses",
    "Scale", "Scores", "bank_ids", "instrument_ids", "load_bank", "load_instrument",
    "keyed_items", "read_responses", "read_table", "score",
]


def test_public_names_are_pinned():
    # Adding a name is a choice, removing one breaks users: change this list knowingly.
    assert sorted(instruments.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert hasattr(instruments, name)


def test_package_is_typed():
    assert (Path(instruments.__file__).parent / "py.typed").is_file()


def test_errors_are_value_errors():
    assert issubclass(instruments.ResponseError, ValueError)
    assert issubclass(instruments.ItemBankError, instruments.BinnenuitError)


def test_import_instruments_stays_light():
    code = (
        "import sys, instruments\n"
        "inst = instruments.Instrument.load('kvb')\n"
        "heavy = [m for m in ('semopy', 'factor_analyzer', 'sklearn', 'sympy', 'statsmodels',"
        " 'scipy', 'matplotlib') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
