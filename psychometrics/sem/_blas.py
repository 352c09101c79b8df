"""BLAS threads for the engine's computations."""

from __future__ import annotations

_BLAS = None


def one_blas_thread():
    """A context that runs BLAS on one thread. The products of one model are small;
    on a machine shared with other work, more threads spin and wait rather than help
    (measured: a 58-item FIML CFA 2.6 s on one thread, 5.8 s on two of two cores).
    Parallelism belongs a level up (several models, Monte Carlo replications)."""
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController
        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")
