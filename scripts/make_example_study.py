"""Write the bundled example study, psychometrics/data/kvb_example.csv.

The population model and its documentation are in psychometrics/example_study.py.
Run from the repository root:  python scripts/make_example_study.py
"""

from pathlib import Path

from psychometrics.example_study import EXAMPLE, write_example_study

if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "psychometrics" / "data" / EXAMPLE.file
    write_example_study(target)
    print(f"wrote {target.relative_to(Path.cwd()) if target.is_relative_to(Path.cwd()) else target.name}")
