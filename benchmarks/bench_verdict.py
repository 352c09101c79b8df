"""Monte Carlo study of the invariance verdict (issue 11): how often each decision
rule flags a truly invariant scale, and how often it finds a drifting intercept.

Each replication simulates a two-wave study of one scale from a strictly invariant
one-factor model (``tests/simulate.py: questionnaire_study``): item loadings,
residual variances and intercepts drawn anew per replication from ranges in
response units, answers rounded to 5 points, 3% of the answers missing completely at
random, 6 persons not seen at the second wave, a latent mean change of 0.3 SD.
Every rule judges the same data sets (``invariance_verdicts``: shared fits).

- *false flag*: an invariant scale that does not end at ``strict`` with nothing
  released (a configural rejection counts too);
- *power*: with an intercept drift of 0.8 response units on one item (drawn at
  random) at the second wave, that intercept is among the released parameters.

MC error: the standard error ``sqrt(p (1 - p) / R)`` of each rate is printed with it.
Seeds: replication r of a condition uses seed ``base + r`` (bases printed).

``--estimator MLR`` judges every rule on the robust statistics (the same seeds, so the
same data sets as under ML); ``--n-only 93`` runs the N = 93 rows only;
``--intercepts 4.0 4.6`` draws the intercepts from that range instead (answers piled
against the top of the 5-point scale: skewed, as Likert items often are).

Run:  python benchmarks/bench_verdict.py [--reps 400] [--reps-large 200] [--jobs 2]
                                         [--estimator ML|MLR] [--n-only 93]
      python benchmarks/bench_verdict.py --robustness   (other populations, N = 93)
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this tree's package
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from simulate import questionnaire_study

from psychometrics.decision_rules import RULES
from psychometrics.invariance import invariance_verdicts

DRIFT = 0.8


ESTIMATOR = "ML"


def one(args: tuple[int, int, float, dict, str]) -> dict:
    seed, n, drift, population, estimator = args
    k = population.get("k", 5)
    pop = {key: v for key, v in population.items() if key != "k"}
    data, items, which = questionnaire_study(n, k, seed, drift=drift, **pop)
    verdicts = invariance_verdicts(data, "f", items, ("T0", "T1"), rules=RULES, seed=seed,
                                   standard_errors=False, estimator=estimator)
    out = {}
    for rule, res in verdicts.items():
        if which is None:
            out[rule] = not (res.level == "strict" and not res.freed)
        else:
            out[rule] = f"intercept of {items[which]} at T1" in res.freed
    return out


def condition(n: int, drift: float, reps: int, base: int, jobs: int,
              population: dict | None = None) -> tuple[dict[str, float], float]:
    tasks = [(base + r, n, drift, population or {}, ESTIMATOR) for r in range(reps)]
    t0 = time.perf_counter()
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            results = list(pool.map(one, tasks, chunksize=4))
    else:
        results = [one(t) for t in tasks]
    rates = {rule: sum(r[rule] for r in results) / reps for rule in RULES}
    return rates, time.perf_counter() - t0


def _fmt(p: float, reps: int) -> str:
    return f"{100 * p:5.1f}% ± {100 * math.sqrt(p * (1 - p) / reps):.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=400, help="replications at N = 93")
    ap.add_argument("--reps-large", type=int, default=200, help="replications at N = 300")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--robustness", action="store_true",
                    help="other populations at N = 93 instead of the main table")
    ap.add_argument("--estimator", choices=("ML", "MLR"), default="ML")
    ap.add_argument("--n-only", type=int, choices=(93, 300), default=None)
    ap.add_argument("--intercepts", type=float, nargs=2, default=None, metavar=("LOW", "HIGH"))
    ap.add_argument("--no-power", action="store_true", help="false flags only")
    a = ap.parse_args()
    global ESTIMATOR  # noqa: PLW0603 (a script's one setting, read by the replication workers)
    ESTIMATOR = a.estimator
    if a.robustness:
        populations = {
            "weak loadings (.4-.6)": {"loadings": (0.4, 0.6)},
            "4 items": {"k": 4},
            "6 items": {"k": 6},
            "7-point, no missing": {"categories": 7, "missing": 0.0, "n_left": 0},
            "10% missing, 15 left": {"missing": 0.10, "n_left": 15},
        }
        print(f"Robustness at N = 93, {a.reps} replications per cell; rate ± MC SE")
        print(f"{'population':24s} {'what':11s} " + " ".join(f"{r:>16s}" for r in RULES))
        for p_i, (name, pop) in enumerate(populations.items()):
            for what, drift in (("false flag", 0.0), ("power", DRIFT)):
                base = 300_000 + 10_000 * p_i + (5_000 if drift else 0)
                rates, secs = condition(93, drift, a.reps, base, a.jobs, pop)
                print(f"{name:24s} {what:11s} "
                      + " ".join(f"{_fmt(rates[r], a.reps):>16s}" for r in RULES)
                      + f"  (seeds {base}+, {secs:.0f} s)", flush=True)
        return
    population = {"intercepts": tuple(a.intercepts)} if a.intercepts else None
    print(f"Invariance verdict, Monte Carlo (5 items, 5-point answers, 3% missing, 6 persons "
          f"lost, drift 0.8 on one intercept), estimator {ESTIMATOR}"
          + (f", intercepts {a.intercepts[0]}-{a.intercepts[1]}" if a.intercepts else "")
          + "; rate ± MC SE")
    print(f"{'N':>5s} {'what':11s} {'reps':>5s} " + " ".join(f"{r:>16s}" for r in RULES))
    for n, reps, base in ((93, a.reps, 100_000), (300, a.reps_large, 200_000)):
        if a.n_only is not None and n != a.n_only:
            continue
        for what, drift in (("false flag", 0.0), ("power", DRIFT))[:1 if a.no_power else 2]:
            seed0 = base + (50_000 if drift else 0)
            rates, secs = condition(n, drift, reps, seed0, a.jobs, population)
            print(f"{n:5d} {what:11s} {reps:5d} "
                  + " ".join(f"{_fmt(rates[r], reps):>16s}" for r in RULES)
                  + f"  (seeds {seed0}..{seed0 + reps - 1}, {secs:.0f} s)", flush=True)
    print("targets for the default (lrt-calibrated) at N = 93: false flags <= 5%, power >= 90%")


if __name__ == "__main__":
    main()
