"""binnenuit's scorer: item banks, instruments, checked responses and scale scores.

Light on purpose (numpy, pandas, pyyaml, pydantic): other projects import it, and
it imports nothing of SEM or factor analysis.

>>> from instruments import Instrument, score
>>> kvb = Instrument.load("kvb")
>>> len(kvb.scales) > 0
True
"""

from instruments.banks import bank_ids, instrument_ids, load_bank
from instruments.errors import (
    BinnenuitError,
    BinnenuitWarning,
    ConvergenceWarning,
    HeywoodCaseWarning,
    ItemBankError,
    MissingDataWarning,
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
from instruments.reading import RawTable, read_table
from instruments.responses import MISSING_TOKENS, Responses, read_responses
from instruments.scoring import Scores, keyed_items, score

__all__ = [
    "DEFAULT_MIN_ANSWERED",
    "MISSING_TOKENS",
    "BinnenuitError",
    "BinnenuitWarning",
    "Composite",
    "ConvergenceWarning",
    "GeneralFactor",
    "HeywoodCaseWarning",
    "Instrument",
    "Item",
    "ItemBankError",
    "MissingDataWarning",
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
