"""Reliability benchmark (issue 3).

- alpha + item analysis on 100,000 persons x 30 items   (target: under 0.5 s)
- a 2,000-resample bootstrap CI of alpha on 93 x 6 items (target: under 1 s)
- omega total (one-factor ML fit) on 93 x 6 items, for information

Each figure is the median of 5 runs. Run:  python benchmarks/bench_reliability.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from psychometrics.reliability import cronbach_alpha, item_analysis, omega_total

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lavaan import median_time


def data(n: int, k: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    eta = rng.standard_normal(n)
    x = np.rint(3 + 0.8 * eta[:, None] + rng.standard_normal((n, k)) * 0.8).clip(1, 5)
    return pd.DataFrame(x, columns=[f"i{j}" for j in range(k)])


def main() -> None:
    big = data(100_000, 30, 1)
    small = data(93, 6, 2)
    t_alpha = median_time(lambda: (cronbach_alpha(big), item_analysis(big, low=1, high=5)))
    t_boot = median_time(lambda: cronbach_alpha(small, ci="bootstrap", n_boot=2000, seed=1))
    t_omega = median_time(lambda: omega_total(small))
    print(f"alpha + item analysis, 100,000 x 30 : {t_alpha:6.3f} s  [target < 0.5 s] "
          f"{'ok' if t_alpha < 0.5 else 'OVER'}")
    print(f"bootstrap CI, 2,000 x (93 x 6)      : {t_boot:6.3f} s  [target < 1 s]   "
          f"{'ok' if t_boot < 1 else 'OVER'}")
    print(f"omega total (ML fit), 93 x 6        : {t_omega:6.3f} s")


if __name__ == "__main__":
    main()
