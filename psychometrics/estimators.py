"""The estimators of the factor models (``--estimator``), the default first.

- ``"ML"``: normal-theory maximum likelihood (full-information ML with missing
  answers): lavaan's ``estimator = "ML"``.
- ``"MLR"``: the same estimates with robust statistics, as lavaan 0.6.14's
  ``estimator = "MLR"``: Huber-White sandwich standard errors, the Yuan-Bentler
  scaled chi2 (Mplus variant), robust CFI/TLI/RMSEA and Satorra-Bentler scaled
  difference tests (:mod:`psychometrics.sem.robust`). For Likert items, whose answers
  are never normal.
- ``"WLSMV"``: the items as ordered categories: thresholds and polychoric
  correlations, diagonally weighted least squares, robust SEs and the scaled-shifted
  test, as lavaan's ``ordered = TRUE, estimator = "WLSMV"``; invariance of thresholds,
  loadings, intercepts and residual variances after Wu & Estabrook (2016)
  (:mod:`psychometrics.ordinal_invariance`).

Light module (no SEM import): the command line reads it to list the choices.
"""

from __future__ import annotations

from typing import Literal

Estimator = Literal["ML", "MLR", "WLSMV"]
#: Every estimator, the default first.
ESTIMATORS: tuple[str, ...] = ("ML", "MLR", "WLSMV")
DEFAULT_ESTIMATOR: Estimator = "ML"

#: What the description adds when some model used full-information ML for missing answers.
FIML_DESCRIPTIONS = {
    "ML": "; missing answers by full-information ML, its standard errors from the observed "
          "information",
    "MLR": "; missing answers by full-information ML, the robust indices FIML-corrected "
           "(Zhang & Savalei 2020)",
}

DESCRIPTIONS = {
    "ML": "maximum likelihood (normal theory); chi2 = N * F_ML, RMSEA with N; standard "
          "errors from the expected information",
    "MLR": "robust maximum likelihood (lavaan 0.6.14 estimator = 'MLR'): ML estimates; "
           "Huber-White sandwich standard errors (observed information, first-order meat); "
           "Yuan-Bentler scaled chi2 (Mplus variant); robust CFI, TLI and RMSEA "
           "(Brosseau-Liard & Savalei 2014); Satorra-Bentler (2001) scaled difference tests, "
           "Satorra-Bentler (2010) where the 2001 scaling factor is negative",
    "WLSMV": "diagonally weighted least squares on polychoric correlations (lavaan 0.6.14 "
             "ordered = TRUE, estimator = 'WLSMV'): thresholds and polychorics with their "
             "asymptotic covariance (Muthen 1984), delta parameterization (theta for the "
             "strict step), robust standard errors, mean-and-variance adjusted "
             "(scaled-shifted) chi2, scaled and robust CFI/TLI/RMSEA",
}
