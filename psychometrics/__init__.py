"""binnenuit's validation statistics and pipeline.

Each statistical concept has its own module (reliability, omega_hierarchical, efa,
cfa, invariance, change); they share one SEM engine, the subpackage ``sem`` (parameter
table, sample statistics, ML and full-information ML, information matrices, score tests
and the one set of fit-index definitions). Heavy engines (factor_analyzer, matplotlib)
are imported inside the functions that need them.

>>> import psychometrics
>>> result = psychometrics.validate(data, "kvb", id_column="teacher", wave_column="wave")  # doctest: +SKIP
>>> result.write("out/")  # doctest: +SKIP
"""

from psychometrics.cfa import CFAResult, fit_cfa
from psychometrics.change import ChangeResult, observed_change
from psychometrics.efa import EFAResult, efa
from psychometrics.invariance import InvarianceResult, longitudinal_invariance
from psychometrics.omega_hierarchical import OmegaHierarchical, omega_hierarchical
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
    "ValidationResult",
    "cronbach_alpha",
    "efa",
    "fit_cfa",
    "longitudinal_invariance",
    "observed_change",
    "omega_hierarchical",
    "omega_total",
    "ordinal_reliability",
    "scale_reliability",
    "validate",
]
