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


_KEPT: list[Any] = []  # a process's lasting limit (see one_blas_thread_from_now_on)


def one_blas_thread_from_now_on() -> None:
    """Run BLAS on one thread for the rest of this process (a worker process of
    :mod:`psychometrics.parallel`, where the parallelism is the processes). The
    controller is the one :func:`one_blas_thread` uses: made before a fork, a forked
    worker inherits it instead of scanning the loaded libraries again."""
    _KEPT.append(_controller().limit(limits=1, user_api="blas"))


def prepare_for_workers() -> None:
    """Find the BLAS libraries once, in the process that forks the workers."""
    _controller()
