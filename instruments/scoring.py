"""Scale scores: the mean of the answered items after reverse keying.

For a scale with items ``x_1..x_k`` on the response scale ``min..max``:

- reverse keying: ``x' = min + max - x`` for the scale's reversed items;
- the score is ``mean(x'_j over answered j)``, computed only when at least
  ``n_required = ceil(min_answered * k)`` items are answered (default
  ``min_answered = 2/3``); otherwise it is missing and the row is listed in
  ``Scores.unscored`` with the reason;
- composites (e.g. the onion-layer alignment score) are the ``mean`` or the ``sd``
  (denominator = number of scales) of their scale scores, computed only when every
  one of those scale scores is available.

Equivalent in R: ``psych::scoreItems(keys, items, totals = FALSE, impute = "none",
min = min, max = max)`` for rows that meet the ``n_required`` rule.
All of it is vectorized over rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from instruments.instrument import Instrument, Scale
from instruments.responses import Responses, read_responses

UNSCORED_COLUMNS = ["input_row", "id", "wave", "scale", "n_answered", "n_required", "reason"]


@dataclass(frozen=True, slots=True)
class Scores:
    """Scale scores for every scored input row.

    Attributes
    ----------
    table : DataFrame
        One row per scored input row: ``input_row``, the id column, the wave column
        (when the data have one), one column per scale and composite (named by its
        id), and ``<scale>_n``, the number of items answered.
    unscored : DataFrame
        One row per (input row, scale or composite) that could not be scored:
        ``input_row, id, wave, scale, n_answered, n_required, reason``.
    responses : Responses
        The checked responses the scores come from (with their problems table).
    instrument : Instrument
        The instrument scored (``responses.instrument``).
    problems : DataFrame
        The problems found in the data (``responses.problems``).

    Examples
    --------
    >>> import pandas as pd
    >>> from instruments import Instrument, score
    >>> inst = Instrument.from_dict({"id": "demo", "version": "1",
    ...     "response_scale": {"min": 1, "max": 5},
    ...     "scales": {"agree": {"items": ["A1", "A2", "A3"], "reversed": ["A1"]}}})
    >>> data = pd.DataFrame({"id": [1, 2, 3], "A1": [5, 1, None],
    ...                      "A2": [1, 5, 3], "A3": [2, None, None]})
    >>> result = score(data, inst)
    >>> result
    Scores(instrument='demo', rows=3, scales=1, unscored=1)
    >>> print(result.unscored[["id", "scale", "reason"]].to_string(index=False))
    id scale                                   reason
     3 agree 1 of 3 items answered; at least 2 needed
    """

    table: pd.DataFrame
    unscored: pd.DataFrame
    responses: Responses

    @property
    def instrument(self) -> Instrument:
        return self.responses.instrument

    @property
    def problems(self) -> pd.DataFrame:
        return self.responses.problems

    def to_frame(self) -> pd.DataFrame:
        """The scores table (:attr:`table`).

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> import pandas as pd
        >>> from instruments import Instrument, score
        >>> inst = Instrument.from_dict({"id": "demo", "version": "1",
        ...     "response_scale": {"min": 1, "max": 5},
        ...     "scales": {"agree": {"items": ["A1", "A2"]}}})
        >>> score(pd.DataFrame({"id": [1], "A1": [2], "A2": [5]}), inst).to_frame()
           input_row id  agree  agree_n
        0          0  1    3.5        2
        """
        return self.table

    def to_dict(self) -> dict[str, Any]:
        """Counts and the unscored rows as plain JSON types.

        Returns
        -------
        dict
            ``n_rows`` (input rows), ``rows_scored`` and ``unscored`` (one record
            per scale score left missing, with the reason).

        Examples
        --------
        >>> import pandas as pd
        >>> from instruments import Instrument, score
        >>> inst = Instrument.from_dict({"id": "demo", "version": "1",
        ...     "response_scale": {"min": 1, "max": 5},
        ...     "scales": {"agree": {"items": ["A1", "A2"]}}})
        >>> score(pd.DataFrame({"id": [1], "A1": [2], "A2": [5]}), inst).to_dict()
        {'n_rows': 1, 'rows_scored': 1, 'unscored': []}
        """
        return {
            "n_rows": self.responses.n_rows,
            "rows_scored": len(self.table),
            "unscored": self.unscored.to_dict(orient="records"),
        }

    def summary(self) -> str:
        """Rows scored, problems, and n, mean and SD of every scale and composite.

        Returns
        -------
        str

        Examples
        --------
        >>> from instruments import score
        >>> from psychometrics.example_study import example_data_path
        >>> s = score(example_data_path(), "tse", id_column="teacher", wave_column="wave")
        >>> print(s.summary())
        tse: 180 of 180 rows scored (93 persons, waves T0, T1); 0 problem(s); 4 scale score(s) missing.
          tse_engagement               n=   180  mean=4.763  sd=1.012
          tse_instruction              n=   179  mean=5.075  sd=1.004
          tse_management               n=   177  mean=5.011  sd=0.979
        """
        r = self.responses
        lines = [
            f"{r.instrument.id}: {len(self.table)} of {r.n_rows} rows scored "
            f"({r.n_persons} persons, waves {', '.join(r.waves)}); "
            f"{len(r.problems)} problem(s); {len(self.unscored)} scale score(s) missing."
        ]
        ids = list(self.instrument.scale_ids) + [c.id for c in self.instrument.composites]
        desc = self.table[ids].agg(["count", "mean", "std"]).T
        for name, row in desc.iterrows():
            lines.append(f"  {name:<28} n={int(row['count']):>6}  "
                         f"mean={row['mean']:.3f}  sd={row['std']:.3f}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"Scores(instrument={self.instrument.id!r}, rows={len(self.table)}, "
                f"scales={len(self.instrument.scales)}, unscored={len(self.unscored)})")


def score(
    data: Responses | pd.DataFrame | str | Path,
    instrument: Instrument | str | Path | None = None,
    **read_options: Any,
) -> Scores | Any:  # Any: the lazy Dask DataFrame a Dask input gives (dask is optional)
    """Score raw or checked responses.

    Reverse keying is ``min + max - x``; a scale score is the mean of the answered
    items, computed when at least ``ceil(min_answered * k)`` of the scale's ``k``
    items are answered (default ``min_answered = 2/3``), otherwise missing and listed
    in ``Scores.unscored`` with the reason. Composites are the ``mean`` or ``sd``
    (denominator = number of scales) of their scale scores when all are scored.

    In R: ``psych::scoreItems(keys, items, totals = FALSE, impute = "none",
    min = min, max = max)$scores`` (on the rows that meet the ``n_required`` rule).

    Parameters
    ----------
    data : Responses, DataFrame, Dask DataFrame or path
        Checked responses, or raw ones to check first with
        :func:`instruments.read_responses` (``read_options`` go there). A Dask
        DataFrame is scored partition by partition (:mod:`instruments.partitioned`):
        the result is then a lazy Dask DataFrame of the score table.
    instrument : Instrument, bundled name or instrument file
        Needed unless ``data`` is already :class:`Responses`.
    **read_options
        Passed to :func:`instruments.read_responses` (``id_column``,
        ``wave_column``, ``on_invalid``, ``missing_codes``, ...).

    Returns
    -------
    Scores
        One row per scored input row (scale and composite scores, items answered),
        the scale scores left missing, and the checked responses (a Dask DataFrame
        of ``Scores.table`` for a Dask DataFrame).

    Raises
    ------
    ResponseError
        The raw responses do not pass :func:`instruments.read_responses`.
    ValueError
        ``instrument`` is missing for raw data, or differs from the one
        ``data`` (Responses) was checked against.

    References
    ----------
    Revelle, W. psych: Procedures for Psychological, Psychometric, and Personality
    Research. R package; ``scoreItems``. Checked in ``tests/reference/scoring/``.

    Examples
    --------
    >>> import pandas as pd
    >>> from instruments import Instrument, score
    >>> inst = Instrument.from_dict({"id": "demo", "version": "1",
    ...     "response_scale": {"min": 1, "max": 5},
    ...     "scales": {"agree": {"items": ["A1", "A2", "A3"], "reversed": ["A1"]}}})
    >>> data = pd.DataFrame({"id": [1, 2], "A1": [5, 1], "A2": [1, 5], "A3": [2, None]})
    >>> score(data, inst).table[["id", "agree", "agree_n"]]
      id     agree  agree_n
    0  1  1.333333        3
    1  2  5.000000        2
    """
    if _is_dask(data):
        if instrument is None:
            raise ValueError("score(): give the instrument the responses belong to.")
        from instruments.partitioned import score_partitioned

        return score_partitioned(data, instrument, **read_options)
    if isinstance(data, Responses):
        responses = data
        if instrument is not None and not _same(instrument, responses.instrument):
            raise ValueError("score(): the responses were checked against another instrument.")
    else:
        if instrument is None:
            raise ValueError("score(): give the instrument the responses belong to.")
        responses = read_responses(data, instrument, **read_options)
    return _score(responses)


def _is_dask(data: Any) -> bool:
    """A Dask DataFrame, recognised without importing dask."""
    return type(data).__module__.startswith("dask") and hasattr(data, "map_partitions")


def _same(instrument: Instrument | str | Path, other: Instrument) -> bool:
    return instrument is other or (isinstance(instrument, (str, Path))
                                   and str(instrument) in (other.id, other.source))


def _score(responses: Responses) -> Scores:
    inst = responses.instrument
    values = responses.values
    col = {item: j for j, item in enumerate(inst.items)}
    n = values.shape[0]
    scale_scores: dict[str, np.ndarray] = {}
    answered: dict[str, np.ndarray] = {}
    unscored: list[pd.DataFrame] = []
    keys = responses.keys
    for scale in inst.scales:
        block = _keyed_block(values, col, scale)
        s, count = mean_of_answered(block, scale.n_required)
        enough = count >= scale.n_required
        scale_scores[scale.id] = s
        answered[scale.id] = count
        if not enough.all():
            idx = np.flatnonzero(~enough)
            unscored.append(_unscored(keys, idx, scale.id, count[idx], scale.n_required,
                                      [f"{c} of {scale.n_items} items answered; at least "
                                       f"{scale.n_required} needed" for c in count[idx]]))
    for comp in inst.composites:
        parts = np.column_stack([scale_scores[s] for s in comp.scales])
        ok = ~np.isnan(parts).any(axis=1)
        out = np.full(n, np.nan)
        if comp.method == "mean":
            out[ok] = parts[ok].mean(axis=1)
        else:
            out[ok] = parts[ok].std(axis=1, ddof=0)
        scale_scores[comp.id] = out
        if not ok.all():
            idx = np.flatnonzero(~ok)
            have = (~np.isnan(parts[idx])).sum(axis=1)
            missing_names = [
                ", ".join(s for s, miss in zip(comp.scales, np.isnan(parts[i])) if miss)
                for i in idx
            ]
            unscored.append(_unscored(keys, idx, comp.id, have, len(comp.scales),
                                      [f"scale score(s) missing: {m}" for m in missing_names]))

    table = pd.DataFrame({"input_row": keys["row"].to_numpy()})
    if responses.layout.composite:  # every id column, as the user has them
        table = pd.concat([table, responses.layout.id_frame(keys["id"])], axis=1)
    else:
        table[responses.id_column] = keys["id"].to_numpy()
    if responses.wave_column is not None:
        table[responses.wave_column] = keys["wave"].to_numpy()
    table = pd.concat(
        [table, pd.DataFrame(scale_scores),
         pd.DataFrame({f"{k}_n": v for k, v in answered.items()})], axis=1)
    unscored_frame = (pd.concat(unscored, ignore_index=True) if unscored
                      else pd.DataFrame(columns=UNSCORED_COLUMNS))
    if len(unscored_frame):
        unscored_frame = unscored_frame.sort_values("input_row", kind="stable").reset_index(drop=True)
    return Scores(table=table, unscored=unscored_frame, responses=responses)


def mean_of_answered(block: np.ndarray, n_required: int) -> tuple[np.ndarray, np.ndarray]:
    """The scoring rule on a (rows, items) block of keyed answers: each row's mean of
    its answered items where at least ``n_required`` are answered (else NaN), and the
    number answered."""
    seen = ~np.isnan(block)
    count = seen.sum(axis=1)
    total = np.where(seen, block, 0.0).sum(axis=1)
    score = np.full(block.shape[0], np.nan)
    np.divide(total, count, out=score, where=count >= n_required)
    return score, count


def keyed_items(responses: Responses, scale_id: str) -> pd.DataFrame:
    """A scale's answers after reverse keying (``min + max - x``), one column per item.

    These are the items every statistic of :mod:`psychometrics` works on.

    Parameters
    ----------
    responses : Responses
        Checked responses (:func:`instruments.read_responses`).
    scale_id : str
        The scale.

    Returns
    -------
    DataFrame
        One column per item of the scale, rows in the order of ``responses.keys``;
        NaN where missing.

    Raises
    ------
    KeyError
        The instrument has no such scale.

    Examples
    --------
    >>> import pandas as pd
    >>> from instruments import Instrument, keyed_items, read_responses
    >>> inst = Instrument.from_dict({"id": "demo", "version": "1",
    ...     "response_scale": {"min": 1, "max": 5},
    ...     "scales": {"agree": {"items": ["A1", "A2", "A3"], "reversed": ["A1"]}}})
    >>> data = pd.DataFrame({"id": ["p1", "p2"], "A1": [5, 2], "A2": [1, 4], "A3": [2, None]})
    >>> keyed_items(read_responses(data, inst), "agree")
        A1   A2   A3
    0  1.0  1.0  2.0
    1  4.0  4.0  NaN
    """

    scale = responses.instrument.scale(scale_id)
    col = {item: j for j, item in enumerate(responses.instrument.items)}
    return pd.DataFrame(_keyed_block(responses.values, col, scale), columns=list(scale.items))


def _keyed_block(values: np.ndarray, col: dict[str, int], scale: Scale) -> np.ndarray:
    block = values[:, [col[i] for i in scale.items]]  # a copy: safe to reverse in place
    rev = [k for k, i in enumerate(scale.items) if i in scale.reversed]
    if rev:
        block[:, rev] = (scale.min + scale.max) - block[:, rev]
    return block


def _unscored(keys: pd.DataFrame, idx: np.ndarray, name: str, have: np.ndarray, need: int,
              reasons: Iterable[str]) -> pd.DataFrame:
    return pd.DataFrame({
        "input_row": keys["row"].to_numpy()[idx],
        "id": keys["id"].to_numpy()[idx],
        "wave": keys["wave"].to_numpy()[idx],
        "scale": name,
        "n_answered": np.asarray(have, dtype=int),
        "n_required": need,
        "reason": list(reasons),
    })
