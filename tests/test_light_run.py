"""A validate run (EFA, reliability, CFA, invariance, change, report) imports neither
scipy.stats nor factor_analyzer nor scikit-learn (issue 16: 0.5-2 s of imports): their
few uses are written out in psychometrics._distributions and psychometrics._fa_backend.
Nor scipy.optimize and scipy.linalg (0.3 s): the four optimizations a run does (EFA
extraction, polychorics, the d_z interval, omega hierarchical) use
psychometrics._solvers."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd

CODE = """
import sys, warnings
warnings.simplefilter("ignore")
from psychometrics.cli import main
code = main(["validate", sys.argv[1], "--instrument", sys.argv[2], "--id", "id", "--wave",
             "wave", "--quiet", "--out", sys.argv[3]])
heavy = [m for m in ("scipy.stats", "factor_analyzer", "sklearn") if m in sys.modules]
print(code, ",".join(heavy))
"""


def test_validate_imports_no_scipy_stats_nor_factor_analyzer(tmp_path):
    rng = np.random.default_rng(5)
    n, items = 300, [f"x{j}" for j in range(1, 7)]
    eta = rng.normal(size=(n, 1))
    frames = []
    for w, wave in enumerate(("T0", "T1")):
        x = 3 + (eta + 0.2 * w) * 0.8 + rng.normal(0, 0.7, size=(n, 6))
        f = pd.DataFrame(np.clip(np.rint(x), 1, 5).astype(int), columns=items)
        f.insert(0, "wave", wave)
        f.insert(0, "id", [f"p{i}" for i in range(n)])
        frames.append(f)
    pd.concat(frames).to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "scale.yaml").write_text(
        'id: light\nversion: "1"\nresponse_scale: {min: 1, max: 5}\n'
        f"scales:\n  s: {{items: [{', '.join(items)}]}}\n")
    out = subprocess.run([sys.executable, "-c", CODE, str(tmp_path / "data.csv"),
                          str(tmp_path / "scale.yaml"), str(tmp_path / "out")],
                         capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[-2].strip() == "0"  # exit code 0, nothing heavy imported
    assert (tmp_path / "out" / "report.html").is_file()
    results = (tmp_path / "out" / "results.json").read_text()
    assert '"efa"' in results and '"invariance"' in results and '"change"' in results


EXAMPLE_CODE = """
import sys, warnings
warnings.simplefilter("ignore")
from psychometrics.cli import main
from psychometrics.example_study import EXAMPLE, example_data_path
codes = [main(["validate", str(example_data_path()), "--instrument", "tse", "--id",
               EXAMPLE.id_column, "--wave", EXAMPLE.wave_column, "--quiet", "--no-report",
               "--out", sys.argv[1] + "/" + estimator, "--estimator", estimator])
         for estimator in ("ML", "WLSMV")]
heavy = [m for m in ("scipy.optimize", "scipy.linalg", "scipy.stats") if m in sys.modules]
print(*codes, ",".join(heavy))
"""


def test_example_study_run_imports_no_scipy_optimize_nor_linalg(tmp_path):
    """The demo's data and the three-subscale teacher self-efficacy bank of its
    instrument (EFA, omega hierarchical with 3 group factors, the d_z intervals), with
    ML and with WLSMV (polychorics), in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", EXAMPLE_CODE, str(tmp_path)],
                         capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[-2].strip() == "0 0"  # both ran, nothing heavy imported
    for estimator in ("ML", "WLSMV"):
        results = json.loads((tmp_path / estimator / "results.json").read_text())
        omega = results["omega_hierarchical"]["teacher_self_efficacy"]["by_wave"]["T0"]
        assert omega["status"] == "ok" and omega["n_groups"] == 3 and 0 < omega["omega_h"] < 1
        assert results["efa"]["T0"]["status"] == "ok"
        scale = results["scales"]["tse_engagement"]
        assert scale["cfa"]["T0"]["status"] == "ok"
        assert scale["cfa"]["T0"]["estimator"] == estimator  # WLSMV: on polychorics
    # with WLSMV the change is blocked (a category unused at one wave); with ML it is not
    low, high = json.loads((tmp_path / "ML" / "results.json").read_text())[
        "scales"]["tse_engagement"]["change"]["T0->T1"]["d_z_ci"]
    assert 0 < low < high
