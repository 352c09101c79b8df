"""CFA, EFA and invariance benchmarks (issues 4 and 5), against lavaan where present.

Prints, each as the median of 5 runs (lavaan's too, timed inside R after a warm-up):
- one-factor CFA, 6 items, N = 93;
- the correlated-factors CFA of the tse bank (3 factors, 12 items) at N = 93 and of
  the whole kvb structure (16 factors, 58 items) at N = 2,000 (the example study's
  93 teachers have too few complete cases for the 58-item model);
- EFA (minres, oblimin) of 60 items at N = 100,000 (lavaan has none; no ratio);
- the invariance sequence (configural, metric, scalar, strict) of one 6-item scale
  at 2 waves for N = 93, 1,000 and 100,000, with the time spent reshaping the data
  and computing the sample moments shown apart: the ML fits work on the moments,
  so the rest should not grow with N;
- the same sequence with 5% of the answers missing, by full-information ML (its
  cost grows with the number of missing-data patterns, not with N), against lavaan's
  ``missing = "ml"``;
- end to end: `binnenuit validate` on one 6-item scale x 2 waves at N = 20,000,
  answers on a 1..7 scale (a fresh process, wall time; it also runs reliability,
  CFA, EFA and change), without and with the report against one Rscript run that loads lavaan and fits
  the four models (R start-up included), the comparison issue 5 asks for.

Run:  python benchmarks/bench_models.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _lavaan
from _lavaan import median_time
from simulate import longitudinal_scale

from psychometrics.cfa import cfa_rows, fit_cfa
from psychometrics.efa import efa
from psychometrics.invariance import _wide, longitudinal_invariance, model_rows
from psychometrics.sem import (
    Moments,
    build_table,
    to_lavaan,
)

ITEMS = [f"x{j}" for j in range(1, 7)]


def line(label: str, ours: float, theirs: float | None) -> None:
    ratio = f"  lavaan {theirs:7.3f} s  ratio {theirs / ours:6.1f}x faster" if theirs else ""
    print(f"{label:<52} {ours:7.3f} s{ratio}")


def factor_data(n: int, factors: dict[str, list[str]], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    k = len(factors)
    phi = np.full((k, k), 0.4) + 0.6 * np.eye(k)
    eta = rng.multivariate_normal(np.zeros(k), phi, size=n)
    cols = {}
    for j, (_f, items) in enumerate(factors.items()):
        for m, item in enumerate(items):
            lam = (0.8, 0.7, 0.6, 0.75)[m % 4]
            cols[item] = lam * eta[:, j] + rng.standard_normal(n) * np.sqrt(1 - lam ** 2)
    return pd.DataFrame(cols)


def scale_data(n: int) -> pd.DataFrame:
    return longitudinal_scale(n, ("T0", "T1"), loadings=[0.8, 0.7, 0.7, 0.6, 0.75, 0.65],
                              intercepts=[3.0, 3.2, 2.8, 3.1, 3.0, 2.9],
                              residuals=[0.4, 0.5, 0.5, 0.6, 0.45, 0.55], means=[0, 0.3],
                              variances=[1, 1.2], seed=n)


def main() -> None:
    lavaan = _lavaan.available()
    print(f"lavaan timings: {'yes (Rscript found)' if lavaan else 'no (Rscript with lavaan not found)'}")

    one = {"f": ITEMS}
    d = factor_data(93, one, 1)
    t = median_time(lambda: fit_cfa(d, one))
    line("CFA one factor, 6 items, N = 93", t,
         _lavaan.time_models(d, [to_lavaan(build_table(cfa_rows(one)))], False) if lavaan else None)

    tse = {f"f{j}": [f"i{j}_{m}" for m in range(4)] for j in range(3)}
    d = factor_data(93, tse, 2)
    t = median_time(lambda: fit_cfa(d, tse))
    line("CFA tse structure, 3 factors x 4 items, N = 93", t,
         _lavaan.time_models(d, [to_lavaan(build_table(cfa_rows(tse)))], False) if lavaan else None)

    kvb = {f"s{j}": [f"k{j}_{m}" for m in range(4 if j < 9 else 3)] for j in range(16)}
    kvb["s15"].append("k15_3")  # 9 x 4 + 6 x 3 + 4 = 58 items, as kvb
    d = factor_data(2000, kvb, 3)
    t = median_time(lambda: fit_cfa(d, kvb), runs=3)
    line("CFA kvb structure, 16 factors, 58 items, N = 2,000", t,
         _lavaan.time_models(d, [to_lavaan(build_table(cfa_rows(kvb)))], False) if lavaan else None)

    efa_factors = {f"e{j}": [f"v{j}_{m}" for m in range(6)] for j in range(10)}
    d = factor_data(100_000, efa_factors, 4)
    t = median_time(lambda: efa(d, 10, n_iter=20), runs=3)
    line("EFA 60 items, 10 factors, N = 100,000 (incl. PA)", t, None)

    for n in (93, 1000, 100_000):
        data = scale_data(n)
        wide = _wide(data, ITEMS, ["T0", "T1"]).dropna()
        t_mom = median_time(lambda data=data: Moments.from_data(_wide(data, ITEMS, ["T0", "T1"]).dropna()))
        t = median_time(lambda data=data: longitudinal_invariance(data, "F", ITEMS, ["T0", "T1"]))
        models = [to_lavaan(build_table(model_rows("F", ITEMS, ["T0", "T1"], s)))
                  for s in ("configural", "metric", "scalar", "strict")]
        line(f"invariance sequence, 6 items x 2 waves, N = {n:,}", t,
             _lavaan.time_models(wide, models, True) if lavaan else None)
        print(f"{'  of which long-to-wide and sample moments':<52} {t_mom:7.3f} s")

    for n in (1000, 100_000):
        data = scale_data(n)
        rng = np.random.default_rng(7)
        data[ITEMS] = data[ITEMS].mask(rng.random(data[ITEMS].shape) < 0.05)
        wide = _wide(data, ITEMS, ["T0", "T1"])
        wide = wide[wide.notna().any(axis=1)]
        t = median_time(lambda data=data: longitudinal_invariance(data, "F", ITEMS, ["T0", "T1"]),
                        runs=3)
        models = [to_lavaan(build_table(model_rows("F", ITEMS, ["T0", "T1"], s)))
                  for s in ("configural", "metric", "scalar", "strict")]
        line(f"invariance, 5% missing (FIML), N = {n:,}", t,
             _lavaan.time_models(wide, models, True, missing="ml") if lavaan else None)

    data = scale_data(20_000)
    data[ITEMS] = np.clip(np.rint(data[ITEMS] + 1), 1, 7)  # Likert answers 1..7
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data.to_csv(folder / "d.csv", index=False)
        (folder / "i.yaml").write_text("id: bench\nversion: '1'\nresponse_scale: {min: 1, max: 7}\n"
                                       "scales:\n  F: {items: [x1, x2, x3, x4, x5, x6]}\n")
        times, with_report = [], []
        for _ in range(3):
            for extra, bucket in ((["--no-report"], times), ([], with_report)):
                t0 = time.perf_counter()
                subprocess.run([sys.executable, "-m", "psychometrics", "validate",
                                str(folder / "d.csv"), "--instrument", str(folder / "i.yaml"),
                                "--wave", "wave", "--out", str(folder / "out"), "--quiet", *extra],
                               check=True)
                bucket.append(time.perf_counter() - t0)
    wide = _wide(data, ITEMS, ["T0", "T1"]).dropna()
    models = [to_lavaan(build_table(model_rows("F", ITEMS, ["T0", "T1"], s)))
              for s in ("configural", "metric", "scalar", "strict")]
    line("end to end: binnenuit validate --no-report, N = 20,000", statistics.median(times),
         _lavaan.time_rscript_run(wide, models) if lavaan else None)
    line("end to end: binnenuit validate with the report", statistics.median(with_report), None)


if __name__ == "__main__":
    main()
