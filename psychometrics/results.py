"""Small shared result types."""

from __future__ import annotations

import math
from typing import NamedTuple


class Interval(NamedTuple):
    """A confidence interval ``(low, high)``; NaN ends when it cannot be computed."""

    low: float
    high: float

    def to_list(self) -> list[float | None]:
        return [None if not math.isfinite(v) else float(v) for v in self]


NAN_INTERVAL = Interval(math.nan, math.nan)
