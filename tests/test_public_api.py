"""The scorer's public API is a contract for other projects: its names are pinned,
it is typed, and importing it pulls in nothing heavy."""

import subprocess
import sys
from pathlib import Path

import instruments

PUBLIC = [
    "DEFAULT_MIN_ANSWERED", "MISSING_TOKENS", "BinnenuitError", "BinnenuitWarning",
    "Composite", "GeneralFactor", "Instrument", "Item",
    "ItemBankError", "RawTable", "ResponseError", "Responses",
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


def test_no_public_name_or_signature_disappears_without_a_deprecation():
    """The API pinned in tests/reference/api/public_api.json (scripts/pin_public_api.py)
    still works for a caller written against it: every name is still there, or is
    deprecated (listed in its package's ``_DEPRECATED`` and warning on use), and every
    call that was valid still is."""
    import importlib
    import json
    import warnings

    from api_contract import breaks, public_api
    from conftest import REFERENCE

    pinned = json.loads((REFERENCE / "api" / "public_api.json").read_text())
    now = public_api()
    problems = []
    for name, old in pinned.items():
        pkg_name, attr = name.split(".", 1)
        pkg = importlib.import_module(pkg_name)
        if name not in now and attr in getattr(pkg, "_DEPRECATED", {}):
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                getattr(pkg, attr)
            if not any(issubclass(w.category, DeprecationWarning) for w in seen):
                problems.append(f"{name}: deprecated but does not warn")
            continue
        problems += [f"{name}: {p}" for p in breaks(old, now.get(name))]
    assert problems == []


def test_the_contract_check_catches_breaking_changes():
    from api_contract import breaks

    def api(*params):
        return {"kind": "function", "parameters": [
            {"name": n, "kind": k, "default": d} for n, k, d in params]}

    old = api(("data", "POSITIONAL_OR_KEYWORD", False), ("lang", "KEYWORD_ONLY", True))
    assert breaks(old, old) == []
    assert breaks(old, api(("data", "POSITIONAL_OR_KEYWORD", False),
                           ("lang", "KEYWORD_ONLY", True), ("extra", "KEYWORD_ONLY", True))) == []
    assert breaks(old, None) == ["the name is gone"]
    assert breaks(old, api(("data", "POSITIONAL_OR_KEYWORD", False))) == [
        "parameter 'lang' is gone"]
    assert breaks(old, api(("data", "POSITIONAL_OR_KEYWORD", False),
                           ("options", "VAR_KEYWORD", False))) == []
    assert breaks(old, api(("data", "POSITIONAL_OR_KEYWORD", False),
                           ("lang", "KEYWORD_ONLY", False))) == ["parameter 'lang' lost its default"]
    assert breaks(old, api(("frame", "POSITIONAL_OR_KEYWORD", False),
                           ("lang", "KEYWORD_ONLY", True))) == [
        "parameter 'data' is gone", "new parameter 'frame' has no default"]
