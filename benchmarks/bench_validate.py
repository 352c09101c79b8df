"""`binnenuit validate` (with the report) against lavaan, whole process against whole
process (issue 16).

One 6-item scale (answers 1..5 from a one-factor model), 2 waves, N persons (default
20,000). Times, alternately and in fresh processes:

- ``binnenuit validate data.csv --instrument scale.yaml --id id --wave wave --out DIR``
  (report.html, figures and tables included);
- the reference: one Rscript run that loads lavaan, reads the wide data and fits the
  four invariance models (configural, metric, scalar, strict) that binnenuit wrote
  to ``DIR/models/``.

Prints medians of ``--repeat`` runs and the ratio (target <= 1.0). Without Rscript and
lavaan the reference is reported as unavailable and no ratio is printed.

Run:  python benchmarks/bench_validate.py [--n 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _lavaan

ITEMS = [f"x{j}" for j in range(1, 7)]

_R = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
for (f in args[-1]) lavaan(paste(readLines(f), collapse = "\n"), data = d,
                           meanstructure = TRUE, missing = "ml")
"""


def simulate(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lam = np.array([0.8, 0.7, 0.9, 0.6, 0.75, 0.85])
    eta = rng.multivariate_normal([0.0, 0.3], [[1.0, 0.6], [0.6, 1.0]], size=n)
    frames = []
    for w, wave in enumerate(("T0", "T1")):
        x = 3 + eta[:, [w]] * lam + rng.normal(0, 0.7, size=(n, 6))
        f = pd.DataFrame(np.clip(np.rint(x), 1, 5).astype(int), columns=ITEMS)
        f.insert(0, "wave", wave)
        f.insert(0, "id", [f"p{i}" for i in range(n)])
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def wide(long: pd.DataFrame) -> pd.DataFrame:
    w = long.pivot(index="id", columns="wave", values=ITEMS)
    w.columns = [f"{i}_{t}" for i, t in w.columns]
    return w.reset_index(drop=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    root = str(Path(__file__).resolve().parents[1])
    os.environ["PYTHONPATH"] = root + os.pathsep + os.environ.get("PYTHONPATH", "")
    print(f"load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores)")
    have_r = _lavaan.available()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "scale.yaml").write_text(
            'id: bench6\nversion: "1"\nresponse_scale: {min: 1, max: 5}\n'
            f"scales:\n  s: {{items: [{', '.join(ITEMS)}]}}\n")
        long = simulate(a.n)
        long.to_csv(folder / "data.csv", index=False)
        cmd = [sys.executable, "-m", "psychometrics", "validate", str(folder / "data.csv"),
               "--instrument", str(folder / "scale.yaml"), "--id", "id", "--wave", "wave",
               "--quiet"]
        ours, ref = [], []
        for k in range(a.repeat):
            out = folder / f"out{k}"
            t0 = time.perf_counter()
            subprocess.run([*cmd, "--out", str(out)], check=True)
            ours.append(time.perf_counter() - t0)
            if have_r:
                models = sorted(str(p) for p in (out / "models").glob("invariance_*.lav"))
                if k == 0:
                    wide(long).to_csv(folder / "wide.csv", index=False)
                    (folder / "fit.R").write_text(_R)
                    names = [Path(m).stem for m in models]
                t0 = time.perf_counter()
                subprocess.run(["Rscript", str(folder / "fit.R"), str(folder / "wide.csv"),
                                *models], check=True, capture_output=True)
                ref.append(time.perf_counter() - t0)
        mo = statistics.median(ours)
        print(f"data: one 6-item scale, 2 waves, N = {a.n:,}")
        print(f"binnenuit validate (report) : {mo:6.2f} s (median of {a.repeat}: "
              f"{', '.join(f'{t:.2f}' for t in ours)})")
        if have_r:
            mr = statistics.median(ref)
            print(f"lavaan, one Rscript run     : {mr:6.2f} s (median of {a.repeat}: "
                  f"{', '.join(f'{t:.2f}' for t in ref)}; models {', '.join(names)})")
            ratio = mo / mr
            print(f"ratio                       : {ratio:5.2f} x  [target <= 1.0] "
                  f"{'ok' if ratio <= 1.0 else 'OVER TARGET'}")
        else:
            print("lavaan                      : unavailable (no Rscript with lavaan): no ratio")
    print(f"load average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
