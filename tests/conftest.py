import gc
import json
import os
import time
from pathlib import Path

import pytest

from instruments import Instrument

REFERENCE = Path(__file__).parent / "reference"


def pytest_addoption(parser):
    parser.addoption("--full-budget", action="store_true",
                     help="run the randomized tests (marked slow) at their full budget of "
                          "examples and Monte Carlo replications (tests/budget.py); the "
                          "same as BINNENUIT_FULL_BUDGET=1")


def pytest_configure(config):
    if config.getoption("--full-budget", default=False):
        os.environ["BINNENUIT_FULL_BUDGET"] = "1"  # read by tests/budget.py at import
    # The suite makes many short-lived objects (DataFrames, fits): with the default
    # thresholds (700, 10, 10) Python's cycle collector ran 775 times in four of the
    # test files (0.70 s of ~20 s), with these 102 times (0.18 s). A test process only;
    # the package leaves the collector as it finds it.
    gc.set_threshold(100_000, 50, 100)


def pytest_collection_finish(session):
    gc.freeze()  # the modules and tests collected stay: no collection walks them again


@pytest.fixture(scope="session", autouse=True)
def _auto_is_one_process_in_a_test_worker():
    """The test workers (pytest-xdist) already keep every core busy: here ``jobs='auto'``
    (the command line's default) means one process, so that the command-line tests do
    not start pools of their own on cores that are taken. tests/test_parallel.py asks
    for two processes where it compares them with one."""
    import psychometrics.parallel as parallel

    patch = pytest.MonkeyPatch()
    patch.setattr(parallel, "available_cores", lambda: 1)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def user_instrument() -> Instrument:
    """The minimal user instrument: agree (A1..A5, A1 reversed), calm (B1..B3)."""
    return Instrument.from_file(REFERENCE / "scoring" / "instrument.yaml")


@pytest.fixture(scope="session")
def user_instrument_path() -> str:
    return str(REFERENCE / "scoring" / "instrument.yaml")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, worker_id) -> tuple[Path, dict]:
    """`binnenuit demo` run once per test session (the slowest step of the suite): the
    output folder and its results.json. With pytest-xdist the first worker that needs it
    runs it (an exclusive lock file in the session's shared folder) and the others read
    its output. Dutch item texts, so the report tests can check the language option too;
    nothing else in the run depends on the language."""
    from psychometrics.cli import main

    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent  # one folder per session
    out, done = shared / "demo", shared / "demo.done"
    try:
        os.close(os.open(shared / "demo.lock", os.O_CREAT | os.O_EXCL))
    except FileExistsError:  # another worker runs it: wait for its verdict
        deadline = time.monotonic() + 900
        while not done.exists():
            assert time.monotonic() < deadline, "the demo did not finish in another worker"
            time.sleep(0.2)
    else:
        try:
            # two processes: the other test worker often waits for this run (its lock)
            code = main(["demo", "--out", str(out), "--quiet", "--lang", "nl", "--jobs", "2"])
        finally:
            done.write_text("ok" if out.joinpath("results.json").is_file() else "failed")
        assert code == 0
    assert done.read_text() == "ok", "the demo failed in another worker"
    return out, json.loads((out / "results.json").read_text())
