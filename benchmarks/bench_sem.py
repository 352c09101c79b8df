"""Full-information ML against lavaan, whole process against whole process (issue 12).

Prints, with lavaan's time on the same models and data in the same run and the ratio:

1. One FIML CFA of a 20-item, 4-factor model with means (``fit_cfa``: estimates,
   observed-information SEs, fit, modification indices) at N = 93 and N = 5,000, 3%
   of the answers missing, some persons seen at one wave only (the CFA is of wave
   T0): a fresh Python process that reads the CSV and fits, against a fresh Rscript
   process that loads lavaan, reads the CSV and runs ``lavaan(missing = "ml")``.
2. ``binnenuit validate --no-report`` of that 4 x 5-item instrument at N = 93, 2 waves,
   against one Rscript run fitting the same models with ``missing = "ml"``: the CFA of
   each scale at each wave, the instrument CFA at each wave and the four invariance
   models (configural, metric, scalar, strict) of each scale.
3. The same for the bundled ``kvb`` instrument (58 items, 16 scales) at N = 480 with
   3% missing answers (the example-study simulator at N = 480).

4. MLR against ML (issue 13): the four FIML invariance models of one 5-item scale at
   2 waves, fitted in this process with ML (estimates and observed-information SEs) and
   with MLR (the same plus ``robust_fit``: scores, sandwich, scaled chi2, robust
   indices with the FIML correction), at N = 93 and N = 5,000, beside lavaan's
   ``estimator = "ML"`` and ``"MLR"`` on the same models (one Rscript process each);
   and ``validate --no-report`` of comparison 2 with ``--estimator MLR``.

The first line says the BLAS thread count of the process (threadpoolctl); the engine's
fits run BLAS on one thread whatever it is (see ``sem._blas.one_blas_thread``).
``--quick`` skips comparison 3 (lavaan needs minutes for it); ``--mlr-only`` runs
comparison 4 alone. Without Rscript and
lavaan, lavaan's figures are printed as unavailable.

Run:  python benchmarks/bench_sem.py [--quick]
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
from threadpoolctl import threadpool_info

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _lavaan  # noqa: E402

from psychometrics.cfa import cfa_rows  # noqa: E402
from psychometrics.invariance import STEPS, _wide, model_rows  # noqa: E402
from psychometrics.sem import Row, build_table, to_lavaan  # noqa: E402

_R_FIT_ALL = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
jobs <- read.csv(args[1], stringsAsFactors = FALSE)
estimator <- if (length(args) > 1) args[2] else "ML"
data <- list()
for (k in seq_len(nrow(jobs))) {
  f <- jobs$data[k]
  if (is.null(data[[f]])) data[[f]] <- read.csv(f)
  fit <- suppressWarnings(lavaan(paste(readLines(jobs$model[k]), collapse = "\n"),
                                 data = data[[f]], meanstructure = TRUE, missing = "ml",
                                 estimator = estimator))
}
"""


def blas_threads() -> str:
    info = threadpool_info()
    return ", ".join(f"{i['internal_api']} {i['num_threads']}" for i in info) or "none found"


