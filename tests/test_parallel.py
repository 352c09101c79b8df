"""validate's analyses on several processes (issue 16: the demo within 5 s on two
cores) give what one process gives: the same results.json, the same warnings in the
same order; the number of processes is an option checked at the entrance."""

import json
import warnings

import pandas as pd
import pytest

from instruments import BinnenuitWarning
from instruments.errors import OptionError
from psychometrics import validate
from psychometrics.cli import main
from psychometrics.example_study import EXAMPLE, example_data_path
from psychometrics.parallel import Task, processes_for, run_tasks


def _small_study() -> pd.DataFrame:
    """The example study (its teacher self-efficacy bank is the instrument: three scales)."""
    return pd.read_csv(example_data_path())


def _run(jobs):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = validate(_small_study(), "tse", id_column=EXAMPLE.id_column,
                          wave_column=EXAMPLE.wave_column, group=EXAMPLE.group_column,
                          jobs=jobs)
    ours = [(w.category.__name__, str(w.message)) for w in seen
            if issubclass(w.category, BinnenuitWarning)]
    return json.loads(json.dumps(result.to_dict())), ours


def test_two_processes_give_the_results_and_warnings_of_one():
    one, warned_one = _run(1)
    two, warned_two = _run(2)
    assert one["settings"]["options"].pop("jobs") == 1
    assert two["settings"]["options"].pop("jobs") == 2
    assert two == one  # every number, verdict and warning record, bit for bit
    assert warned_two == warned_one and warned_one  # raised again, in the same order
    assert set(one["scales"]) == {"tse_engagement", "tse_instruction", "tse_management"}
    assert all(s["group_invariance"]["status"] == "ok" for s in one["scales"].values())


def _square(x: int) -> int:
    warnings.warn(f"square of {x}", UserWarning, stacklevel=1)
    return x * x


def test_run_tasks_keeps_the_order_of_results_and_warnings():
    tasks = [Task(f"t{k}", _square, (k,)) for k in range(5)]
    said: list[str] = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert run_tasks(tasks, 2, said.append) == [0, 1, 4, 9, 16]
    assert [str(w.message) for w in seen] == [f"square of {k}" for k in range(5)]
    assert said == ["5 analyses on 2 processes"] + [f"t{k}: done" for k in range(5)]
    said.clear()
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert run_tasks(tasks, 1, said.append) == [0, 1, 4, 9, 16]
    assert said == [f"t{k}" for k in range(5)]  # one process: each announced as it starts


def test_processes_follow_the_option_the_cores_and_the_scales(monkeypatch):
    import psychometrics.parallel as parallel

    monkeypatch.setattr(parallel, "available_cores", lambda: 2)
    assert processes_for("auto", 16) == 2
    assert processes_for("auto", 1) == 1  # one scale: nothing to share
    assert processes_for(8, 3) == 3
    assert processes_for(1, 16) == 1


@pytest.mark.parametrize("jobs", [0, -1, 1.5, "all", True, 257])
def test_jobs_is_checked_at_the_entrance(jobs):
    with pytest.raises(OptionError, match=r"The 'jobs' parameter of validate must be 'auto' "
                                          r"or an int in \[1, 256\]"):
        validate(_small_study(), "tse", id_column=EXAMPLE.id_column,
                 wave_column=EXAMPLE.wave_column, jobs=jobs)


def test_jobs_on_the_command_line(tmp_path, capsys):
    args = ["validate", str(example_data_path()), "--instrument", "tse", "--id",
            EXAMPLE.id_column, "--wave", EXAMPLE.wave_column, "--out", str(tmp_path / "o"),
            "--quiet", "--no-report"]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--jobs", "many"])
    assert exit_info.value.code == 2
    assert "--jobs: must be 'auto' or a whole number, not 'many'" in capsys.readouterr().err
    assert main([*args, "--jobs", "0"]) == 2
    assert "'auto' or an int in [1, 256]. Got 0 instead" in capsys.readouterr().err


def test_workers_that_start_fresh_give_the_same(monkeypatch):
    """Where processes are not forked (macOS, Windows; Linux from Python 3.12) the
    workers import the package anew: the same results and warnings."""
    import multiprocessing

    import psychometrics.parallel as parallel

    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context("spawn"))
    tasks = [Task(f"t{k}", _square, (k,)) for k in range(3)]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert run_tasks(tasks, 2, lambda _: None) == [0, 1, 4]
    assert [str(w.message) for w in seen] == ["square of 0", "square of 1", "square of 2"]


def _fail(x: int) -> int:
    raise ValueError(f"task {x} failed")


def test_an_error_in_a_worker_reaches_the_caller_as_it_was_raised():
    tasks = [Task("ok", _square, (2,)), Task("bad", _fail, (7,)), Task("ok", _square, (3,))]
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="task 7 failed"):
            run_tasks(tasks, 2, lambda _: None)


def test_without_a_process_pool_the_tasks_run_here_and_say_why(monkeypatch):
    import psychometrics.parallel as parallel

    def no_pool(*args, **kwargs):
        raise OSError(38, "Function not implemented")  # no sem_open, as on AWS Lambda

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", no_pool)
    said: list[str] = []
    tasks = [Task(f"t{k}", _square, (k,)) for k in range(3)]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert run_tasks(tasks, 2, said.append) == [0, 1, 4]
    assert said[0].startswith("no worker processes here ([Errno 38] Function not implemented)")
    assert said[1:] == ["t0", "t1", "t2"]
    assert [str(w.message) for w in seen] == ["square of 0", "square of 1", "square of 2"]
