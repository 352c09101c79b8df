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
from psychometrics.example_study import EXAMPLE, example_data_path
# --jobs 1: every analysis in this interpreter, whose modules are the ones checked
codes = [main(["validate", sys.argv[1], "--instrument", sys.argv[2], "--id", "id", "--wave",
               "wave", "--quiet", "--out", sys.argv[3] + "/light", "--jobs", "1"])]
codes += [main(["validate", str(example_data_path()), "--instrument", "tse", "--id",
                EXAMPLE.id_column, "--wave", EXAMPLE.wave_column, "--quiet", "--no-report",
                "--out", sys.argv[3] + "/" + estimator, "--estimator", estimator,
                "--jobs", "1"])
          for estimator in ("ML", "WLSMV")]
heavy = [m for m in ("scipy.stats", "factor_analyzer", "sklearn", "scipy.optimize",
                     "scipy.linalg") if m in sys.modules]
print(*codes, ",".join(heavy))
"""


def _light_data(folder):
    """One 6-item scale of 5-point answers, 300 persons at two waves."""
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
    pd.concat(frames).to_csv(folder / "data.csv", index=False)
    (folder / "scale.yaml").write_text(
        'id: light\nversion: "1"\nresponse_scale: {min: 1, max: 5}\n'
        f"scales:\n  s: {{items: [{', '.join(items)}]}}\n")


def test_validate_imports_none_of_the_heavy_modules(tmp_path):
    """In one fresh interpreter: a run with the report on a one-scale instrument, and
    the demo's data with the three-subscale teacher self-efficacy bank of its instrument
    (EFA, omega hierarchical with 3 group factors, the d_z intervals) with ML and with
    WLSMV (polychorics)."""
    _light_data(tmp_path)
    out = subprocess.run([sys.executable, "-c", CODE, str(tmp_path / "data.csv"),
                          str(tmp_path / "scale.yaml"), str(tmp_path)],
                         capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[-2].strip() == "0 0 0"  # all ran, nothing heavy imported
    assert (tmp_path / "light" / "report.html").is_file()
    results = (tmp_path / "light" / "results.json").read_text()
    assert '"efa"' in results and '"invariance"' in results and '"change"' in results
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
