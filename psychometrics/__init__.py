"""binnenuit's validation statistics and pipeline.

Each statistical concept has its own module (reliability, omega_hierarchical, efa,
cfa, invariance, change); they share one SEM engine, the subpackage ``sem`` (parameter
table, sample statistics, ML and full-information ML, information matrices, score tests
and the one set of fit-index definitions). The EFA extraction is factor_analyzer's,
written out in ``_fa_backend`` so that no run imports factor_analyzer or scikit-learn.

The whole pipeline on the bundled example study (the ``kvb`` instrument's 58 items;
about 15 seconds)::

    import psychometrics
    from psychometrics.example_study import example_data_path

    result = psychometrics.validate(example_data_path(), "kvb", id_column="teacher",
                                    wave_column="wave", cluster="school")
    result.write("out/")

Each public name is imported on first use:

>>> import psychometrics
>>> psychometrics.cronbach_alpha.__module__
'psychometrics.reliability'
"""


import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

#: Where each public name lives. They are imported on first use, so that importing one
#: module (e.g. ``psychometrics.cfa`` in a worker) does not load the whole pipeline.
_HOME = {
    "CFAResult": "cfa", "fit_cfa": "cfa",
    "ChangeResult": "change", "observed_change": "change",
    "EFAResult": "efa", "efa": "efa",
    "InvarianceResult": "invariance", "longitudinal_invariance": "invariance",
    "invariance_verdicts": "invariance", "group_invariance": "group_invariance",
    "OmegaHierarchical": "omega_hierarchical", "omega_hierarchical": "omega_hierarchical",
    "OrdinalCFAResult": "ordinal_cfa", "fit_cfa_ordinal": "ordinal_cfa",
    "OrdinalInvarianceResult": "ordinal_invariance", "ordinal_invariance": "ordinal_invariance",
    "SCHEMA_VERSION": "pipeline", "ValidationResult": "pipeline", "validate": "pipeline",
    "cronbach_alpha": "reliability", "omega_total": "reliability",
    "ordinal_reliability": "reliability", "scale_reliability": "reliability",
}

if TYPE_CHECKING:
    from psychometrics.cfa import CFAResult, fit_cfa
    from psychometrics.change import ChangeResult, observed_change
    from psychometrics.efa import EFAResult, efa
    from psychometrics.group_invariance import group_invariance
    from psychometrics.invariance import (
        InvarianceResult,
        invariance_verdicts,
        longitudinal_invariance,
    )
    from psychometrics.omega_hierarchical import OmegaHierarchical, omega_hierarchical
    from psychometrics.ordinal_cfa import OrdinalCFAResult, fit_cfa_ordinal
    from psychometrics.ordinal_invariance import OrdinalInvarianceResult, ordinal_invariance
    from psychometrics.pipeline import SCHEMA_VERSION, ValidationResult, validate
    from psychometrics.reliability import (
        cronbach_alpha,
        omega_total,
        ordinal_reliability,
        scale_reliability,
    )

__all__ = [
    "SCHEMA_VERSION",
    "CFAResult",
    "ChangeResult",
    "EFAResult",
    "InvarianceResult",
    "OmegaHierarchical",
    "OrdinalCFAResult",
    "OrdinalInvarianceResult",
    "ValidationResult",
    "cronbach_alpha",
    "efa",
    "fit_cfa",
    "fit_cfa_ordinal",
    "group_invariance",
    "invariance_verdicts",
    "longitudinal_invariance",
    "observed_change",
    "omega_hierarchical",
    "omega_total",
    "ordinal_invariance",
    "ordinal_reliability",
    "scale_reliability",
    "validate",
]


def __getattr__(name: str) -> Any:
    if name in _HOME:
        value = getattr(import_module(f"psychometrics.{_HOME[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'psychometrics' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """``efa``, ``omega_hierarchical`` and ``ordinal_invariance`` name both a module and its
    public function:
    the function keeps the package attribute when the module is loaded."""

    def __setattr__(self, name: str, value: Any) -> None:
        if _HOME.get(name) == name and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
