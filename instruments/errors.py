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
    """Base class of the errors a user can cause (bad input, bad instrument).

    A subclass of :class:`ValueError`, so ``except ValueError`` catches it too. The
    command line turns it into exit code 2 and its message.

    Parameters
    ----------
    message : str
        What went wrong, naming the file, row, column and value where known.

    Examples
    --------
    >>> from instruments import BinnenuitError, ItemBankError, ResponseError
    >>> issubclass(ItemBankError, BinnenuitError), issubclass(ResponseError, ValueError)
    (True, True)
    """


class ItemBankError(BinnenuitError):
    """An item bank or instrument file is malformed or inconsistent.

    Raised when a bank or instrument is loaded (:func:`instruments.load_bank`,
    :meth:`instruments.Instrument.load`); the message names the file, the item (or
    subscale, scale) and the field.

    Parameters
    ----------
    message : str
        The problem(s), one per line.

    Examples
    --------
    >>> from instruments import Instrument, ItemBankError
    >>> try:
    ...     Instrument.from_dict({"id": "x", "version": "1", "scales": {}}, source="x.yaml")
    ... except ItemBankError as err:
    ...     print(str(err).splitlines()[0])
    x.yaml: 1 problem(s) in the instrument:
    """


class ResponseError(BinnenuitError):
    """Raw responses cannot be read or do not fit the instrument.

    Parameters
    ----------
    message : str
        The problems found (the first 20, and their count).
    problems : pandas.DataFrame, optional
        Every problem found (columns ``row, column, value, problem, action``).

    Attributes
    ----------
    problems : pandas.DataFrame or None
        Every problem found (columns ``row, column, value, problem, action``), when
        the error was raised after checking the data; ``None`` when the file itself
        could not be read.

    Examples
    --------
    >>> import pandas as pd
    >>> from instruments import Instrument, ResponseError, read_responses
    >>> inst = Instrument.from_dict({"id": "demo", "version": "1",
    ...     "response_scale": {"min": 1, "max": 5},
    ...     "scales": {"agree": {"items": ["A1", "A2", "A3"]}}})
    >>> data = pd.DataFrame({"id": [1, 2], "A1": [5, 9], "A2": [1, 2], "A3": [2, "x"]})
    >>> try:
    ...     read_responses(data, inst)
    ... except ResponseError as err:
    ...     print(err.problems[["row", "column", "value", "problem"]].to_string(index=False))
     row column value                         problem
       1     A1     9 outside the response scale 1..5
       1     A3     x                    not a number
    """

    def __init__(self, message: str, problems: pd.DataFrame | None = None):
        super().__init__(message)
        self.problems = problems


class BinnenuitWarning(UserWarning):
    """Base class of the package's warnings; the statistics' own are in
    :mod:`psychometrics.exceptions` and derive from it.

    Filter all of them at once with
    ``warnings.simplefilter("ignore", BinnenuitWarning)``.

    Examples
    --------
    >>> from instruments import BinnenuitWarning
    >>> from psychometrics.exceptions import NonConvergenceWarning
    >>> issubclass(NonConvergenceWarning, BinnenuitWarning)
    True
    """


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
