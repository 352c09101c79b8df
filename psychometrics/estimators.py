"""The estimators of the factor models (``--estimator``), the default first.

- ``"ML"``: normal-theory maximum likelihood (full-information ML with missing
  answers): lavaan's ``estimator = "ML"``.
- ``"MLR"``: the same estimates with robust statistics, as lavaan 0.6.14's
  ``estimator = "MLR"``: Huber-White sandwich standard errors, the Yuan-Bentler
  scaled chi2 (Mplus variant), robust CFI/TLI/RMSEA and Satorra-Bentler scaled
  difference tests (:mod:`psychometrics.sem.robust`). For Likert items, whose answers
  are never normal.

Light module (no SEM import): the command line reads it to list the choices.
"""

from __future__ import annotations

from typing import Literal

Estimator = Literal["ML", "MLR"]
#: Every estimator, the default first.
ESTIMATORS: tuple[str, ...] = ("ML", "MLR")
DEFAULT_ESTIMATOR: Estimator = "ML"

DESCRIPTIONS = {
    "ML": "maximum likelihood (normal theory; full-information ML with missing answers); "
          "chi2 = N * F_ML, RMSEA with N, standard errors from the expected information "
          "(complete data) or the observed information (missing answers)",
    "MLR": "robust maximum likelihood (lavaan 0.6.14 estimator = 'MLR'): ML estimates; "
           "Huber-White sandwich standard errors (observed information, first-order meat); "
           "Yuan-Bentler scaled chi2 (Mplus variant); robust CFI, TLI and RMSEA "
           "(Brosseau-Liard & Savalei 2014; FIML-corrected with missing answers, "
           "Zhang & Savalei 2020); Satorra-Bentler (2001) scaled difference tests, "
           "Satorra-Bentler (2010) where the 2001 scaling factor is negative",
}
