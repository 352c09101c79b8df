"""The one options vocabulary of binnenuit: every option, its allowed values or range.

The command line builds its choices from this table, :func:`psychometrics.validate`
checks its arguments against it at the entrance, and a settings dictionary is
checked with :func:`check_settings`. To add an allowed value (e.g. a new decision
rule), add it to the tuple here: the CLI, the API check and the messages follow.

======================  ==============================================================
option                  allowed
======================  ==============================================================
id_column               a column name, or several (a list or 'study,id')
wave_column             a non-empty str or None
wide                    None or a pattern with {item} and {wave}, e.g. '{item}_{wave}'
waves                   None or a list of distinct non-empty str (choose and order)
on_invalid              'raise', 'missing'
missing_codes           a finite real number or a list of them
wave_order              None or a list of distinct non-empty str
sheet, encoding         a non-empty str or None (Excel sheet; text file encoding)
missing                 'listwise', 'pairwise'
alpha_ci                'feldt', 'bootstrap'
n_boot                  an int in [MIN_N_BOOT (1000), 1000000]
seed                    an int in [0, 2**32 - 1]
model_missing           'fiml', 'listwise' (with WLSMV: 'fiml' means pairwise)
estimator               ESTIMATORS: 'ML', 'MLR', 'WLSMV' (items as ordered categories)
rule                    RULES: 'lrt-calibrated', 'cfi-rmsea', 'chen-small-n', 'chi2'
null_model              'independence', 'longitudinal'
rci_reliability         'alpha', 'omega'
ignore_invariance       True or False
jobs                    'auto' (one process per core) or an int in [1, MAX_JOBS (256)]
cluster                 a non-empty str or None
group                   a non-empty str or None (a column of groups)
group_order             None or a list of distinct non-empty str
lang                    'en', 'nl'
======================  ==============================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from instruments.options import (
    READ_OPTIONS,
    Choice,
    Constraint,
    Flag,
    Function,
    Integer,
    Labels,
    Text,
    as_numbers,
    check_options,
)
from psychometrics.decision_rules import RULES
from psychometrics.estimators import ESTIMATORS

#: The fewest bootstrap resamples accepted (``--n-boot``): a percentile interval rests
#: on the resamples in its tails (25 on each side of a 95% interval at 1,000), and
#: fewer than about 1,000 make its limits unstable (Efron & Tibshirani 1993, ch. 19).
#: Defined here so that the command line names them without importing the statistics.
MIN_N_BOOT = 1000
MAX_N_BOOT = 1_000_000
#: The most processes ``jobs`` may ask for.
MAX_JOBS = 256

__all__ = ["ESTIMATORS", "MAX_JOBS", "MAX_N_BOOT", "MIN_N_BOOT", "OPTIONS", "RULES", "allowed", "as_numbers",
           "check_settings"]

#: Decision rules of the invariance tests (``--rule``), defined with the rules
#: themselves in :mod:`psychometrics.decision_rules` (the first is the default).

class Jobs(Constraint):
    """The number of processes: ``"auto"`` or a whole number in [1, MAX_JOBS]."""

    def ok(self, value: Any) -> bool:
        return value == "auto" or Integer(1, MAX_JOBS).ok(value)

    def describe(self) -> str:
        return f"'auto' or an int in [1, {MAX_JOBS}]"


#: Every option of validate and the command line, with its constraint.
OPTIONS: dict[str, Constraint] = {
    **READ_OPTIONS,
    "missing": Choice(("listwise", "pairwise")),
    "alpha_ci": Choice(("feldt", "bootstrap")),
    "n_boot": Integer(MIN_N_BOOT, MAX_N_BOOT),
    "seed": Integer(0, 2**32 - 1),
    "model_missing": Choice(("fiml", "listwise")),
    "estimator": Choice(ESTIMATORS),
    "rule": Choice(RULES),
    "null_model": Choice(("independence", "longitudinal")),
    "rci_reliability": Choice(("alpha", "omega")),
    "ignore_invariance": Flag(),
    "jobs": Jobs(),
    "cluster": Text(none=True),
    "group": Text(none=True),
    "group_order": Labels(),
    "lang": Choice(("en", "nl")),
    "progress": Function(),
}


def allowed(name: str) -> tuple[str, ...]:
    """The allowed values of a choice option (for the command line's ``choices``)."""
    constraint = OPTIONS[name]
    if not isinstance(constraint, Choice):
        raise TypeError(f"option {name!r} is not a choice")
    return constraint.values


def check_settings(values: Mapping[str, Any], function: str = "validate") -> None:
    """Check options (from the API or a settings file) against :data:`OPTIONS`.

    >>> check_settings({"estimator": "GLS"})  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    instruments.errors.OptionError: The 'estimator' parameter of validate must be one of
    'ML', 'MLR', 'WLSMV'. Got 'GLS' instead.
    >>> check_settings({"rule": "bogus"})  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    instruments.errors.OptionError: The 'rule' parameter of validate must be one of
    'lrt-calibrated', 'cfi-rmsea', 'chen-small-n', 'chi2'. Got 'bogus' instead.
    """
    check_options(function, values, OPTIONS)
