"""The budget of the randomized tests (marked ``slow``): hypothesis examples and Monte
Carlo replications.

The default run (CI's) uses the small budget, which keeps the suite quick and still
lets each test fail: every Monte Carlo bound is stated in standard errors of the budget
in use, and the fuzz examples are fixed (derandomized) so CI runs the same inputs each
time. ``pytest --full-budget`` (or ``BINNENUIT_FULL_BUDGET=1``) runs the full budget;
``pytest -m slow --full-budget`` runs only these tests at it.
"""

import os


def full() -> bool:
    """Whether the full budget was asked for."""
    return os.environ.get("BINNENUIT_FULL_BUDGET", "") not in ("", "0")


def budget(ci: int, full_run: int) -> int:
    """``ci`` in the default run, ``full_run`` with ``--full-budget``."""
    return full_run if full() else ci
