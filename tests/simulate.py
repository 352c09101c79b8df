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


def questionnaire_study(n: int, k: int, seed: int, *, drift: float = 0.0,
                        loadings: tuple[float, float] = (0.6, 0.9),
                        residuals: tuple[float, float] = (0.4, 0.7),
                        intercepts: tuple[float, float] = (2.6, 3.4), categories: int = 5,
                        missing: float = 0.03, n_left: int = 6, latent_change: float = 0.3,
                        ) -> tuple[pd.DataFrame, list[str], int | None]:
    """A two-wave study of one k-item scale from a strictly invariant one-factor model:
    item parameters drawn uniformly from the given ranges (response units), answers
    rounded to ``categories`` points (0: kept continuous), ``missing`` of the cells
    missing completely at random, ``n_left`` persons not seen at the second wave.
    ``drift`` adds to the intercept of one item, drawn at random, at the second wave.
    Returns the long data, the item names and the drifting item's index (or None)."""
    rng = np.random.default_rng(seed)
    lam = rng.uniform(*loadings, k)
    res = rng.uniform(*residuals, k)
    nu = rng.uniform(*intercepts, k)
    which = int(rng.integers(k)) if drift else None
    data = longitudinal_scale(n, ("T0", "T1"), loadings=lam, intercepts=nu, residuals=res,
                              means=[0, latent_change], variances=[1, 1],
                              drift={(which, "T1"): drift} if drift else None, seed=seed)
    items = [f"x{j + 1}" for j in range(k)]
    x = data[items].to_numpy(dtype=float).copy()
    if categories:
        x = np.clip(np.rint(x), 1, categories)
    x[rng.random(x.shape) < missing] = np.nan
    data[items] = x
    left = {f"p{i}" for i in rng.choice(n, n_left, replace=False)} if n_left else set()
    data = data[~((data["wave"] == "T1") & data["id"].isin(left))].reset_index(drop=True)
    return data, items, which
