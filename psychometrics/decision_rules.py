"""Decision rules of the invariance sequence: when a model is accepted.

A rule judges the configural model on its own fit and each later step (metric,
scalar, strict and every partial model) on its change in fit against the last
accepted model. Four rules can be chosen:

- ``"lrt-calibrated"`` (default): a likelihood-ratio chain with family-wise error
  control, calibrated for the sample at hand. The sequence holds four tests: the
  configural model's test of close fit and the likelihood-ratio (delta chi2) tests of
  metric, scalar and strict. Each is made at ``alpha / 4`` (Bonferroni; family
  ``alpha = .05``), so that a scale whose measurement is invariant is flagged, at any
  step or by any release, in at most about 5% of studies.

  *Configural*: the test of close fit of MacCallum, Browne & Sugawara (1996), ``H0:
  RMSEA <= .05``, p from the noncentral chi-square with noncentrality ``N df .05^2``;
  the configural model is rejected when p < alpha / 4, that is when the model fits
  significantly worse than "close". A correctly specified model has RMSEA 0, so its
  rejection rate stays below alpha / 4 even where the chi-square is inflated by a small
  sample; a model with CFI .75 is rejected at N = 93.

  *Steps*: the likelihood-ratio test of the added equality constraints. At small N,
  and more so with missing answers (full-information ML), the asymptotic chi-square
  reference is liberal (our simulations at N = 93: about 1.5 to 2.5 times the nominal
  rate in the tail). Where the asymptotic p lies in ``[alpha / 4 / 20, alpha / 4)``,
  the decision is taken on a parametric-bootstrap p instead (Bollen & Stine 1992's
  logic with the model-based resampling of Beran & Srivastava 1985): data are drawn
  from the fitted constrained model at the study's own N and with the study's own
  pattern of missing answers, both models are refitted, and p is the share of drawn
  statistics at least as large as the observed one. Draws stop early once acceptance
  is certain (Besag & Clifford 1991). Below the grey zone the evidence is too strong
  for the calibration to change the decision; above it the asymptotic test already
  accepts and, the reference being liberal, the calibrated test would too.
  A partial model (after a release) is judged by the same test at the same level.

- ``"cfi-rmsea"``: delta CFI >= -.010 and delta RMSEA <= .015 (Cheung & Rensvold
  2002; Chen 2007);
- ``"chen-small-n"``: delta CFI >= -.005 and delta RMSEA <= .010 (Chen 2007, N <= 300);
- ``"chi2"``: p(delta chi2) > .05 for every step, uncorrected.

Under the three fixed rules the configural model is acceptable when CFI >= .90 and
RMSEA <= .10 (RMSEA above .10 is "poor": MacCallum, Browne & Sugawara 1996).

Under ``estimator = "MLR"`` every rule uses the robust versions, and its decision says
so: the Satorra-Bentler scaled delta chi2 and its p (``lrt-calibrated`` and ``chi2``),
the robust CFI and RMSEA and their changes (the fixed rules), and for the configural
test of close fit the robust RMSEA's test (lavaan's ``rmsea.pvalue.robust``: the scaled
statistic ``T / c`` against the noncentral chi-square with noncentrality
``N df .05^2 / c``). In the grey zone the calibrated rule's parametric bootstrap draws
normal data from the constrained model, as under ML, and refers the observed *scaled*
delta chi2 to the drawn (normal-theory) likelihood ratios: the scaling removes the
effect of the items' kurtosis on the statistic's mean, and the bootstrap the small-sample
inflation that the scaling does not address. The variability that the estimated scaling
factor adds at small N is not in the draws (a Bollen-Stine bootstrap, which resamples
the persons, would carry it; it is not built), so the Monte Carlo study
(``benchmarks/bench_verdict.py --estimator MLR``) is what shows how well this holds.

References: Cheung & Rensvold (2002), SEM 9, 233-255; Chen (2007), SEM 14, 464-504;
MacCallum, Browne & Sugawara (1996), Psychological Methods 1, 130-149; Bollen & Stine
(1992), Sociological Methods & Research 21, 205-229; Beran & Srivastava (1985),
Annals of Statistics 13, 95-115; Besag & Clifford (1991), Biometrika 78, 301-304.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Rule = Literal["lrt-calibrated", "cfi-rmsea", "chen-small-n", "chi2"]
#: Every rule, the default first.
RULES: tuple[str, ...] = ("lrt-calibrated", "cfi-rmsea", "chen-small-n", "chi2")
DEFAULT_RULE: Rule = "lrt-calibrated"

FAMILY_ALPHA = 0.05
#: Tests of the calibrated sequence: configural close fit, metric, scalar, strict.
N_TESTS = 4
CLOSE_FIT_RMSEA = 0.05
#: The grey zone where the calibrated rule bootstraps: [alpha_test / GREY, alpha_test).
GREY = 20
BOOTSTRAP_MAX_DRAWS = 99
#: Configural acceptability under the fixed rules.
CONFIGURAL_MIN_CFI = 0.90
CONFIGURAL_MAX_RMSEA = 0.10
_DELTA_CUTS = {"cfi-rmsea": (-0.010, 0.015), "chen-small-n": (-0.005, 0.010)}

DESCRIPTIONS = {
    "lrt-calibrated": "likelihood-ratio chain with family-wise error control: configural "
                      "test of close fit (H0: RMSEA <= .05) and the delta chi2 tests of "
                      "metric, scalar and strict, each at alpha/4 = .0125 (family alpha .05); "
                      "in the grey zone [alpha/80, alpha/4) the p value comes from a "
                      "parametric bootstrap at the study's N and missing-data pattern",
    "cfi-rmsea": "delta CFI >= -.010 and delta RMSEA <= .015 (Cheung & Rensvold 2002; "
                 "Chen 2007); configural CFI >= .90 and RMSEA <= .10",
    "chen-small-n": "delta CFI >= -.005 and delta RMSEA <= .010 (Chen 2007, N <= 300); "
                    "configural CFI >= .90 and RMSEA <= .10",
    "chi2": "p(delta chi2) > .05 at every step, uncorrected; configural CFI >= .90 and "
            "RMSEA <= .10",
}


def alpha_per_test(rule: str) -> float:
    """The level of each likelihood-ratio test under ``rule``."""
    return FAMILY_ALPHA / N_TESTS if rule == "lrt-calibrated" else FAMILY_ALPHA


@dataclass(frozen=True, slots=True)
class Judgement:
    """A rule's verdict on one model: accepted or not, and why in words."""

    accepted: bool
    decision: str
    #: The p value the decision used (asymptotic or bootstrap), where a test was made.
    p_value: float = math.nan


