"""Exploratory factor analysis of an instrument's items at one wave.

Correlations are Pearson's on pairwise complete answers (as ``psych`` with
``use = "pairwise"``); ``n`` for the tests is the number of persons with at least
two answers. Steps and their definitions:

- KMO (overall and per item), from the anti-image: partial correlations
  ``Q = -D^-1/2 R^-1 D^-1/2``; ``KMO = sum r^2 / (sum r^2 + sum q^2)`` over the
  off-diagonal (``psych::KMO``).
- Bartlett's test of sphericity: ``chi2 = -(n - 1 - (2p + 5)/6) log|R|``,
  ``df = p(p - 1)/2`` (``psych::cortest.bartlett``).
- Parallel analysis (Horn 1965): principal-component eigenvalues of R against the
  95th percentile of those of ``n_iter`` random normal data sets of the same n and
  p (seeded; drawn as Wishart matrices, so the cost does not grow with n); the
  number of factors is the count of leading eigenvalues above it.
  The scree's elbow by the acceleration factor (Raiche et al. 2013) is given too.
- Extraction by minres or ML (factor_analyzer 0.5.1's, written out in
  :mod:`psychometrics._fa_backend`), rotation by oblimin, promax or geomin
  (:mod:`psychometrics.rotation`); factors sorted by the variance they explain
  and signed so that their loadings sum positive, as ``psych::fa``.
  Communalities are ``diag(L Phi L')``.
- Flags: an item whose largest absolute loading is below ``LOW_LOADING`` (.40),
  or that loads at least ``CROSS_LOADING`` (.30) on more than one factor.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from psychometrics import _distributions
from psychometrics._fa_backend import unrotated_loadings
from psychometrics.exceptions import SmallSampleWarning, warn_status
from psychometrics.results import json_object
from psychometrics.rotation import Rotation, geomin, oblimin, promax

LOW_LOADING = 0.40
CROSS_LOADING = 0.30
Extraction = Literal["minres", "ml"]
RotationName = Literal["oblimin", "promax", "geomin"]


@dataclass(frozen=True, slots=True)
class Sphericity:
    """KMO and Bartlett's test of sphericity (``psych::KMO``,
    ``psych::cortest.bartlett``).

    Attributes
    ----------
    kmo : float
        Kaiser-Meyer-Olkin measure of sampling adequacy, overall.
    kmo_items : Series
        The same per item.
    bartlett_chi2, bartlett_df, bartlett_p : float, int, float
        ``chi2 = -(n - 1 - (2p + 5)/6) log|R|`` on ``p(p - 1)/2`` df, and its p.
    """

    kmo: float
    kmo_items: pd.Series
    bartlett_chi2: float
    bartlett_df: int
    bartlett_p: float


@dataclass(frozen=True, slots=True)
class ParallelAnalysis:
    """Horn's parallel analysis and the scree's acceleration factor.

    Attributes
    ----------
    eigenvalues : ndarray
        Principal-component eigenvalues of R, decreasing.
    random_95 : ndarray
        The 95th percentile of those of random normal data of the same n and p.
    n_factors : int
        Leading eigenvalues above ``random_95``.
    n_factors_scree : int
        The elbow by the acceleration factor (Raiche et al. 2013).
    n_iter, seed : int
        Random data sets and their seed.
    """

    eigenvalues: np.ndarray

    random_95: np.ndarray
    n_factors: int
    n_factors_scree: int
    n_iter: int
    seed: int


@dataclass(frozen=True, slots=True)
class EFAResult:
    """KMO, Bartlett, parallel analysis and (when possible) rotated loadings.

    Returned by :func:`efa`; ``to_dict()`` is an ``efa`` entry of results.json.

    Attributes
    ----------
    status, reason : str
        ``"ok"``, ``"heywood"`` (a communality of 1 or more), or why there are no
        loadings: ``"too_few_items"``, ``"no_variance"``,
        ``"not_positive_definite"``, ``"too_many_factors"``, ``"not_converged"``.
    n, n_items : int
        Persons with at least two answers, and items.
    sphericity : Sphericity or None
        ``kmo``, ``kmo_items``, ``bartlett_chi2``, ``bartlett_df``, ``bartlett_p``.
    parallel : ParallelAnalysis or None
        ``eigenvalues``, ``random_95``, ``n_factors`` (parallel analysis),
        ``n_factors_scree`` (acceleration factor), ``n_iter``, ``seed``.
    n_factors : int
        The number of factors extracted.
    extraction, rotation : str
    loadings : DataFrame
        Rotated pattern loadings, items x factors ``F1..Fk``.
    phi : DataFrame
        Factor correlations.
    communalities : Series
        ``diag(L Phi L')``.
    flags : dict of str to str
        Items with a low largest loading (< .40) or cross-loadings (>= .30 on
        more than one factor).
    notes : tuple of str
        E.g. fewer than 5 persons per item.

    Examples
    --------
    >>> import pandas as pd
    >>> from instruments import keyed_items, read_responses
    >>> from psychometrics import efa
    >>> from psychometrics.example_study import example_data_path
    >>> r = read_responses(example_data_path(), "tse", id_column="teacher",
    ...                    wave_column="wave")
    >>> x = pd.concat([keyed_items(r, s) for s in r.instrument.scale_ids], axis=1)
    >>> result = efa(x[(r.keys["wave"] == "T0").to_numpy()], 3)
    >>> d = result.to_dict()
    >>> d["status"], d["n_factors_parallel"], round(d["bartlett"]["chi2"], 2)
    ('ok', 3, 580.77)
    """

    status: str
    reason: str
    n: int
    n_items: int
    sphericity: Sphericity | None
    parallel: ParallelAnalysis | None
    n_factors: int
    extraction: str
    rotation: str
    loadings: pd.DataFrame = field(repr=False)
    phi: pd.DataFrame = field(repr=False)
    communalities: pd.Series = field(repr=False)
    flags: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The EFA as plain JSON types (an ``efa`` entry of results.json).

        Returns
        -------
        dict
            Status, n, KMO, Bartlett's test, parallel analysis, loadings, factor
            correlations, communalities, flags and the flag thresholds.
        """
        s, pa = self.sphericity, self.parallel
        return json_object({
            "status": self.status, "reason": self.reason, "n": self.n, "n_items": self.n_items,
            "correlations": "Pearson, pairwise complete",
            "kmo": s.kmo if s else None,
            "kmo_items": s.kmo_items.to_dict() if s else {},
            "bartlett": {"chi2": s.bartlett_chi2 if s else None,
                         "df": s.bartlett_df if s else None, "p": s.bartlett_p if s else None},
            "n_factors_parallel": pa.n_factors if pa else None,
            "n_factors_scree": pa.n_factors_scree if pa else None,
            "parallel": {"eigenvalues": pa.eigenvalues, "random_95": pa.random_95,
                         "n_iter": pa.n_iter, "seed": pa.seed} if pa else None,
            "n_factors": self.n_factors, "extraction": self.extraction,
            "rotation": self.rotation,
            "loadings": dict(self.loadings.to_dict(orient="index").items()),
            "factor_correlations": self.phi.to_dict(orient="index"),
            "communalities": self.communalities.to_dict(),
            "flags": self.flags, "notes": list(self.notes),
            "thresholds": {"low_loading": LOW_LOADING, "cross_loading": CROSS_LOADING},
        })


def pairwise_correlations(items: pd.DataFrame) -> tuple[np.ndarray, int]:
    r = items.corr(min_periods=3).to_numpy()
    n = int(((~items.isna()).sum(axis=1) >= 2).sum())
    return r, n


def sphericity(r: np.ndarray, n: int, names: list[str]) -> Sphericity:
    """KMO and Bartlett's test of a (positive definite) correlation matrix."""
    p = r.shape[0]
    inv = np.linalg.inv(r)
    d = np.sqrt(np.diag(inv))
    q = -inv / np.outer(d, d)
    off = ~np.eye(p, dtype=bool)
    r2, q2 = np.where(off, r ** 2, 0.0), np.where(off, q ** 2, 0.0)
    kmo = float(r2.sum() / (r2.sum() + q2.sum()))
    kmo_items = pd.Series(r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0)), index=names)
    _, logdet = np.linalg.slogdet(r)
    chi2 = -(n - 1 - (2 * p + 5) / 6) * logdet
    df = p * (p - 1) // 2
    return Sphericity(kmo, kmo_items, float(chi2), df, _distributions.chi2_sf(chi2, df))


