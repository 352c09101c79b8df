"""Writes the data and models of tests/reference/mlr (run from the repository root:
``python tests/reference/mlr/make_data.py``, then ``Rscript tests/reference/mlr/make_mlr.R``).

- ``kvb_tse.csv``: the example study (psychometrics/data/kvb_example.csv), scale
  tse_instruction (TSE05-TSE08, 7-point, all keyed +), one row per teacher with the
  items at T0 and T1 side by side (``TSE05_T0`` ...); missing answers and the teachers
  who left after T0 stay missing.
- ``sim_skew.csv``: 300 simulated persons, 4 five-point items at 2 waves, skewed
  (an exponential latent response cut at fixed thresholds: most answers in the top
  two categories), with 6% of answers removed at random (numpy seed 2026).
- ``<data>_<model>.lav``: the invariance models written by binnenuit (every parameter
  explicit), and ``<data>_cfa.lav``, the one-factor CFA of the first wave.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from psychometrics.cfa import cfa_rows
from psychometrics.example_study import example_data_path
from psychometrics.invariance import STEPS, model_rows
from psychometrics.sem import build_table, to_lavaan

OUT = Path(__file__).parent
ITEMS = {"kvb_tse": ["TSE05", "TSE06", "TSE07", "TSE08"], "sim_skew": ["y1", "y2", "y3", "y4"]}
WAVES = ("T0", "T1")


def kvb() -> pd.DataFrame:
    d = pd.read_csv(example_data_path())
    items = ITEMS["kvb_tse"]
    wide = d.pivot(index="teacher", columns="wave", values=items)
    wide.columns = [f"{i}_{w}" for i, w in wide.columns]
    return wide[[f"{i}_{w}" for w in WAVES for i in items]].reset_index(drop=True)


def sim(n: int = 300, seed: int = 2026) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    eta = rng.multivariate_normal([0, 0.3], [[1, 0.6], [0.6, 1]], size=n)
    cols = {}
    for w in range(2):
        for k, lam in enumerate([0.8, 0.7, 0.75, 0.6]):
            ystar = lam * eta[:, w] - rng.exponential(0.8, n)  # skewed to the left
            cols[f"y{k + 1}_{WAVES[w]}"] = np.digitize(ystar, [-2.2, -1.4, -0.6, 0.0]) + 1.0
    d = pd.DataFrame(cols)
    d = d.mask(rng.random(d.shape) < 0.06)
    return d


if __name__ == "__main__":
    for name, data in (("kvb_tse", kvb()), ("sim_skew", sim())):
        data.to_csv(OUT / f"{name}.csv", index=False, na_rep="NA")
        for step in STEPS:
            table = build_table(model_rows("F", ITEMS[name], WAVES, step))
            (OUT / f"{name}_{step}.lav").write_text(to_lavaan(table))
        cols = [f"{i}_T0" for i in ITEMS[name]]
        (OUT / f"{name}_cfa.lav").write_text(to_lavaan(build_table(cfa_rows({"F": cols}))))
