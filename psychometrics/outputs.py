"""Writing a validation's files: results.json, scores.csv, problems and unscored lists.

JSON is written at full precision; NaN and infinities become ``null`` (a statistic
that could not be computed is missing, never a number).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from psychometrics.pipeline import ValidationResult


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


def to_jsonable(value: Any) -> Any:
    """Plain JSON types; NaN/inf → None; numpy and pandas scalars unwrapped."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if value is pd.NA or value is None:
        return None
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value
