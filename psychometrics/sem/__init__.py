"""One structural-equation (factor model) estimator, in layers as lavaan's.

- :mod:`~psychometrics.sem.partable`: the parameter table (lavaan's columns), lavaan syntax;
- :mod:`~psychometrics.sem.moments`: sample statistics (complete moments; missing-data
  patterns; the EM saturated model; the positive-definiteness check);
- :mod:`~psychometrics.sem.implied`: model-implied moments (LISREL matrices), Jacobian
  Delta and second derivatives;
- :mod:`~psychometrics.sem.objective`: the ML and FIML objective with its gradient;
- :mod:`~psychometrics.sem.information`: expected and (FIML) observed information;
- :mod:`~psychometrics.sem.estimation`: Fisher scoring, standard errors, :class:`MLFit`;
- :mod:`~psychometrics.sem.multigroup`: several groups (lavaan's ``group =``), the
  objective and information summed over the groups with weights n_g / N;
- :mod:`~psychometrics.sem.standardized`: estimates table and std.all;
- :mod:`~psychometrics.sem.score_tests`: modification indices and score tests;
- :mod:`~psychometrics.sem.fit_indices`: chi2-based indices, RMSEA, SRMR, CFI/TLI;
- :mod:`~psychometrics.sem.robust`: robust ML (MLR): sandwich SEs, the Yuan-Bentler
  scaled chi2, robust CFI/TLI/RMSEA, Satorra-Bentler scaled differences;
- :mod:`~psychometrics.sem.ordinal`: thresholds, polychorics and their asymptotic
  covariance (ordered items);
- :mod:`~psychometrics.sem.dwls`: DWLS (WLSMV) fits of ordered items, robust SEs,
  scaled-shifted test, scaled and robust indices, scaled differences.

The engine runs BLAS on one thread (:mod:`~psychometrics.sem._blas`).

Every SEM fit in binnenuit goes through :func:`fit_ml`, or, for ordered items,
:func:`~psychometrics.sem.dwls.fit_dwls`.
"""

from psychometrics.sem.estimation import MLFit, fit_ml
from psychometrics.sem.fit_indices import FitIndices, cfi_tli, fit_indices
from psychometrics.sem.moments import GroupMoments, Moments, PatternMoments, covariance_problem
from psychometrics.sem.objective import ml_discrepancy
from psychometrics.sem.partable import Row, build_table, to_lavaan
from psychometrics.sem.score_tests import score_tests

__all__ = ["FitIndices", "GroupMoments", "MLFit", "Moments", "PatternMoments", "Row", "build_table",
           "cfi_tli", "covariance_problem", "fit_indices", "fit_ml", "ml_discrepancy",
           "score_tests", "to_lavaan"]
