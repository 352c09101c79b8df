"""Importing one module of the package does not load the whole pipeline, and the
public names stay what they were (functions, also where a module has the same name).

One fresh interpreter makes the three checks in turn, each adding modules to what the
one before loaded (a fresh interpreter costs about a second of the suite): the SEM
engine first, then the report, then the pipeline."""

import subprocess
import sys

import pytest

CODE = """
import sys
import psychometrics.cfa
print(','.join(m for m in ('psychometrics.pipeline', 'psychometrics.report', 'scipy.stats',
                           'scipy.optimize', 'matplotlib') if m in sys.modules))
import psychometrics.report.html, psychometrics.report.outputs, psychometrics.report.figures
print('psychometrics.pipeline' in sys.modules)
import psychometrics, psychometrics.pipeline
print(callable(psychometrics.efa), callable(psychometrics.omega_hierarchical),
      all(hasattr(psychometrics, n) for n in psychometrics.__all__))
"""


@pytest.fixture(scope="module")
def lines() -> list[str]:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                         check=True).stdout
    return out.split("\n")


def test_the_sem_engine_loads_without_the_pipeline(lines):
    assert lines[0] == ""  # none of the modules listed


def test_the_report_reads_results_without_importing_the_pipeline(lines):
    assert lines[1] == "False"


def test_public_functions_keep_their_names_after_the_pipeline_loads(lines):
    assert lines[2] == "True True True"