def random_correlation_eigenvalues(n: int, p: int, n_iter: int, seed: int) -> np.ndarray:
    """Eigenvalues (n_iter x p, decreasing) of correlation matrices of n independent
    standard normal cases on p variables.

    The cross-product matrix of such data is Wishart(I, n - 1); it is drawn by
    Bartlett's decomposition (``S = A A'``, ``A`` lower triangular with
    ``A_ii^2 ~ chi2(n - 1 - i)`` and ``A_ij ~ N(0, 1)`` below the diagonal), which
    has exactly the distribution of the data-based matrix at a cost that does not
    grow with n.
    """
    rng = np.random.default_rng(seed)
    a = np.tril(rng.standard_normal((n_iter, p, p)), -1)
    idx = np.arange(p)
    a[:, idx, idx] = np.sqrt(rng.chisquare(n - 1 - idx, size=(n_iter, p)))
    s = a @ np.transpose(a, (0, 2, 1))
    d = np.sqrt(np.diagonal(s, axis1=1, axis2=2))
    r = s / (d[:, :, None] * d[:, None, :])
    return np.linalg.eigvalsh(r)[:, ::-1]


def parallel_analysis(r: np.ndarray, n: int, n_iter: int = 100, seed: int = 0) -> ParallelAnalysis:
    """Horn's parallel analysis on principal-component eigenvalues (95th percentile)."""
    p = r.shape[0]
    eig = np.sort(np.linalg.eigvalsh(r))[::-1]
    sims = random_correlation_eigenvalues(n, p, n_iter, seed)
    q95 = np.quantile(sims, 0.95, axis=0)
    above = eig > q95
    n_pa = int(np.argmin(above)) if not above.all() else p
    af = np.full(p, -np.inf)
    af[1:-1] = (eig[2:] - eig[1:-1]) - (eig[1:-1] - eig[:-2])
    n_scree = int(np.argmax(af)) if p > 2 else 1
    return ParallelAnalysis(eig, q95, n_pa, max(n_scree, 1), n_iter, seed)


