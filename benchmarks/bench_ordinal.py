"""Ordinal (WLSMV) invariance benchmark (issue 14), against lavaan in the same run.

The Wu & Estabrook sequence (configural, thresholds, metric, scalar under delta;
scalar and strict under theta) of one 5-item scale with 4 categories at 2 waves,
listwise, at N = 93 and N = 5,000: binnenuit's ``ordinal_invariance`` (thresholds,
polychorics and NACOV computed once, six DWLS fits, four scaled differences) against
lavaan fitting the six models that binnenuit exports (``ordered = TRUE, estimator =
"WLSMV"``) plus the four ``lavTestLRT`` calls, timed inside R after a warm-up. The
scaled chi2 of every model is printed from both, as a check that the same models ran.
Medians of 5 runs.

Run:  python benchmarks/bench_ordinal.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _lavaan
from _lavaan import median_time

from psychometrics.ordinal_invariance import ordinal_invariance

ITEMS = [f"x{j}" for j in range(1, 6)]
_R = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
m <- lapply(args[-1], function(f) paste(readLines(f), collapse = "\n"))
par <- c("delta", "delta", "delta", "delta", "theta", "theta")
run <- function() {
  fits <- lapply(seq_along(m), function(k) lavaan(m[[k]], data = d, ordered = names(d),
                                                  estimator = "WLSMV", parameterization = par[k]))
  for (k in 1:3) lavTestLRT(fits[[k]], fits[[k + 1]])
  lavTestLRT(fits[[5]], fits[[6]])
  fits
}
fits <- run()
times <- replicate(5, system.time(run())[["elapsed"]])
cat(median(times), sapply(fits, function(f) fitMeasures(f, "chisq.scaled")), "\n")
"""


def simulate(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lam = np.array([.8, .7, .7, .6, .75])
    tau = np.array([-1.0, 0.0, 1.0])
    eta = rng.multivariate_normal([0, .3], [[1, .6], [.6, 1]], size=n)
    parts = []
    for w, wave in enumerate(("T0", "T1")):
        ystar = eta[:, [w]] * lam + rng.standard_normal((n, 5)) * np.sqrt(1 - lam ** 2)
        cats = np.searchsorted(tau, ystar.ravel()).reshape(n, 5) + 1
        parts.append(pd.DataFrame(cats, columns=ITEMS).assign(id=np.arange(n), wave=wave))
    return pd.concat(parts, ignore_index=True)


def main() -> None:
    have_r = _lavaan.available()
    print("Wu-Estabrook sequence, 5 items x 2 waves, 4 categories, listwise (median of 5)")
    for n, seed in ((93, 1), (5000, 2)):
        frame = simulate(n, seed)
        def run(frame=frame):
            return ordinal_invariance(frame, "F", ITEMS, ["T0", "T1"], rule="chi2",
                                      missing="listwise")
        res = run()
        ours = median_time(run)
        scalar_theta = res.steps[-1]  # strict; its reference is the scalar model under theta
        chi2 = [s.fit.chi2_scaled for s in res.steps]
        line = f"N = {n:>5}: binnenuit {ours:.3f} s (level {res.level})"
        if have_r:
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                wide = frame.pivot(index="id", columns="wave", values=ITEMS)
                wide.columns = [f"{i}_{w}" for i, w in wide.columns]
                wide[[f"{i}_{w}" for w in ("T0", "T1") for i in ITEMS]].to_csv(
                    folder / "d.csv", index=False)
                syntaxes = [s.syntax for s in res.steps[:4]]
                # the scalar model under theta, as the strict step is compared with it
                from psychometrics.ordinal_invariance import ordinal_model_rows
                from psychometrics.sem import build_table, to_lavaan
                n_th = dict.fromkeys(ITEMS, 3)
                syntaxes.append(to_lavaan(build_table(ordinal_model_rows(
                    "F", ITEMS, ["T0", "T1"], "scalar", n_th, "theta"))))
                syntaxes.append(scalar_theta.syntax)
                files = []
                for k, s in enumerate(syntaxes):
                    (folder / f"m{k}.lav").write_text(s)
                    files.append(str(folder / f"m{k}.lav"))
                (folder / "t.R").write_text(_R)
                out = subprocess.run(["Rscript", str(folder / "t.R"), str(folder / "d.csv"),
                                      *files], capture_output=True, text=True, check=True)
                vals = [float(v) for v in out.stdout.split()]
                lav, lav_chi2 = vals[0], vals[1:]
            line += f"; lavaan {lav:.3f} s; ratio {ours / lav:.2f}"
            print(line)
            print("   scaled chi2 binnenuit:", " ".join(f"{c:.4f}" for c in chi2))
            print("   scaled chi2 lavaan:   ", " ".join(f"{c:.4f}" for i, c in enumerate(lav_chi2)
                                                       if i != 4))
        else:
            print(line + "; lavaan not available")


if __name__ == "__main__":
    main()
