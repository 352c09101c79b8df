"""`binnenuit score` against pandas, whole process against whole process (issue 16).

Writes a CSV of ``n_rows`` x 60 items (10 scales of 6 items, 2 reversed each; answers
1..5, 3% empty) and times, alternately and in fresh processes:

- ``binnenuit score data.csv --instrument bench.yaml --out scores.csv --quiet``;
- the reference: a Python process that imports pandas, reads the same CSV
  (``pd.read_csv``), computes the ten scale means and writes them (``to_csv``).

Prints the median of ``--repeat`` runs of each, the ratio (target <= 1.0, ceiling 1.5)
and the machine's load average. ``--memory N`` also scores an N-row file (e.g.
5,000,000) and prints the peak resident memory of that process (target <= 1 GB).

Run:  python benchmarks/bench_score_cli.py [--rows 500000] [--repeat 3] [--memory 5000000]
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

ITEMS = [f"I{j:02d}" for j in range(60)]

_REFERENCE = r"""
import sys
import pandas as pd
d = pd.read_csv(sys.argv[1])
items = [f"I{j:02d}" for j in range(60)]
out = pd.DataFrame({"id": d["id"]})
for s in range(10):
    block = d[items[6 * s:6 * s + 6]].copy()
    block[items[6 * s:6 * s + 2]] = 6 - block[items[6 * s:6 * s + 2]]
    out[f"S{s}"] = block.mean(axis=1)
out.to_csv(sys.argv[2], index=False)
"""


def write_instrument(path: Path) -> None:
    lines = ['id: bench', 'version: "1"', "response_scale: {min: 1, max: 5}", "scales:"]
    for s in range(10):
        items = ITEMS[6 * s:6 * s + 6]
        lines.append(f"  S{s}: {{items: [{', '.join(items)}], reversed: [{', '.join(items[:2])}]}}")
    path.write_text("\n".join(lines) + "\n")


def write_data(path: Path, n_rows: int, seed: int = 1, block: int = 250_000) -> None:
    """A CSV written straight from bytes (fast for millions of rows): an 8-digit id,
    then 60 answers 1..5 (3% empty cells)."""
    rng = np.random.default_rng(seed)
    with open(path, "wb") as f:
        f.write((",".join(["id", *ITEMS]) + "\n").encode())
        for start in range(0, n_rows, block):
            n = min(block, n_rows - start)
            ids = np.char.zfill(np.arange(start, start + n).astype(str), 8).astype("S8")
            digits = rng.integers(1, 6, size=(n, 60)).astype(np.uint8) + ord("0")
            answers = np.where(rng.random((n, 60)) < 0.03, ord(" "), digits)  # " " = empty
            rows = np.empty((n, 8 + 60 * 2 + 1), dtype=np.uint8)
            rows[:, :8] = np.frombuffer(ids.tobytes(), dtype=np.uint8).reshape(n, 8)
            rows[:, 8:-1:2] = ord(",")
            rows[:, 9:-1:2] = answers
            rows[:, -1] = ord("\n")
            flat = rows.ravel()
            f.write(flat[flat != ord(" ")].tobytes())  # an empty cell


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def peak_rss_mb(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of a child process."""
    code = ("import resource, subprocess, sys, time; t0 = time.perf_counter(); "
            "subprocess.run(sys.argv[1:], check=True); "
            "print(time.perf_counter() - t0, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory", type=int, default=0, metavar="N_ROWS")
    a = ap.parse_args()
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    os.environ.update(env)
    print(f"load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inst, data = folder / "bench.yaml", folder / "data.csv"
        write_instrument(inst)
        write_data(data, a.rows)
        size = data.stat().st_size / 1024 ** 2
        ours_cmd = [sys.executable, "-m", "psychometrics", "score", str(data), "--instrument",
                    str(inst), "--out", str(folder / "scores.csv"), "--quiet"]
        ref_cmd = [sys.executable, "-c", _REFERENCE, str(data), str(folder / "ref.csv")]
        ours, ref = [], []
        for _ in range(a.repeat):  # alternate, so that load hits both alike
            ref.append(timed(ref_cmd))
            (folder / "scores.csv").unlink(missing_ok=True)
            ours.append(timed(ours_cmd))
        mo, mr = statistics.median(ours), statistics.median(ref)
        ratio = mo / mr
        print(f"file: {a.rows:,} rows x 60 items, {size:,.0f} MiB")
        print(f"binnenuit score     : {mo:6.2f} s (median of {a.repeat}: "
              f"{', '.join(f'{t:.2f}' for t in ours)})")
        print(f"pandas read + write : {mr:6.2f} s (median of {a.repeat}: "
              f"{', '.join(f'{t:.2f}' for t in ref)})")
        verdict = "ok" if ratio <= 1.0 else "within ceiling" if ratio <= 1.5 else "OVER CEILING"
        print(f"ratio               : {ratio:5.2f} x  [target <= 1.0, ceiling 1.5] {verdict}")
        if a.memory:
            big = folder / "big.csv"
            data.unlink()
            write_data(big, a.memory)
            cmd = [*ours_cmd[:4], str(big), *ours_cmd[5:]]
            seconds, mib = peak_rss_mb(cmd)
            print(f"score {a.memory:,} rows ({big.stat().st_size / 1024 ** 2:,.0f} MiB): "
                  f"{seconds:.1f} s, peak resident memory {mib:,.0f} MiB  [target <= 1024 MiB] "
                  f"{'ok' if mib <= 1024 else 'OVER'}")
    print(f"load average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