def close_fit_pvalue(chi2: float, df: int, n: int, scaling: float = 1.0) -> float:
    """p of the test of close fit, ``H0: RMSEA <= .05`` (MacCallum et al. 1996); with
    a scaling factor ``c`` the robust version (lavaan's ``rmsea.pvalue.robust``): ``T / c``
    against the noncentrality ``N df .05^2 / c``."""
    if df <= 0 or not math.isfinite(chi2) or not scaling > 0:
        return math.nan
    from psychometrics._distributions import ncx2_sf  # scipy.special: no scipy.stats import

    return ncx2_sf(chi2 / scaling, df, n * df * CLOSE_FIT_RMSEA ** 2 / scaling)


def judge_configural(rule: str, chi2: float, df: int, n: int, cfi: float,
                     rmsea: float, scaling: float | None = None) -> Judgement:
    """Whether the configural model fits well enough to build the sequence on. With a
    ``scaling`` factor (MLR), ``chi2``, ``cfi`` and ``rmsea`` are the statistic and the
    robust indices, and the decision says so."""
    robust = scaling is not None
    tag = "robust " if robust else ""
    if rule == "lrt-calibrated":
        alpha = alpha_per_test(rule)
        if df <= 0:
            return Judgement(True, "saturated configural model (df = 0): nothing to test")
        c = scaling if scaling is not None else 1.0
        p = close_fit_pvalue(chi2, df, n, c)
        ok = p >= alpha
        shown = (f"T/c = {chi2 / c:.2f} (c = {c:.3f}, as in the robust RMSEA)"
                 if robust else f"chi2 = {chi2:.2f}")
        return Judgement(ok, f"{tag}test of close fit (H0: RMSEA <= .05): {shown}, "
                             f"df = {df}, {tag}RMSEA = {rmsea:.3f}, p = {p:.4f} "
                             f"{'>=' if ok else '<'} {alpha:.4f}"
                             + ("" if ok else ": the configural model fits significantly "
                                              "worse than close fit"), p)
    ok_cfi, ok_rmsea = cfi >= CONFIGURAL_MIN_CFI, rmsea <= CONFIGURAL_MAX_RMSEA
    ok = ok_cfi and ok_rmsea
    misfit = [m for m, bad in ((f"{tag}CFI {cfi:.3f} < .90", not ok_cfi),
                               (f"{tag}RMSEA {rmsea:.3f} > .10", not ok_rmsea)) if bad]
    return Judgement(ok, f"{tag}CFI = {cfi:.3f} ({'>=' if ok_cfi else '<'} .90), {tag}RMSEA = "
                         f"{rmsea:.3f} ({'<=' if ok_rmsea else '>'} .10)"
                         + ("" if ok else ": configural misfit (" + ", ".join(misfit) + ")"))


