"""BLAS threads for the engine's computations."""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import cache
from typing import Any


@cache
def _controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread() -> AbstractContextManager[Any]:
    """A context that runs BLAS on one thread. The products of one model are small;
    on a machine shared with other work, more threads spin and wait rather than help
    (measured: a 58-item FIML CFA 2.6 s on one thread, 5.8 s on two of two cores).
    Parallelism belongs a level up (several models, Monte Carlo replications)."""
    limit: AbstractContextManager[Any] = _controller().limit(limits=1, user_api="blas")
    return limit
