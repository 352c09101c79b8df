"""The package's exception and warning types, in one place.

Every error a user can cause is a :class:`BinnenuitError`; its message names the
file, the row, the column and the value where they are known, and says what to do.
The command line turns these into exit code 2 and a message, never a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class BinnenuitError(ValueError):
    """Base class of the errors a user can cause (bad input, bad instrument)."""


class ItemBankError(BinnenuitError):
    """An item bank or instrument file is malformed or inconsistent."""


class ResponseError(BinnenuitError):
    """Raw responses cannot be read or do not fit the instrument.

    Attributes
    ----------
    problems : pandas.DataFrame or None
        Every problem found (columns ``row, column, value, problem``), when the
        error was raised after checking the data; ``None`` when the file itself
        could not be read.
    """

    def __init__(self, message: str, problems: pd.DataFrame | None = None):
        super().__init__(message)
        self.problems = problems


class BinnenuitWarning(UserWarning):
    """Base class of the package's warnings; the statistics' own are in
    :mod:`psychometrics.exceptions`."""


class ConvergenceWarning(BinnenuitWarning):
    """Deprecated (never raised; see ``instruments._DEPRECATED``).

    An estimation did not converge; its statistics are reported as missing."""


class HeywoodCaseWarning(BinnenuitWarning):
    """Deprecated (never raised; see ``instruments._DEPRECATED``).

    A solution is inadmissible (negative variance, standardized loading > 1)."""


class MissingDataWarning(BinnenuitWarning):
    """Deprecated (never raised; see ``instruments._DEPRECATED``).

    Missing data changed what could be computed (cases dropped, scales unscored)."""


class OutputError(BinnenuitError):
    """An output folder or file cannot be used or written (refused before the run,
    or a write failed; an earlier result is then left as it was)."""


class OptionError(BinnenuitError, TypeError):
    """An option (CLI, API or settings) is not one of its allowed values; the message
    names the option, lists what is allowed and shows what was given."""