def judge_step(rule: str, d_cfi: float, d_rmsea: float, p_chi2: float,
               p_bootstrap: float = math.nan, draws: int = 0, robust: bool = False) -> Judgement:
    """Apply ``rule`` to the changes in fit of one step; for ``"lrt-calibrated"``
    ``p_bootstrap`` (from ``draws`` draws) replaces the asymptotic p where given.
    ``robust=True`` (MLR): the p is the scaled difference test's and the changes are
    those of the robust CFI and RMSEA; the decision says so."""
    scaled = "scaled " if robust else ""
    tag = "robust " if robust else ""
    if rule == "lrt-calibrated":
        alpha = alpha_per_test(rule)
        boot = math.isfinite(p_bootstrap)
        p = p_bootstrap if boot else p_chi2
        ok = not (p < alpha)
        source = (f"bootstrap p = {p:.4f} ({draws} draws; asymptotic {scaled}p = {p_chi2:.4f})"
                  if boot else f"p({scaled}delta chi2) = {p_chi2:.4f}")
        return Judgement(ok, f"{source} {'>=' if ok else '<'} {alpha:.4f}", p)
    if rule == "chi2":
        ok = not (p_chi2 <= FAMILY_ALPHA)
        return Judgement(ok, f"p({scaled}delta chi2) = {p_chi2:.3f} {'>' if ok else '<='} .05",
                         p_chi2)
    if rule not in _DELTA_CUTS:
        raise ValueError(f"The 'rule' parameter must be one of {', '.join(RULES)}. "
                         f"Got {rule!r} instead.")
    cfi_cut, rmsea_cut = _DELTA_CUTS[rule]
    ok = d_cfi >= cfi_cut and d_rmsea <= rmsea_cut
    return Judgement(ok, f"delta {tag}CFI = {d_cfi:+.4f} ({'>=' if d_cfi >= cfi_cut else '<'} "
                         f"{cfi_cut:+.3f}), delta {tag}RMSEA = {d_rmsea:+.4f} "
                         f"({'<=' if d_rmsea <= rmsea_cut else '>'} {rmsea_cut:.3f})", p_chi2)


def needs_bootstrap(rule: str, p_chi2: float) -> bool:
    """Whether the calibrated rule takes this step's decision on a bootstrap p."""
    if rule != "lrt-calibrated" or not math.isfinite(p_chi2):
        return False
    alpha = alpha_per_test(rule)
    return alpha / GREY <= p_chi2 < alpha


def rule_details(rule: str, seed: int | None = None) -> dict[str, Any]:
    """What results.json records of the rule: its name, wording and levels."""
    out: dict[str, Any] = {"name": rule, "description": DESCRIPTIONS[rule]}
    if rule == "lrt-calibrated":
        out.update({"family_alpha": FAMILY_ALPHA, "n_tests": N_TESTS,
                    "alpha_per_test": alpha_per_test(rule),
                    "configural": "test of close fit, H0: RMSEA <= .05",
                    "bootstrap": {"grey_zone": [alpha_per_test(rule) / GREY,
                                                alpha_per_test(rule)],
                                  "max_draws": BOOTSTRAP_MAX_DRAWS, "seed": seed,
                                  "draws_from": "the fitted constrained model, at the study's "
                                                "N and missing-data pattern"}})
    else:
        out["configural"] = "CFI >= .90 and RMSEA <= .10"
        if rule in _DELTA_CUTS:
            out["delta_cfi_min"], out["delta_rmsea_max"] = _DELTA_CUTS[rule]
        else:
            out["alpha_per_test"] = FAMILY_ALPHA
    return out
