"""What the district grouping adds to the demo (issue 15: at most a second or two).

In one process, validate() on the example study without and with ``group="district"``,
alternating (so that both see the same machine load), CPU time of this process
(``time.process_time``; BLAS runs on one thread: CPU time is steadier than wall time on
a shared machine), median of 3 each. The difference is the groups x waves invariance
sequence of the 16 scales and the change by group.

Run:  python benchmarks/bench_groups.py
"""

import statistics
import time
import warnings

from instruments import BinnenuitWarning
from psychometrics import validate
from psychometrics.example_study import EXAMPLE, example_data_path

args = {"id_column": EXAMPLE.id_column, "wave_column": EXAMPLE.wave_column,
            "cluster": EXAMPLE.cluster_column}
warnings.simplefilter("ignore", BinnenuitWarning)  # the runs' warnings are not the point here
times: dict[str, list[float]] = {"without": [], "with": []}
for _ in range(3):
    for key, extra in (("without", {}), ("with", {"group": EXAMPLE.group_column})):
        t0 = time.process_time()
        validate(example_data_path(), EXAMPLE.instrument, **args, **extra)
        times[key].append(time.process_time() - t0)
a, b = statistics.median(times["without"]), statistics.median(times["with"])
print(f"validate on the example study: {a:.2f} s CPU without a grouping, {b:.2f} s with "
      f"--group {EXAMPLE.group_column} (median of 3 each; runs "
      f"{', '.join(f'{t:.2f}' for t in times['without'])} | "
      f"{', '.join(f'{t:.2f}' for t in times['with'])}): +{b - a:.2f} s "
      f"({100 * (b - a) / a:.0f}%) [target: at most 1-2 s]")
