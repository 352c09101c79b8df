"""Shared by the benchmarks: a median timer, and timing lavaan on the same models in
the same run when Rscript and lavaan are here."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd

_SCRIPT = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
models <- lapply(args[-c(1, 2)], function(f) paste(readLines(f), collapse = "\n"))
ms <- args[2] == "TRUE"
miss <- Sys.getenv("BENCH_MISSING", "listwise")
fit_all <- function() for (m in models) lavaan(m, data = d, meanstructure = ms, missing = miss)
fit_all()  # warm up
times <- replicate(5, system.time(fit_all())[["elapsed"]])
cat(median(times), "\n")
"""


def available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    out = subprocess.run(["Rscript", "-e", "cat(requireNamespace('lavaan', quietly=TRUE))"],
                         capture_output=True, text=True)
    return out.stdout.strip() == "TRUE"


def median_time(fn, runs: int = 5) -> float:
    """Median wall time of ``runs`` calls of ``fn``."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _write(folder: Path, data: pd.DataFrame, syntaxes: list[str], script: str) -> list[str]:
    data.to_csv(folder / "d.csv", index=False)
    (folder / "t.R").write_text(script)
    files = []
    for k, s in enumerate(syntaxes):
        (folder / f"m{k}.lav").write_text(s)
        files.append(str(folder / f"m{k}.lav"))
    return files


def time_models(data: pd.DataFrame, syntaxes: list[str], meanstructure: bool,
                missing: str = "listwise") -> float:
    """Median seconds (of 5, after a warm-up) for lavaan to fit all ``syntaxes``."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = _write(folder, data, syntaxes, _SCRIPT)
        out = subprocess.run(["Rscript", str(folder / "t.R"), str(folder / "d.csv"),
                              "TRUE" if meanstructure else "FALSE", *files],
                             capture_output=True, text=True, check=True,
                             env={**os.environ, "BENCH_MISSING": missing})
        return float(out.stdout.split()[0])


def time_rscript_run(data: pd.DataFrame, syntaxes: list[str]) -> float:
    """Wall time of one Rscript run that loads lavaan and fits the models once."""
    script = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
for (f in args[-1]) lavaan(paste(readLines(f), collapse = "\n"), data = d, meanstructure = TRUE)
"""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = _write(folder, data, syntaxes, script)
        t0 = time.perf_counter()
        subprocess.run(["Rscript", str(folder / "t.R"), str(folder / "d.csv"), *files],
                       capture_output=True, text=True, check=True)
        return time.perf_counter() - t0
