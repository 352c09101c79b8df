"""The parameter table: the model, one row per parameter, with lavaan's columns.

A model is a list of rows ``lhs, op, rhs`` with an optional ``label`` (rows with
the same label are one parameter: an equality constraint) and an optional fixed
``value`` (a fixed parameter). Operators, as in lavaan:

- ``F =~ x``   the loading of item x on factor F;
- ``a ~~ b``   a (co)variance: of factors (Psi) or of residuals (Theta);
- ``a ~1``     an intercept: of an item (nu) or a factor mean (alpha);
- ``x | t1``   threshold 1 of an ordered item, ``x ~*~ x`` its scale factor
  (:mod:`~psychometrics.sem.dwls`).

Several groups (lavaan's ``group =``): column ``group`` numbers the group of each row
(1, 2, ...; 1 for a single-group model); a label shared by rows of different groups
is one parameter, i.e. an equality across groups (lavaan's ``group.equal``).

:func:`build_table` numbers the free parameters (column ``free``: 0 for fixed,
1..q otherwise, shared by rows with the same label) and :func:`to_lavaan` writes
the model as lavaan syntax that refits the same model in R as is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

COLUMNS = ["lhs", "op", "rhs", "group", "label", "free", "value"]


@dataclass(frozen=True, slots=True)
class Row:
    """One parameter of a model; ``value`` set means the parameter is fixed."""

    lhs: str
    op: str
    rhs: str = ""
    label: str = ""
    value: float | None = None
    start: float | None = None
    group: int = 1


def build_table(rows: Iterable[Row]) -> pd.DataFrame:
    """The parameter table of ``rows``: free parameters numbered, labels shared."""
    records = []
    index_of_label: dict[str, int] = {}
    q = 0
    seen = set()
    for r in rows:
        key = (r.lhs, r.op, r.rhs, r.group)
        if key in seen:
            raise ValueError(f"parameter {r.lhs} {r.op} {r.rhs} is specified twice"
                             + (f" in group {r.group}" if r.group != 1 else ""))
        seen.add(key)
        if r.value is not None:
            free = 0
        elif r.label and r.label in index_of_label:
            free = index_of_label[r.label]
        else:
            q += 1
            free = q
            if r.label:
                index_of_label[r.label] = q
        records.append({"lhs": r.lhs, "op": r.op, "rhs": r.rhs, "group": int(r.group),
                        "label": r.label,
                        "free": free, "value": np.nan if r.value is None else float(r.value),
                        "start": np.nan if r.start is None else float(r.start)})
    return pd.DataFrame.from_records(records, columns=[*COLUMNS, "start"])


def _fmt(v: float) -> str:
    return repr(float(v)) if not float(v).is_integer() else str(int(v))


def to_lavaan(table: pd.DataFrame, header: str = "") -> str:
    """lavaan syntax of the table: fixed values as ``1*x``, labels as ``a*x``.

    Every parameter is written out, so fit it with ``lavaan::lavaan()`` (which adds
    no parameters of its own), e.g.
    ``lavaan(model, data = d, meanstructure = TRUE)``. A multi-group table is written
    in lavaan's block syntax (``group: 1``, ``group: 2``, ... in the order of
    ``group.label``); shared labels are equalities across groups.
    """
    lines = [f"# {line}" for line in header.splitlines()] if header else []
    cols = ["lhs", "op", "rhs", "label", "free", "value"]
    records = list(zip(*(table[c].tolist() for c in cols)))
    group = table["group"].tolist() if "group" in table else [1] * len(records)
    groups = sorted(set(group))
    if len(groups) <= 1:
        return "\n".join(lines + _lavaan_lines(records)) + "\n"
    for g in groups:
        lines.append(f"group: {int(g)}")
        lines += ["  " + line for line in
                  _lavaan_lines([r for r, h in zip(records, group) if h == g])]
    return "\n".join(lines) + "\n"


#: lhs, op, rhs, label, free, value of one row.
Record = tuple[str, str, str, str, int, float]


def _lavaan_lines(records: list[Record]) -> list[str]:
    """Lines of (lhs, op, rhs, label, free, value) records, grouped by operator."""
    lines: list[str] = []
    for op, title in (("=~", "loadings"), ("~~", "variances and covariances"),
                      ("~1", "intercepts and means"), ("|", "thresholds"),
                      ("~*~", "scale factors")):
        groups: dict[str, list[str]] = {}
        for lhs, o, rhs, label, free, value in records:
            if o != op:
                continue
            if free == 0:
                prefix = f"{_fmt(value)}*"
            elif label:
                prefix = f"{label}*"
            else:
                prefix = ""
            groups.setdefault(lhs, []).append(prefix + ("1" if op == "~1" else rhs))
        if not groups:
            continue
        lines.append(f"# {title}")
        for lhs, terms in groups.items():
            if op == "~1":
                lines += [f"{lhs} ~ {t}" for t in terms]
            else:
                lines.append(f"{lhs} {op} " + " + ".join(terms))
    return lines
