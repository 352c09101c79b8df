"""Importing one module of the package does not load the whole pipeline, and the
public names stay what they were (functions, also where a module has the same name)."""

import subprocess
import sys


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_public_functions_keep_their_names_after_the_pipeline_loads():
    out = _run("import psychometrics, psychometrics.pipeline\n"
               "print(callable(psychometrics.efa), callable(psychometrics.omega_hierarchical),"
               " all(hasattr(psychometrics, n) for n in psychometrics.__all__))")
    assert out == "True True True"


def test_the_sem_engine_loads_without_the_pipeline():
    out = _run("import sys, psychometrics.cfa\n"
               "print(','.join(m for m in ('psychometrics.pipeline', 'psychometrics.report', "
               "'scipy.stats', 'scipy.optimize', 'matplotlib') if m in sys.modules))")
    assert out == ""


def test_the_report_reads_results_without_importing_the_pipeline():
    out = _run("import sys, psychometrics.report.html, psychometrics.report.outputs, "
               "psychometrics.report.figures\n"
               "print('psychometrics.pipeline' in sys.modules)")
    assert out == "False"
