"""Declared constraints for options, checked at the entrance of public functions.

In the spirit of scikit-learn's ``utils/_param_validation.py``: each option has one
constraint object that checks a value and describes what is allowed, so every
message reads the same way and lists the allowed values::

    The 'rule' parameter of validate must be one of 'cfi-rmsea', 'chen-small-n',
    'chi2'. Got 'bogus' instead.

The reading options of :func:`instruments.read_responses` are declared here
(:data:`READ_OPTIONS`); :mod:`psychometrics.options` adds the statistical ones
and is the one vocabulary the command line, the API and settings use.
"""

from __future__ import annotations

import math
import numbers
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from instruments.errors import OptionError


class Constraint(ABC):
    """What values an option may take."""

    @abstractmethod
    def ok(self, value: Any) -> bool:
        """Whether ``value`` is allowed."""

    @abstractmethod
    def describe(self) -> str:
        """The allowed values in words, for the error message."""


@dataclass(frozen=True)
class Choice(Constraint):
    """One of a fixed set of strings."""

    values: tuple[str, ...]

    def ok(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.values

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class Integer(Constraint):
    """A whole number (not a bool) in ``[low, high]``."""

    low: int
    high: int

    def ok(self, value: Any) -> bool:
        return (isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
                and self.low <= int(value) <= self.high)

    def describe(self) -> str:
        return f"an int in [{self.low}, {self.high}]"


@dataclass(frozen=True)
class Flag(Constraint):
    """True or False."""

    def ok(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_))

    def describe(self) -> str:
        return "True or False"


@dataclass(frozen=True)
class Text(Constraint):
    """A non-empty string (a column name), or None when allowed."""

    none: bool = False

    def ok(self, value: Any) -> bool:
        if value is None:
            return self.none
        return isinstance(value, str) and value.strip() != "" and len(value) <= 1000

    def describe(self) -> str:
        return "a non-empty str (a column name)" + (" or None" if self.none else "")


@dataclass(frozen=True)
class Columns(Constraint):
    """One column name, or several: a list of distinct names or ``"a,b"``."""

    def ok(self, value: Any) -> bool:
        if isinstance(value, str):
            names = [v.strip() for v in value.split(",")] if "," in value else [value]
        elif isinstance(value, (list, tuple)):
            names = list(value)
        else:
            return False
        return (len(names) > 0 and all(Text().ok(v) for v in names)
                and len(set(names)) == len(names))

    def describe(self) -> str:
        return "a column name or a list of distinct column names (e.g. ['study', 'id'])"


@dataclass(frozen=True)
class Pattern(Constraint):
    """A wide-format pattern with ``{item}`` and ``{wave}`` once each, or None."""

    def ok(self, value: Any) -> bool:
        if value is None:
            return True
        if not isinstance(value, str):
            return False
        return (sorted(re.findall(r"\{([^{}]*)\}", value)) == ["item", "wave"]
                and value.count("{") == 2 and value.count("}") == 2)

    def describe(self) -> str:
        return ("None or a pattern with {item} and {wave} once each, e.g. '{item}_{wave}' "
                "or 'T{wave}_{item}'")


@dataclass(frozen=True)
class Labels(Constraint):
    """A list of distinct non-empty strings, or None."""

    def ok(self, value: Any) -> bool:
        if value is None:
            return True
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            return False
        return (all(isinstance(v, str) and v.strip() for v in value)
                and len(set(value)) == len(value) and len(value) > 0)

    def describe(self) -> str:
        return "None or a list of distinct non-empty str"


@dataclass(frozen=True)
class Numbers(Constraint):
    """A finite real number or a list of them (e.g. missing-value codes)."""

    def ok(self, value: Any) -> bool:
        return as_numbers(value) is not None

    def describe(self) -> str:
        return "a finite real number or a list of them, e.g. [-99, -9]"


@dataclass(frozen=True)
class Function(Constraint):
    """A callable."""

    def ok(self, value: Any) -> bool:
        return callable(value)

    def describe(self) -> str:
        return "a callable"


def as_numbers(value: Any) -> tuple[float, ...] | None:
    """``value`` as a tuple of finite floats, or None when it is not numbers."""
    items = value if isinstance(value, (list, tuple, set, frozenset, np.ndarray)) else [value]
    out = []
    for v in items:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            return None
        f = float(v)
        if not math.isfinite(f):
            return None
        out.append(f)
    return tuple(out)


def check_options(function: str, values: Mapping[str, Any],
                  vocabulary: Mapping[str, Constraint]) -> None:
    """Check each of ``values`` against its constraint in ``vocabulary``.

    Raises
    ------
    OptionError
        Naming the option and the function, what is allowed and what was given.

    Examples
    --------
    >>> check_options("f", {"on_invalid": "skip"}, READ_OPTIONS)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    instruments.errors.OptionError: The 'on_invalid' parameter of f must be one of ... 'skip' instead.
    """
    for name, value in values.items():
        constraint = vocabulary.get(name)
        if constraint is None:
            raise OptionError(f"{function} has no option {name!r}. Options: "
                              f"{', '.join(sorted(vocabulary))}.")
        if not constraint.ok(value):
            shown = repr(value)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            raise OptionError(f"The {name!r} parameter of {function} must be "
                              f"{constraint.describe()}. Got {shown} instead.")


#: The options of reading responses (read_responses, score, validate, the CLI).
READ_OPTIONS: dict[str, Constraint] = {
    "id_column": Columns(),
    "wave_column": Text(none=True),
    "on_invalid": Choice(("raise", "missing")),
    "missing_codes": Numbers(),
    "wave_order": Labels(),
    "sheet": Text(none=True),
    "encoding": Text(none=True),
    "wide": Pattern(),
    "waves": Labels(),
}

__all__ = [
    "READ_OPTIONS",
    "Choice",
    "Columns",
    "Constraint",
    "Flag",
    "Function",
    "Integer",
    "Labels",
    "Numbers",
    "Pattern",
    "Text",
    "as_numbers",
    "check_options",
]

