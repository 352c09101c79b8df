"""The warnings of the statistics, one hierarchy (scikit-learn's ``sklearn.exceptions``
is the model).

Every condition that leaves a statistic missing or doubtful is reported twice: as the
``status`` and ``reason`` of the result it concerns (what results.json records per
statistic), and as a warning raised where the condition arises, so that a user of the
Python API sees it at once and can filter it. :func:`psychometrics.validate` records the
warnings of a run in ``results.json`` (key ``warnings``) and raises each distinct one
once more for its caller.

All derive from :class:`instruments.BinnenuitWarning`, the base the scorer shares, so
``warnings.simplefilter("ignore", BinnenuitWarning)`` silences the package.

>>> import warnings
>>> from psychometrics.exceptions import NonConvergenceWarning, warn_status
>>> with warnings.catch_warnings(record=True) as seen:
...     warnings.simplefilter("always")
...     warn_status("not_converged", "did not converge in 500 iterations", "CFA of scale a")
>>> seen[0].category is NonConvergenceWarning, str(seen[0].message)
(True, 'CFA of scale a: did not converge in 500 iterations')
"""

from __future__ import annotations

import warnings

from instruments.errors import BinnenuitWarning

__all__ = [
    "BinnenuitWarning",
    "IdentificationWarning",
    "InadmissibleSolutionWarning",
    "InsufficientDataWarning",
    "NonConvergenceWarning",
    "SmallSampleWarning",
    "category_of",
    "warn_status",
]


class NonConvergenceWarning(BinnenuitWarning):
    """An estimation (ML fit, EM of the saturated model, a rotation) did not converge;
    its statistics are reported as missing."""


class InadmissibleSolutionWarning(BinnenuitWarning):
    """A solution is inadmissible (a Heywood case: a negative residual variance, a
    communality of 1 or more, a latent covariance matrix that is not positive definite);
    its estimates are shown, flagged, without fit statistics."""


class IdentificationWarning(BinnenuitWarning):
    """A model is not identified (too few items per factor, a singular information
    matrix); nothing is estimated."""


class InsufficientDataWarning(BinnenuitWarning):
    """The data cannot carry the statistic: too few cases for the items or parameters, an
    item without variance, a covariance matrix that is not positive definite."""


class SmallSampleWarning(BinnenuitWarning):
    """The statistic was computed, but on fewer cases than it needs to be stable (the
    note of the result says how many, and how many are advised)."""


#: The warning for each status of a result (statuses not listed raise none).
_CATEGORY: dict[str, type[BinnenuitWarning]] = {
    "not_converged": NonConvergenceWarning,
    "heywood": InadmissibleSolutionWarning,
    "not_identified": IdentificationWarning,
    "too_few_cases": InsufficientDataWarning,
    "no_variance": InsufficientDataWarning,
    "not_positive_definite": InsufficientDataWarning,
    "too_many_factors": IdentificationWarning,
}


def category_of(status: str) -> type[BinnenuitWarning] | None:
    """The warning class that a result with ``status`` raises, or ``None`` for a status
    that is not a problem (``"ok"``) or that is reported only as a status."""
    return _CATEGORY.get(status)


def warn_status(status: str, reason: str, subject: str, *, stacklevel: int = 3) -> None:
    """Raise the warning of ``status`` (if it has one) as ``"<subject>: <reason>"``.

    Parameters
    ----------
    status, reason
        The status and reason of a result (e.g. ``"heywood"``, ``"inadmissible solution:
        1 negative residual variance(s)"``).
    subject
        What the result is about, as a reader names it (``"CFA of scale tse_engagement
        at wave T0"``).
    stacklevel
        Passed to :func:`warnings.warn`; the default points at the caller of the
        function that calls this one.
    """
    category = category_of(status)
    if category is not None:
        warnings.warn(f"{subject}: {reason or status}", category, stacklevel=stacklevel)
