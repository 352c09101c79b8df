"""Independent analyses on several processes, with the results of one process.

:func:`run_tasks` runs a list of :class:`Task` (module-level functions of
:mod:`psychometrics.analyses` with their data) in this process one after the other, or
with ``jobs > 1`` in a pool of worker processes. The results come back in the order of
the tasks, and so do the warnings: each task's warnings are recorded in the worker and
raised again here, in task order, which is the order in which one process raises them.
Every simulation of a task is seeded by the task itself, so the results (and
results.json) are the same whatever the number of processes.

The model fits of one scale are small and run in Python more than in BLAS, so threads
do not help; processes do. Workers are forked where that is the platform's way and
safe (Linux, Python < 3.12: nothing to import again); elsewhere they start fresh
(``forkserver`` or ``spawn``) and import the package first (about a second each, in
parallel), which pays off only for runs of several seconds. Each worker runs BLAS on
one thread, so that two workers on two cores do not oversubscribe them.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import Any

from psychometrics.sem._blas import one_blas_thread_from_now_on, prepare_for_workers

#: A progress hook receives one short line per step; the CLI owns it (the one
#: definition: the pipeline and the analyses use this one).
Progress = Callable[[str], None]
#: A warning as a worker records it: category, message, file and line.
Recorded = tuple[type[Warning], str, str, int]


@dataclass(frozen=True, slots=True)
class Task:
    """One analysis: ``function(*args)``, announced to the user as ``label``."""

    label: str
    function: Callable[..., Any]
    args: tuple[Any, ...]


def available_cores() -> int:
    """The cores this process may run on (its affinity where the platform says)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return max(os.cpu_count() or 1, 1)


def processes_for(jobs: int | str, n_units: int) -> int:
    """The number of processes for ``jobs`` (an int, or ``"auto"``: one per core)
    and ``n_units`` independent units of work (scales), at least 1."""
    wanted = available_cores() if jobs == "auto" else int(jobs)
    return max(1, min(wanted, n_units))


def run_tasks(tasks: Sequence[Task], processes: int, progress: Progress) -> list[Any]:
    """The results of ``tasks``, in their order; on ``processes`` worker processes when
    that is more than 1 (else here, one after the other, announcing each). Where the
    system gives no process pool (no POSIX semaphores, as in some sandboxes and
    serverless runtimes), they run here, and ``progress`` says why."""
    if processes <= 1 or len(tasks) < 2:
        return _here(tasks, progress)
    prepare_for_workers()
    try:
        pool = ProcessPoolExecutor(max_workers=processes, mp_context=_context(),
                                   initializer=one_blas_thread_from_now_on)
    except (OSError, ImportError) as exc:
        progress(f"no worker processes here ({exc}): the analyses run in this one")
        return _here(tasks, progress)
    progress(f"{len(tasks)} analyses on {processes} processes")
    with pool:
        futures = [pool.submit(_recorded, task.function, task.args) for task in tasks]
        results = []
        try:
            for task, future in zip(tasks, futures):
                value, caught = future.result()
                for category, message, filename, lineno in caught:
                    warnings.warn_explicit(message, category, filename, lineno)
                progress(f"{task.label}: done")
                results.append(value)
        except BaseException:  # an error (or Ctrl-C) ends the run: start nothing more
            for future in futures:
                future.cancel()
            raise
    return results


def _here(tasks: Sequence[Task], progress: Progress) -> list[Any]:
    """The tasks in this process, one after the other, each announced as it starts."""
    results = []
    for task in tasks:
        progress(task.label)
        results.append(task.function(*task.args))
    return results


def _context() -> BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and sys.version_info < (3, 12) and "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _recorded(function: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, list[Recorded]]:
    """``function(*args)`` and the warnings it raised (in a worker)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = function(*args)
    return value, [(w.category, str(w.message), w.filename, w.lineno) for w in caught]