def rotate(loadings: np.ndarray, rotation: RotationName) -> tuple[np.ndarray, np.ndarray, bool]:
    if loadings.shape[1] == 1:
        return loadings, np.eye(1), True
    methods: dict[str, Callable[[np.ndarray], Rotation]] = {
        "oblimin": oblimin, "promax": promax, "geomin": geomin}
    rot = methods[rotation](loadings)
    return rot.loadings, rot.phi, rot.converged


def _sort_and_sign(L: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """psych::fa's order: by diag(Phi L'L), decreasing; signs so that columns sum positive."""
    order = np.argsort(-np.diag(phi @ L.T @ L), kind="stable")
    L, phi = L[:, order], phi[np.ix_(order, order)]
    sign = np.sign(L.sum(axis=0))
    sign[sign == 0] = 1
    return L * sign, phi * np.outer(sign, sign)


def efa(items: pd.DataFrame, n_factors: int | None = None, *, extraction: Extraction = "minres",
        rotation: RotationName = "oblimin", n_iter: int = 100, seed: int = 0) -> EFAResult:
    """EFA of keyed items (columns = items). ``n_factors`` defaults to parallel analysis.

    On Pearson correlations of pairwise complete answers: KMO (overall and per item)
    and Bartlett's test of sphericity; Horn's parallel analysis (principal-component
    eigenvalues against the 95th percentile of ``n_iter`` random normal data sets of
    the same n and p, seeded) and the scree's acceleration factor; extraction by
    minres or ML, rotation by oblimin, promax or geomin; factors sorted by the
    variance they explain and signed so that their loadings sum positive (as
    ``psych::fa``). A correlation matrix that is not positive definite (e.g. more
    items than persons) gives a status and a reason, no numbers.

    In R: ``psych::fa(x, nfactors, fm = "minres", rotate = "oblimin",
    use = "pairwise")``; ``psych::KMO(x)``; ``psych::cortest.bartlett(R, n)``;
    ``psych::fa.parallel(x, fa = "pc")`` (its simulated data, 95th percentile).

    Parameters
    ----------
    items : DataFrame, shape (n_persons, p)
        Keyed answers, one column per item, NaN where missing.
    n_factors : int, optional
        Factors to extract; by default the number parallel analysis suggests
        (at least 1).
    extraction : {"minres", "ml"}
    rotation : {"oblimin", "promax", "geomin"}
    n_iter : int
        Random data sets of parallel analysis.
    seed : int
        Seed of parallel analysis.

    Returns
    -------
    EFAResult
        Sphericity, parallel analysis, loadings, factor correlations,
        communalities, flags, ``status`` and ``reason``.

    Raises
    ------
    ValueError
        A column of ``items`` is not numeric.

    Warns
    -----
    InsufficientDataWarning, IdentificationWarning, NonConvergenceWarning, InadmissibleSolutionWarning
        When the status is not ``"ok"`` (see :mod:`psychometrics.exceptions`).
    SmallSampleWarning
        For each note on too few persons per item.

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor
    analysis. Psychometrika, 30, 179-185.

    Kaiser, H. F. (1974). An index of factorial simplicity. Psychometrika, 39, 31-36.

    Bartlett, M. S. (1951). The effect of standardization on a chi square
    approximation in factor analysis. Biometrika, 38, 337-344.

    Raiche, G., Walls, T. A., Magis, D., Riopel, M., & Blais, J.-G. (2013).
    Non-graphical solutions for Cattell's scree test. Methodology, 9, 23-29.

    Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection algorithms and
    software for arbitrary rotation criteria in factor analysis. Educational and
    Psychological Measurement, 65, 676-696.

    Examples
    --------
    The twelve self-efficacy items at the first wave of the example study:

    >>> import pandas as pd
    >>> from instruments import keyed_items, read_responses
    >>> from psychometrics import efa
    >>> from psychometrics.example_study import example_data_path
    >>> r = read_responses(example_data_path(), "tse", id_column="teacher",
    ...                    wave_column="wave")
    >>> x = pd.concat([keyed_items(r, s) for s in r.instrument.scale_ids], axis=1)
    >>> result = efa(x[(r.keys["wave"] == "T0").to_numpy()])
    >>> result.n_factors, round(result.sphericity.kmo, 3)  # In R: psych::KMO(x)$MSA
    (3, 0.84)
    >>> result.loadings.loc[["TSE01", "TSE05", "TSE09"]].round(2)  # In R: psych::fa(x, 3)
             F1    F2    F3
    TSE01  0.68  0.03  0.14
    TSE05 -0.03  0.83 -0.03
    TSE09  0.03  0.00  0.80
    """
    result = _efa(items, n_factors, extraction, rotation, n_iter, seed)
    warn_status(result.status, result.reason, f"EFA of {len(items.columns)} items")
    for note in result.notes:
        warnings.warn(f"EFA of {len(items.columns)} items: {note}", SmallSampleWarning,
                      stacklevel=2)
    return result


def _efa(items: pd.DataFrame, n_factors: int | None, extraction: Extraction,
         rotation: RotationName, n_iter: int, seed: int) -> EFAResult:
    names = list(map(str, items.columns))
    p = len(names)
    empty = pd.DataFrame()
    r, n = pairwise_correlations(items)
    base = {"n": n, "n_items": p, "extraction": extraction, "rotation": rotation, "loadings": empty,
                "phi": empty, "communalities": pd.Series(dtype=float)}
    if p < 3:
        return EFAResult("too_few_items", f"{p} items", sphericity=None, parallel=None,
                         n_factors=0, **base)
    if not np.isfinite(r).all():
        return EFAResult("no_variance", "some correlations are undefined (items without "
                         "variance or without overlapping answers)", sphericity=None,
                         parallel=None, n_factors=0, **base)
    if n <= p or np.linalg.eigvalsh(r).min() <= 1e-10:
        return EFAResult("not_positive_definite", f"the correlation matrix of {p} items from "
                         f"{n} persons is not positive definite: KMO, Bartlett and the "
                         "extraction need more persons than items", sphericity=None,
                         parallel=None, n_factors=0, **base)
    sph = sphericity(r, n, names)
    pa = parallel_analysis(r, n, n_iter, seed)
    k = n_factors if n_factors is not None else max(pa.n_factors, 1)
    notes = []
    if n < 5 * p:
        notes.append(f"{n} persons for {p} items (fewer than 5 per item): loadings are unstable")
    if k * 2 > p:
        return EFAResult("too_many_factors", f"{k} factors for {p} items", sphericity=sph,
                         parallel=pa, n_factors=k, notes=tuple(notes), **base)
    L0 = unrotated_loadings(r, k, extraction)
    L, phi, converged = rotate(L0, rotation)
    if not converged:
        return EFAResult("not_converged", f"the {rotation} rotation did not converge",
                         sphericity=sph, parallel=pa, n_factors=k, notes=tuple(notes), **base)
    L, phi = _sort_and_sign(L, phi)
    cols = [f"F{j + 1}" for j in range(k)]
    loadings = pd.DataFrame(L, index=names, columns=cols)
    h2 = pd.Series(np.einsum("ij,jk,ik->i", L, phi, L), index=names)
    flags = {}
    for item, row in loadings.iterrows():
        a = row.abs()
        if a.max() < LOW_LOADING:
            flags[item] = f"low: largest loading {a.max():.2f} < {LOW_LOADING:.2f}"
        elif (a >= CROSS_LOADING).sum() > 1:
            flags[item] = f"cross-loading on {', '.join(a[a >= CROSS_LOADING].index)}"
    status = "heywood" if (h2 >= 1).any() else "ok"
    return EFAResult(status, "a communality of 1 or more (Heywood case)" if status != "ok" else "",
                     n=n, n_items=p, sphericity=sph, parallel=pa, n_factors=k,
                     extraction=extraction, rotation=rotation, loadings=loadings,
                     phi=pd.DataFrame(phi, index=cols, columns=cols), communalities=h2,
                     flags=flags, notes=tuple(notes))
