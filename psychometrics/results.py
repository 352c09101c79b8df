"""Small shared result types."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple, cast

import numpy as np
import pandas as pd


class Interval(NamedTuple):
    """A confidence interval ``(low, high)``; NaN ends when it cannot be computed."""

    low: float
    high: float

    def to_list(self) -> list[float | None]:
        return [None if not math.isfinite(v) else float(v) for v in self]


NAN_INTERVAL = Interval(math.nan, math.nan)


def json_object(value: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`to_jsonable` of a mapping (a results.json block), typed as the dict it is."""
    return cast(dict[str, Any], to_jsonable(dict(value)))


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts (``frame.to_dict(orient="records")``, read by
    column: pandas reads a small frame row by row, at ~0.1 ms a row)."""
    names = [str(c) for c in frame.columns]
    return [dict(zip(names, row)) for row in zip(*(frame[c].tolist() for c in frame.columns))]


def to_jsonable(value: Any) -> Any:
    """Plain JSON types: NaN/inf become None (a statistic that could not be computed
    is missing, never a number); numpy and pandas scalars are unwrapped."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # most leaves: as they are
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, (int, np.integer)) else k: to_jsonable(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return value
