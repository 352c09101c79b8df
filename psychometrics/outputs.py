"""Writing a validation's files into one folder.

- ``results.json``: the contract (full precision; NaN and infinities are ``null``);
- ``scores.csv``: one row per scored input row; for each consecutive pair of waves
  the later wave's row also carries ``<scale>_rci`` and ``<scale>_rci_class``;
- ``change.csv``: per person, scale and pair of waves: difference, RCI, class;
- ``multi_scale.csv``: per person, pair of waves and bank: how many and which scales
  improved reliably;
- ``problems.csv`` and ``unscored.csv`` when there are any;
- ``models/*.lav``: the lavaan syntax of every fitted model, to refit in R;
- ``report.html`` (self-contained) and ``tables/*.csv``, its tables.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from psychometrics.pipeline import ValidationResult
from psychometrics.results import to_jsonable


def write_outputs(result: ValidationResult, out_dir: str | Path, *, lang: str = "en",
                  report: bool = True) -> dict[str, Path]:
    """Write every output of ``result`` into ``out_dir``; return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"results": out / "results.json", "scores": out / "scores.csv"}
    if report:
        from psychometrics.report import render_report, report_tables

        written["report"] = out / "report.html"
        written["report"].write_text(render_report(result, lang), encoding="utf-8")
        tables = out / "tables"
        tables.mkdir(exist_ok=True)
        for name, frame in report_tables(result).items():
            frame.to_csv(tables / f"{name}.csv", index=False)
        written["tables"] = tables
    write_json(result.to_dict(), written["results"])
    _scores_with_rci(result).to_csv(written["scores"], index=False)
    if len(result.person_change):
        written["change"] = out / "change.csv"
        result.person_change.to_csv(written["change"], index=False)
    if len(result.multi_scale_persons):
        written["multi_scale"] = out / "multi_scale.csv"
        result.multi_scale_persons.to_csv(written["multi_scale"], index=False)
    if len(result.responses.problems):
        written["problems"] = out / "problems.csv"
        result.responses.problems.to_csv(written["problems"], index=False)
    if len(result.scores.unscored):
        written["unscored"] = out / "unscored.csv"
        result.scores.unscored.to_csv(written["unscored"], index=False)
    models = _models(result)
    if models:
        folder = out / "models"
        folder.mkdir(exist_ok=True)
        for name, syntax in models.items():
            (folder / f"{name}.lav").write_text(syntax, encoding="utf-8")
        written["models"] = folder
    return written


def write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False,
                               allow_nan=False) + "\n", encoding="utf-8")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _models(result: ValidationResult) -> dict[str, str]:
    models: dict[str, str] = {}
    for scale, by_wave in result.cfa.items():
        for wave, fit in by_wave.items():
            models[_safe(f"cfa_{scale}_{wave}")] = fit.syntax
    for wave, fit in result.instrument_cfa.items():
        models[_safe(f"cfa_{result.instrument.id}_{wave}")] = fit.syntax
    for scale, inv in result.invariance.items():
        for k, step in enumerate(inv.steps):
            models[_safe(f"invariance_{scale}_{k + 1}_{step.model}")] = step.syntax
    return models


def _scores_with_rci(result: ValidationResult) -> pd.DataFrame:
    table = result.scores.table
    person = result.person_change
    r = result.responses
    if person.empty or "rci_class" not in person or len(r.waves) < 2:
        return table
    table = table.copy()
    waves = r.keys["wave"].to_numpy()
    ids = r.keys["id"].to_numpy()
    for a, b in zip(r.waves[:-1], r.waves[1:]):
        part = person[person["pair"] == f"{a}->{b}"]
        for scale, rows in part.groupby("scale", sort=False):
            rci = dict(zip(rows["id"], rows["rci"]))
            cls = dict(zip(rows["id"], rows["rci_class"]))
            at_b = waves == b
            if f"{scale}_rci" not in table:
                table[f"{scale}_rci"] = float("nan")
                table[f"{scale}_rci_class"] = ""
            table.loc[at_b, f"{scale}_rci"] = [rci.get(i, float("nan")) for i in ids[at_b]]
            table.loc[at_b, f"{scale}_rci_class"] = [cls.get(i, "") for i in ids[at_b]]
    return table
