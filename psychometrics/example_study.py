"""The bundled example study: a simulated stand-in for the Kwaliteit van Binnenuit study.

93 teachers in 6 primary schools answer the ``kvb`` instrument at two waves, T0 and
T1, 17 months apart. The data are simulated from the population model below (every
number here is the truth the package's statistics can be checked against), with
:func:`simulate_example_study`; ``scripts/make_example_study.py`` writes the shipped
file ``psychometrics/data/kvb_example.csv`` and a test checks that the file is what
the script makes.

Population model, per scale s, teacher i, wave t (latent variables in T0 SD units):

- Latent factors ``eta[i, t, s]`` are multivariate normal. At each wave the scales
  correlate as in :func:`scale_correlations` (``PHI``); the same scale correlates
  ``STABILITY`` = 0.6 between waves (covariance ``[[1, .6], [.6, 1]] ⊗ PHI``).
  A school effect with ``ICC`` = 0.10 per scale (the same at both waves) is part of
  the unit variance. The T1 mean is ``GROWTH[s]`` (T0 mean is 0).
- Items: a continuous response ``y* = nu + lambda * eta + e``, ``e ~ N(0, theta)``,
  rounded to the nearest category and clipped to the response scale; a reversed
  item is then written as ``min + max - y``. ``nu``, ``lambda`` and ``theta`` are
  in response units and come from :func:`item_parameters`.
- Non-invariance: item ``DRIFT_ITEM`` has its intercept raised by ``DRIFT`` at T1
  (the same latent level gives a higher answer), so scalar invariance fails for
  its scale and partial scalar invariance should free exactly this intercept.
- Missing data: ``MISSING_RATE`` = 3% of item cells missing completely at random;
  ``N_LEFT`` = 6 teachers left after T0 (no T1 row).
- A grouping for invariance across groups: column ``district``, the two halves of
  the schools (S1-S3 ``D1``, S4-S6 ``D2``; the demo's ``--group``). The population
  model is the same in both (no group difference beyond the school effects), so the
  measurement should be invariant across districts and across districts x waves.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from instruments import Instrument

SEED = 20_17_05  # the programme ran 17 months; the seed is only a label
N_TEACHERS = 93
SCHOOL_SIZES = (14, 17, 12, 19, 15, 16)
WAVES = ("T0", "T1")
STABILITY = 0.6
ICC = 0.10
MISSING_RATE = 0.03
N_LEFT = 6
DRIFT_ITEM = "TSE06"
DRIFT = 1.0
#: The districts: each holds a half of the schools, in order.
DISTRICTS = ("D1", "D2")

#: Latent mean at T1 in T0 SD units (growth over the programme; frustration falls).
GROWTH = {
    "autonomy_satisfaction": 0.40, "autonomy_frustration": -0.30,
    "competence_satisfaction": 0.35, "competence_frustration": -0.25,
    "relatedness_satisfaction": 0.30, "relatedness_frustration": -0.20,
    "tse_engagement": 0.30, "tse_instruction": 0.25, "tse_management": 0.20,
    "onion_environment": 0.15, "onion_behaviour": 0.30, "onion_competencies": 0.30,
    "onion_beliefs": 0.35, "onion_identity": 0.40, "onion_mission": 0.35,
    "onion_restoring": 0.50,
}


@dataclass(frozen=True, slots=True)
class ExampleStudy:
    """How the example file is laid out (what ``binnenuit demo`` passes to validate)."""

    file: str = "kvb_example.csv"
    instrument: str = "kvb"
    id_column: str = "teacher"
    wave_column: str = "wave"
    cluster_column: str = "school"
    group_column: str = "district"


EXAMPLE = ExampleStudy()


def example_data_path() -> Path:
    """Where the shipped example data file is installed.

    The file is ``psychometrics/data/kvb_example.csv``: 93 teachers in 6 schools,
    waves T0 and T1, the ``kvb`` instrument's 58 items (columns ``teacher``,
    ``school``, ``wave`` and one per item), simulated by
    :func:`simulate_example_study`.

    Returns
    -------
    Path

    Examples
    --------
    >>> from psychometrics.example_study import EXAMPLE, example_data_path
    >>> example_data_path().name, EXAMPLE.id_column, EXAMPLE.wave_column
    ('kvb_example.csv', 'teacher', 'wave')
    """

    return Path(str(resources.files("psychometrics.data"))) / EXAMPLE.file


def scale_correlations(scales: list[str]) -> np.ndarray:
    """PHI: correlations of the scales' latent factors at one wave.

    Same-bank positive scales .45, onion layers among themselves .50, the
    restoring scale with the layers .35, positive scales across banks .30;
    frustration with the satisfaction of the same need -.50, with other positive
    scales -.25; frustrations among themselves .45.
    """
    def kind(s: str) -> tuple[str, bool]:
        bank = "bpn" if s.split("_")[0] in ("autonomy", "competence", "relatedness") else s.split("_")[0]
        return bank, s.endswith("_frustration")

    k = len(scales)
    phi = np.eye(k)
    for a in range(k):
        for b in range(a + 1, k):
            sa, sb = scales[a], scales[b]
            (ba, fa), (bb, fb) = kind(sa), kind(sb)
            if fa and fb:
                r = 0.45
            elif fa or fb:
                same_need = sa.split("_")[0] == sb.split("_")[0]
                r = -0.50 if same_need else -0.25
            elif ba == bb == "onion":
                r = 0.35 if "onion_restoring" in (sa, sb) else 0.50
            elif ba == bb:
                r = 0.45
            else:
                r = 0.30
            phi[a, b] = phi[b, a] = r
    return phi


def item_parameters(instrument: Instrument) -> pd.DataFrame:
    """nu (intercept), lambda (loading) and theta (residual variance) per item.

    In response units. Positive constructs centre at 3.7 on 1..5 and 5.0 on 1..7,
    frustration at 2.3; loadings and intercepts vary over a scale's items in a
    fixed pattern so that the items are congeneric, not parallel.
    """
    rows = []
    lam_pattern = (0.75, 0.62, 0.88, 0.70)
    nu_pattern = (0.10, -0.15, 0.05, -0.05)
    for scale in instrument.scales:
        wide = scale.max - scale.min >= 6
        centre = 5.0 if wide else (2.3 if scale.id.endswith("_frustration") else 3.7)
        unit = 1.3 if wide else 1.0
        for k, item in enumerate(scale.items):
            rows.append({
                "item": item, "scale": scale.id,
                "nu": centre + unit * nu_pattern[k % 4],
                "lambda": unit * lam_pattern[k % 4],
                "theta": (unit * 0.55) ** 2,
                "reversed": item in scale.reversed,
            })
    return pd.DataFrame(rows).set_index("item")


def simulate_example_study(seed: int = SEED, n_teachers: int = N_TEACHERS) -> pd.DataFrame:
    """Simulate the example study from the population model (deterministic per seed).

    ``n_teachers`` other than the study's 93 (e.g. for benchmarks) spreads the teachers
    over the same number of schools in near-equal sizes."""
    rng = np.random.default_rng(seed)
    inst = Instrument.load(EXAMPLE.instrument)
    scales = list(inst.scale_ids)
    s = len(scales)
    phi = scale_correlations(scales)
    cov = np.kron(np.array([[1.0, STABILITY], [STABILITY, 1.0]]), phi)
    n = n_teachers
    sizes = SCHOOL_SIZES if n == N_TEACHERS else [
        len(c) for c in np.array_split(np.arange(n), len(SCHOOL_SIZES))]
    individual = rng.multivariate_normal(np.zeros(2 * s), cov, size=n, method="cholesky")
    school_of = np.repeat(np.arange(len(sizes)), sizes)
    school_effect = rng.standard_normal((len(sizes), s))[school_of]
    growth = np.array([GROWTH[x] for x in scales])
    eta = {
        wave: np.sqrt(1 - ICC) * individual[:, w * s:(w + 1) * s]
        + np.sqrt(ICC) * school_effect + (growth if w == 1 else 0.0)
        for w, wave in enumerate(WAVES)
    }
    params = item_parameters(inst)
    scale_index = {x: j for j, x in enumerate(scales)}
    frames = []
    for wave in WAVES:
        cols = {}
        for item, p in params.iterrows():
            scale = inst.items_by_id[item]
            nu = p["nu"] + (DRIFT if (item == DRIFT_ITEM and wave == "T1") else 0.0)
            ystar = nu + p["lambda"] * eta[wave][:, scale_index[p["scale"]]] \
                + rng.normal(0.0, np.sqrt(p["theta"]), n)
            y = np.clip(np.rint(ystar), scale.min, scale.max)
            cols[item] = (scale.min + scale.max - y) if p["reversed"] else y
        frame = pd.DataFrame(cols)
        frame.insert(0, "wave", wave)
        frame.insert(0, "district", [DISTRICTS[k * len(DISTRICTS) // len(sizes)]
                                     for k in school_of])
        frame.insert(0, "school", [f"S{k + 1}" for k in school_of])
        frame.insert(0, "teacher", [f"L{i + 1:03d}" for i in range(n)])
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True)
    items = list(params.index)
    holes = rng.random((len(data), len(items))) < MISSING_RATE
    values = data[items].to_numpy(dtype=float, copy=True)
    values[holes] = np.nan
    data[items] = values
    left = rng.choice(n, size=N_LEFT, replace=False)
    left_ids = {f"L{i + 1:03d}" for i in left}
    data = data[~((data["wave"] == "T1") & data["teacher"].isin(left_ids))]
    data = data.sort_values(["teacher", "wave"], kind="stable").reset_index(drop=True)
    data[items] = data[items].astype("Int64")
    return data


def write_example_study(path: str | Path, seed: int = SEED) -> Path:
    """Write the simulated example study as CSV (empty cells = missing)."""
    path = Path(path)
    simulate_example_study(seed).to_csv(path, index=False)
    return path
