"""Scoring benchmark: 1,000,000 rows x 60 items (10 scales of 6 items, 2 reversed each).

Targets (issue 2): scoring in under 2 s and at most 3x the memory of the numeric
input (the float64 item matrix). Prints the figures for checking the responses and
for scoring them separately; memory is the peak of Python/numpy allocations
(tracemalloc) during the step, relative to the input's size; the scoring time is
the median of three runs.

Run:  python benchmarks/bench_scoring.py [n_rows]
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from instruments import Instrument, read_responses, score


def build(n_rows: int) -> tuple[pd.DataFrame, Instrument]:
    rng = np.random.default_rng(1)
    items = [f"I{j:02d}" for j in range(60)]
    values = rng.integers(1, 6, size=(n_rows, 60)).astype(np.float64)
    values[rng.random(values.shape) < 0.03] = np.nan
    frame = pd.DataFrame(values, columns=items)
    frame.insert(0, "id", np.arange(n_rows))
    scales = {f"S{s}": {"items": items[6 * s:6 * s + 6], "reversed": items[6 * s:6 * s + 2]}
              for s in range(10)}
    inst = Instrument.from_dict({"id": "bench", "version": "1",
                                 "response_scale": {"min": 1, "max": 5}, "scales": scales})
    return frame, inst


def measure(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, seconds, peak


def main() -> None:
    n_rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    frame, inst = build(n_rows)
    input_bytes = frame[list(inst.items)].to_numpy().nbytes
    # Time without tracemalloc (it slows allocation), then measure memory.
    t0 = time.perf_counter()
    responses = read_responses(frame, inst)
    check_s = time.perf_counter() - t0
    runs = []
    for _ in range(3):  # the first run pays for page faults; report the median
        t0 = time.perf_counter()
        scores = score(responses)
        runs.append(time.perf_counter() - t0)
    score_s = sorted(runs)[1]
    _, _, check_peak = measure(lambda: read_responses(frame, inst))
    _, _, score_peak = measure(lambda: score(responses))
    mb = 1024 ** 2
    print(f"rows x items          : {n_rows:,} x {len(inst.items)}  "
          f"(numeric input {input_bytes / mb:,.0f} MiB)")
    print(f"check responses       : {check_s:6.2f} s   peak {check_peak / mb:7,.0f} MiB "
          f"= {check_peak / input_bytes:4.2f} x input")
    print(f"score, first run      : {runs[0]:6.2f} s")
    print(f"score (10 scales)     : {score_s:6.2f} s   peak {score_peak / mb:7,.0f} MiB "
          f"= {score_peak / input_bytes:4.2f} x input   [target < 2 s, <= 3 x]")
    ok = score_s < 2 and score_peak <= 3 * input_bytes
    print(f"scoring within target : {'yes' if ok else 'NO'}")
    assert len(scores.table) == n_rows


if __name__ == "__main__":
    main()
