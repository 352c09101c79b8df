"""Time `binnenuit demo` end to end in a fresh process (issue 7: under 60 s on a
2-core machine, target 20 s). Prints the median of 3 runs.

Run:  python benchmarks/bench_demo.py
"""

import statistics
import subprocess
import sys
import tempfile
import time

times = []
for _ in range(3):
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "psychometrics", "demo", "--out", tmp, "--quiet"],
                       check=True)
        times.append(time.perf_counter() - t0)
median = statistics.median(times)
print(f"binnenuit demo: {median:.1f} s (median of 3; runs {', '.join(f'{t:.1f}' for t in times)}) "
      f"[target 20 s, limit 60 s] {'ok' if median < 20 else 'OVER TARGET' if median < 60 else 'OVER LIMIT'}")
