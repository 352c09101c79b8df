"""Simulated data with known population values, shared by the tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def longitudinal_scale(n: int, waves: tuple[str, ...], *, loadings, intercepts, residuals,
                       means, variances, factor_r: float = 0.6, residual_r: float = 0.2,
                       drift: dict[tuple[int, str], float] | None = None,
                       loading_drift: dict[tuple[int, str], float] | None = None,
                       seed: int = 0) -> pd.DataFrame:
    """Long data (id, wave, x1..xk) from a one-factor-per-wave model.

    ``drift[(item_index, wave)]`` adds to that item's intercept at that wave;
    ``loading_drift`` likewise to its loading.
    """
    rng = np.random.default_rng(seed)
    k, t = len(loadings), len(waves)
    sd = np.sqrt(np.asarray(variances, float))
    phi = np.full((t, t), factor_r) + (1 - factor_r) * np.eye(t)
    eta = rng.multivariate_normal(np.asarray(means, float), phi * np.outer(sd, sd), size=n)
    th = np.sqrt(np.asarray(residuals, float))
    r = np.kron(np.full((t, t), residual_r) + (1 - residual_r) * np.eye(t), np.eye(k))
    e = rng.multivariate_normal(np.zeros(k * t), r * np.outer(np.tile(th, t), np.tile(th, t)), size=n)
    frames = []
    for w, wave in enumerate(waves):
        nu = np.asarray(intercepts, float).copy()
        lam = np.asarray(loadings, float).copy()
        for (j, dw), v in (drift or {}).items():
            if dw == wave:
                nu[j] += v
        for (j, dw), v in (loading_drift or {}).items():
            if dw == wave:
                lam[j] += v
        x = nu + eta[:, [w]] * lam + e[:, w * k:(w + 1) * k]
        f = pd.DataFrame(x, columns=[f"x{j + 1}" for j in range(k)])
        f.insert(0, "wave", wave)
        f.insert(0, "id", [f"p{i}" for i in range(n)])
        frames.append(f)
    return pd.concat(frames, ignore_index=True)
