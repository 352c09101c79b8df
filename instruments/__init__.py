"""binnenuit's scorer: item banks, instruments, checked responses and scale scores.

Light on purpose (numpy, pandas, pyyaml, pydantic): other projects import it, and
it imports nothing of SEM or factor analysis. Reading, checking and scoring (which
need pandas) are imported on first use of their names.

>>> from instruments import Instrument, score
>>> kvb = Instrument.load("kvb")
>>> len(kvb.scales) > 0
True
"""

from typing import TYPE_CHECKING

from instruments.banks import bank_ids, instrument_ids, load_bank
from instruments.errors import (
    BinnenuitError,
    BinnenuitWarning,
    ItemBankError,
    ResponseError,
)
from instruments.instrument import (
    DEFAULT_MIN_ANSWERED,
    Composite,
    GeneralFactor,
    Instrument,
    Item,
    Scale,
    load_instrument,
)

if TYPE_CHECKING:  # the lazy names below, for type checkers
    from instruments.reading import RawTable, read_table
    from instruments.responses import MISSING_TOKENS, Responses, read_responses
    from instruments.scoring import Scores, keyed_items, score

#: Names whose modules need pandas: imported on first use, so that ``import
#: instruments`` (item banks, instruments, errors) stays light.
_LAZY = {
    "RawTable": "reading", "read_table": "reading",
    "MISSING_TOKENS": "responses", "Responses": "responses", "read_responses": "responses",
    "Scores": "scoring", "keyed_items": "scoring", "score": "scoring",
}


__all__ = [
    "DEFAULT_MIN_ANSWERED",
    "MISSING_TOKENS",
    "BinnenuitError",
    "BinnenuitWarning",
    "Composite",
    "GeneralFactor",
    "Instrument",
    "Item",
    "ItemBankError",
    "RawTable",
    "ResponseError",
    "Responses",
    "Scale",
    "Scores",
    "bank_ids",
    "instrument_ids",
    "keyed_items",
    "load_bank",
    "load_instrument",
    "read_responses",
    "read_table",
    "score",
]

#: Public names on their way out: what replaces each, and the release that removes it.
#: They still work, with a DeprecationWarning (tests/test_public_api.py holds this).
_DEPRECATED = {
    "ConvergenceWarning": ("psychometrics.exceptions.NonConvergenceWarning", "0.4.0"),
    "HeywoodCaseWarning": ("psychometrics.exceptions.InadmissibleSolutionWarning", "0.4.0"),
    "MissingDataWarning": ("psychometrics.exceptions.InsufficientDataWarning", "0.4.0"),
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f"instruments.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    if name in _DEPRECATED:
        import warnings

        from instruments import errors

        replacement, removed_in = _DEPRECATED[name]
        warnings.warn(f"instruments.{name} was never raised by the scorer and goes in "
                      f"binnenuit {removed_in}; the statistics raise {replacement}",
                      DeprecationWarning, stacklevel=2)
        return getattr(errors, name)
    raise AttributeError(f"module 'instruments' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
