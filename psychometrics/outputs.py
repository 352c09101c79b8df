"""Writing a validation's files: results.json, scores.csv, problems and unscored lists.

JSON is written at full precision; NaN and infinities become ``null`` (a statistic
that could not be computed is missing, never a number).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from psychometrics.pipeline import ValidationResult
from psychometrics.results import to_jsonable


def write_outputs(result: ValidationResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``results.json``, ``scores.csv`` (and ``problems.csv``, ``unscored.csv``
    when there are any) into ``out_dir``; return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"results": out / "results.json", "scores": out / "scores.csv"}
    write_json(result.to_dict(), written["results"])
    result.scores.table.to_csv(written["scores"], index=False)
    if len(result.responses.problems):
        written["problems"] = out / "problems.csv"
        result.responses.problems.to_csv(written["problems"], index=False)
    if len(result.scores.unscored):
        written["unscored"] = out / "unscored.csv"
        result.scores.unscored.to_csv(written["unscored"], index=False)
    return written


def write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False,
                               allow_nan=False) + "\n", encoding="utf-8")
