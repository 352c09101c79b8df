"""The options of one :func:`psychometrics.validate` run, as one typed, checked object.

The command line builds it from its flags, the Python API from keyword arguments or
a settings mapping, and results.json records it (``settings.options``): one object,
checked once at the entrance against :data:`psychometrics.options.OPTIONS` (an
:class:`~instruments.errors.OptionError` lists the allowed values).

>>> from psychometrics.validate_options import ValidateOptions
>>> opts = ValidateOptions(id_column="teacher", wave_column="wave", estimator="MLR")
>>> opts.estimator, opts.rule
('MLR', 'lrt-calibrated')
>>> ValidateOptions.from_mapping({"rule": "bogus"})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
instruments.errors.OptionError: The 'rule' parameter of validate must be one of ... Got 'bogus' instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from instruments.errors import OptionError
from psychometrics.decision_rules import DEFAULT_RULE, Rule
from psychometrics.estimators import DEFAULT_ESTIMATOR, Estimator
from psychometrics.options import as_numbers, check_settings

__all__ = ["ValidateOptions"]


def _tuple(value: Any) -> Any:
    """Lists (from JSON, a settings file or the CLI) as tuples, so the object is hashable
    and immutable; anything else as given (the check then judges it)."""
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True, kw_only=True)
class ValidateOptions:
    """Every option of :func:`psychometrics.validate`, checked when it is made.

    Attributes
    ----------
    id_column : str or tuple of str
        The column that identifies a person, or several that do together.
    wave_column : str or None
        The column that labels the wave (long data).
    on_invalid : {"raise", "missing"}
        Stop at invalid cells, or set them to missing and list them.
    missing_codes : tuple of float
        Numbers that mean "no answer" (e.g. -99).
    wave_order : tuple of str or None
        The order of all the waves.
    wide : str or None
        The pattern of a wide file's item columns, e.g. ``"{item}_{wave}"``.
    waves : tuple of str or None
        The waves to analyse, in this order.
    missing : {"listwise", "pairwise"}
        Missing-data rule of alpha and the item analysis.
    alpha_ci : {"feldt", "bootstrap"}
    n_boot : int
        Bootstrap resamples of alpha's interval.
    seed : int
        Seeds every simulation of the run (bootstrap, parallel analysis, the
        calibrated verdict's draws).
    model_missing : {"fiml", "listwise"}
        Missing answers in the factor models.
    estimator : {"ML", "MLR", "WLSMV"}
    rule : str
        The decision rule of the invariance tests.
    null_model : {"independence", "longitudinal"}
    rci_reliability : {"alpha", "omega"}
    ignore_invariance : bool
        Compute change also where invariance failed (marked unverified).
    jobs : int or "auto"
        Processes for the analyses of the scales (reliability, CFA, invariance across
        waves and groups, EFA): 1 (the default) runs them in this process, ``"auto"``
        one per core; at most one per scale. The results are the same on any number.
    cluster : str or None
        A column of clusters (schools): ICC, design effect, cluster-robust SEs.
    group : str or None
        A column of groups: invariance across groups (x waves), change by group.
    group_order : tuple of str or None
        The groups in order, the reference first.

    Examples
    --------
    >>> from psychometrics.validate_options import ValidateOptions
    >>> ValidateOptions(missing_codes=[-99]).missing_codes
    (-99.0,)
    >>> ValidateOptions(group_order=["A", "B"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    instruments.errors.OptionError: The 'group_order' parameter of validate needs 'group' ...
    """

    id_column: str | tuple[str, ...] = "id"
    wave_column: str | None = None
    on_invalid: Literal["raise", "missing"] = "raise"
    missing_codes: tuple[float, ...] = ()
    wave_order: tuple[str, ...] | None = None
    wide: str | None = None
    waves: tuple[str, ...] | None = None
    missing: Literal["listwise", "pairwise"] = "listwise"
    alpha_ci: Literal["feldt", "bootstrap"] = "feldt"
    n_boot: int = 2000
    seed: int = 0
    model_missing: Literal["fiml", "listwise"] = "fiml"
    estimator: Estimator = DEFAULT_ESTIMATOR
    rule: Rule = DEFAULT_RULE
    null_model: Literal["independence", "longitudinal"] = "independence"
    rci_reliability: Literal["alpha", "omega"] = "alpha"
    ignore_invariance: bool = False
    jobs: int | Literal["auto"] = 1
    cluster: str | None = None
    group: str | None = None
    group_order: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _tuple(getattr(self, f.name)))
        check_settings({f.name: getattr(self, f.name) for f in fields(self)})
        codes = as_numbers(self.missing_codes)
        object.__setattr__(self, "missing_codes", codes if codes is not None else ())
        if self.group_order is not None and self.group is None:
            raise OptionError("The 'group_order' parameter of validate needs 'group' (the "
                              "column of groups). Got group=None instead.")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], function: str = "validate") -> ValidateOptions:
        """The options in ``values`` (keyword arguments, a settings file, JSON), every
        other option at its default; an unknown name is an
        :class:`~instruments.errors.OptionError` that lists the options."""
        names = [f.name for f in fields(cls)]
        unknown = [k for k in values if k not in names]
        if unknown:
            raise OptionError(f"{function} has no option '{unknown[0]}'. Its options: "
                              f"{', '.join(names)}.")
        return cls(**dict(values))

    def to_dict(self) -> dict[str, Any]:
        """The options as JSON types (tuples as lists), as results.json records them."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def replace(self, **changes: Any) -> ValidateOptions:
        """A copy with ``changes`` applied, checked like a new object."""
        return type(self).from_mapping({**self.to_dict(), **changes})