def instrument_data(n: int, seed: int, n_scales: int = 4, n_items: int = 5,
                    missing: float = 0.03) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Long data (id, wave, items on 1..5) of a correlated-factors instrument at 2 waves;
    ``missing`` of the answers missing at random; 6 in 93 persons only at T0."""
    rng = np.random.default_rng(seed)
    scales = {f"S{s + 1}": [f"S{s + 1}I{i + 1}" for i in range(n_items)] for s in range(n_scales)}
    phi = np.full((n_scales, n_scales), 0.3) + 0.7 * np.eye(n_scales)
    eta = rng.multivariate_normal(np.zeros(2 * n_scales),
                                  np.kron(np.array([[1, 0.6], [0.6, 1]]), phi), size=n)
    lam = rng.uniform(0.5, 0.9, n_scales * n_items)
    frames = []
    for w, wave in enumerate(("T0", "T1")):
        latent = np.repeat(eta[:, w * n_scales:(w + 1) * n_scales], n_items, axis=1) + 0.3 * w
        y = 3 + lam * latent + rng.normal(0, 0.6, latent.shape)
        frame = pd.DataFrame(np.clip(np.rint(y), 1, 5),
                             columns=[i for its in scales.values() for i in its])
        frame.insert(0, "wave", wave)
        frame.insert(0, "id", [f"p{i}" for i in range(n)])
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True)
    items = [i for its in scales.values() for i in its]
    values = data[items].to_numpy(copy=True)
    values[rng.random(values.shape) < missing] = np.nan
    data[items] = values
    once = rng.choice(n, size=max(1, round(n * 6 / 93)), replace=False)
    data = data[~((data["wave"] == "T1") & data["id"].isin({f"p{i}" for i in once}))]
    return data.reset_index(drop=True), scales


def instrument_yaml(scales: dict[str, list[str]]) -> str:
    lines = ["id: bench", "version: '1'", "response_scale: {min: 1, max: 5}", "scales:"]
    lines += [f"  {s}: {{items: [{', '.join(items)}]}}" for s, items in scales.items()]
    return "\n".join(lines) + "\n"


def wall(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def lavaan_run(folder: Path, jobs: list[tuple[str, pd.DataFrame]], runs: int,
               estimator: str = "ML") -> float:
    """Wall time of one Rscript process fitting every (syntax, data) job."""
    rows = []
    files: dict[int, str] = {}
    for k, (syntax, data) in enumerate(jobs):
        key = id(data)
        if key not in files:
            files[key] = str(folder / f"data{len(files)}.csv")
            data.to_csv(files[key], index=False)
        (folder / f"model{k}.lav").write_text(syntax)
        rows.append({"model": str(folder / f"model{k}.lav"), "data": files[key]})
    pd.DataFrame(rows).to_csv(folder / "jobs.csv", index=False)
    (folder / "fit_all.R").write_text(_R_FIT_ALL)
    return wall(["Rscript", str(folder / "fit_all.R"), str(folder / "jobs.csv"), estimator],
                runs)


def report(label: str, ours: float, theirs: float | None) -> None:
    if theirs is None:
        print(f"{label:<58} ours {ours:7.2f} s  lavaan unavailable (no Rscript with lavaan)")
        return
    verdict = "meets target" if ours <= theirs else "SLOWER than lavaan"
    print(f"{label:<58} ours {ours:7.2f} s  lavaan {theirs:7.2f} s  "
          f"ratio {theirs / ours:5.2f}x  {verdict}")


def validate_jobs(data: pd.DataFrame, scales: dict[str, list[str]], id_col: str):
    """The models lavaan fits for a validate run: per-scale CFAs and the instrument CFA
    at each wave, and the four invariance models of each scale."""
    jobs = []
    waves = sorted(data["wave"].unique())
    by_wave = {w: data[data["wave"] == w] for w in waves}
    items = [i for its in scales.values() for i in its]
    for scale, its in scales.items():
        syntax = to_lavaan(build_table(cfa_rows({scale: its}) + [Row(i, "~1") for i in its]))
        jobs += [(syntax, by_wave[w]) for w in waves]
    whole = to_lavaan(build_table(cfa_rows(scales) + [Row(i, "~1") for i in items]))
    jobs += [(whole, by_wave[w]) for w in waves]
    frame = data.rename(columns={id_col: "id"})
    for scale, its in scales.items():
        wide = _wide(frame[["id", "wave", *its]], its, waves)
        wide = wide[wide.notna().any(axis=1)]
        jobs += [(to_lavaan(build_table(model_rows(scale, its, waves, step))), wide)
                 for step in STEPS]
    return jobs


def _median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def mlr_costs(folder: Path, lavaan: bool, data93: pd.DataFrame, scales93, py) -> None:
    """Comparison 4: what MLR costs next to ML, in our engine and in lavaan."""
    from psychometrics.sem import PatternMoments, fit_ml
    from psychometrics.sem.robust import Prepared, robust_fit

    print("MLR against ML (issue 13): the four FIML invariance models of one 5-item scale")
    for n in (93, 5000):
        data, scales = instrument_data(n, seed=n, n_scales=1)
        its = scales["S1"]
        wide = _wide(data[["id", "wave", *its]], its, ["T0", "T1"])
        wide = wide[wide.notna().any(axis=1)]
        tables = [build_table(model_rows("S1", its, ["T0", "T1"], s)) for s in STEPS]

        def ml(wide=wide, tables=tables):
            pm = PatternMoments.from_data(wide)
            return pm, [fit_ml(t, pm) for t in tables]

        def mlr(wide=wide, tables=tables):  # as a sequence: the unrestricted model shared
            pm, fits = ml(wide, tables)
            prepared = Prepared(pm, wide, True)
            return [robust_fit(f, t, pm, wide, prepared=prepared) for f, t in zip(fits, tables)]

        t_ml, t_mlr = _median_time(ml, 5), _median_time(mlr, 5)
        jobs = [(to_lavaan(t), wide) for t in tables]
        lav_ml = lavaan_run(folder, jobs, 3, "ML") if lavaan else None
        lav_mlr = lavaan_run(folder, jobs, 3, "MLR") if lavaan else None
        print(f"  N = {n:>5,}: ours ML {t_ml:6.3f} s, MLR {t_mlr:6.3f} s "
              f"({t_mlr / t_ml:4.1f}x ML; robust part {t_mlr - t_ml:6.3f} s)"
              + (f"; lavaan process ML {lav_ml:5.2f} s, MLR {lav_mlr:5.2f} s"
                 if lavaan else "; lavaan unavailable"))
    ours = wall([*py, "-m", "psychometrics", "validate", str(folder / "inst.csv"),
                 "--instrument", str(folder / "inst.yaml"), "--wave", "wave", "--estimator",
                 "MLR", "--out", str(folder / "out_mlr"), "--quiet", "--no-report"], runs=3)
    theirs = (lavaan_run(folder, validate_jobs(data93, scales93, "id"), 3, "MLR")
              if lavaan else None)
    report("validate --no-report --estimator MLR, 4 x 5, N = 93", ours, theirs)


def main() -> None:
    quick = "--quick" in sys.argv
    lavaan = _lavaan.available()
    print(f"BLAS threads: {blas_threads()} in the process; the engine (EM, fits, score "
          f"tests) runs BLAS on 1 thread; lavaan: "
          f"{'Rscript found' if lavaan else 'unavailable (Rscript with lavaan not found)'}")
    py = [sys.executable]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "--mlr-only" in sys.argv:
            data, scales = instrument_data(93, seed=1)
            data.to_csv(folder / "inst.csv", index=False)
            (folder / "inst.yaml").write_text(instrument_yaml(scales))
            ours = wall([*py, "-m", "psychometrics", "validate", str(folder / "inst.csv"),
                         "--instrument", str(folder / "inst.yaml"), "--wave", "wave",
                         "--out", str(folder / "out"), "--quiet", "--no-report"], runs=3)
            report("validate --no-report, 4 x 5 items, N = 93, 2 waves", ours, None)
            mlr_costs(folder, lavaan, data, scales, py)
            return
        # 1. one FIML CFA, whole process
        for n in (93, 5000):
            data, scales = instrument_data(n, seed=n)
            t0 = data[data["wave"] == "T0"].drop(columns=["id", "wave"])
            t0.to_csv(folder / "cfa.csv", index=False)
            items = list(t0.columns)
            code = ("import sys, pandas as pd; sys.path.insert(0, sys.argv[1]);"
                    "from psychometrics.cfa import fit_cfa;"
                    f"r = fit_cfa(pd.read_csv(sys.argv[2]), {scales!r});"
                    "assert r.status == 'ok', r.reason")
            ours = wall([*py, "-c", code, str(ROOT), str(folder / "cfa.csv")], runs=3)
            syntax = to_lavaan(build_table(cfa_rows(scales) + [Row(i, "~1") for i in items]))
            theirs = lavaan_run(folder, [(syntax, t0)], runs=3) if lavaan else None
            report(f"FIML CFA 20 items, 4 factors, N = {n:,} (process)", ours, theirs)
        # 2. validate of the 4 x 5 instrument at N = 93
        data, scales = instrument_data(93, seed=1)
        data.to_csv(folder / "inst.csv", index=False)
        (folder / "inst.yaml").write_text(instrument_yaml(scales))
        ours = wall([*py, "-m", "psychometrics", "validate", str(folder / "inst.csv"),
                     "--instrument", str(folder / "inst.yaml"), "--wave", "wave",
                     "--out", str(folder / "out"), "--quiet", "--no-report"], runs=3)
        theirs = lavaan_run(folder, validate_jobs(data, scales, "id"), runs=3) if lavaan else None
        report("validate --no-report, 4 x 5 items, N = 93, 2 waves", ours, theirs)
        mlr_costs(folder, lavaan, data, scales, py)
        if quick:
            print("(--quick: the kvb comparison at N = 480 is skipped)")
            return
        # 3. validate of the bundled kvb instrument at N = 480
        from instruments import Instrument
        from psychometrics.example_study import EXAMPLE, item_parameters, simulate_example_study
        data = simulate_example_study(n_teachers=480)
        data.to_csv(folder / "kvb.csv", index=False)
        ours = wall([*py, "-m", "psychometrics", "validate", str(folder / "kvb.csv"),
                     "--instrument", "kvb", "--id", "teacher", "--wave", "wave",
                     "--out", str(folder / "out_kvb"), "--quiet", "--no-report"], runs=1)
        theirs = None
        if lavaan:
            inst = Instrument.load(EXAMPLE.instrument)
            params = item_parameters(inst)
            keyed = data.copy()
            for item, row in params.iterrows():  # lavaan gets the keyed answers, as we fit
                if row["reversed"]:
                    sc = inst.items_by_id[item]
                    keyed[item] = sc.min + sc.max - keyed[item]
            scales = {s.id: list(s.items) for s in inst.scales}
            theirs = lavaan_run(folder, validate_jobs(keyed, scales, "teacher"), runs=1)
        report("validate --no-report, kvb 58 items, N = 480, 2 waves", ours, theirs)


if __name__ == "__main__":
    main()
