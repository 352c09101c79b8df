"""Figures of the report, drawn with matplotlib and returned as inline SVG text.

One colour-blind-safe palette (Okabe & Ito 2008) throughout. Every function takes
plain data and returns an ``<svg>`` string; nothing is written to disk here.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Persons drawn at most in the line and scatter plots (a seeded random subset
#: beyond this; the figure's caption says so).
MAX_DRAWN = 300

OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000"]
CLASS_COLOURS = {"improved": "#009E73", "unchanged": "#BBBBBB", "deteriorated": "#D55E00"}

#: The widest response scale drawn (one bar segment per category); the instrument
#: schema refuses wider scales, this guards the API.
MAX_CATEGORIES = 101

#: No figure is taller or wider than this (inches), however many items, waves or
#: persons it shows: a figure's size must not grow without bound with the data.
MAX_INCHES = 40.0


def _size(width: float, height: float) -> tuple[float, float]:
    return min(width, MAX_INCHES), min(height, MAX_INCHES)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                         "svg.fonttype": "none", "figure.dpi": 100,
                         # Labels come from the data: '$' must not start mathtext.
                         "text.parse_math": False})
    return plt


def _svg(fig) -> str:
    plt = _plt()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def response_distribution(items: pd.DataFrame, waves: np.ndarray, low: int, high: int,
                          labels: dict[int, str] | None = None) -> str:
    """Stacked horizontal bars: the share of each answer per item and wave."""
    plt = _plt()
    if not 0 < high - low + 1 <= MAX_CATEGORIES:
        raise ValueError(f"a response scale {low}..{high} has {high - low + 1} categories; "
                         f"at most {MAX_CATEGORIES} can be drawn")
    cats = list(range(low, high + 1))
    wave_order = list(dict.fromkeys(waves))
    rows = [(item, w) for item in items.columns for w in wave_order]
    fig, ax = plt.subplots(figsize=_size(7.5, 0.28 * len(rows) + 0.9))
    cmap = plt.get_cmap("BrBG", len(cats))
    y = np.arange(len(rows))[::-1]
    shares = np.zeros((len(rows), len(cats)))
    for r, (item, w) in enumerate(rows):
        x = items[item].to_numpy()[waves == w]
        x = x[~np.isnan(x)].astype(int) - low
        if len(x):
            shares[r] = np.bincount(x, minlength=len(cats))[:len(cats)] / len(x)
    left = np.zeros(len(rows))
    for k, c in enumerate(cats):
        ax.barh(y, shares[:, k], left=left, color=cmap(k), edgecolor="white", linewidth=0.3,
                label=(labels or {}).get(c, str(c)))
        left += shares[:, k]
    ax.set_yticks(y, [f"{item}  {w}" for item, w in rows])
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of answers")
    ax.legend(ncol=min(len(cats), 11), bbox_to_anchor=(0, 1.02), loc="lower left", frameon=False,
              fontsize=7)
    return _svg(fig)


def scree(eigenvalues: Sequence[float], random_95: Sequence[float], n_factors: int) -> str:
    """Parallel analysis: observed eigenvalues against the random 95th percentile."""
    plt = _plt()
    k = np.arange(1, len(eigenvalues) + 1)
    fig, ax = plt.subplots(figsize=(5.5, 3))
    ax.plot(k, eigenvalues, "o-", color=OKABE_ITO[4], label="observed", ms=3)
    ax.plot(k, random_95, "s--", color=OKABE_ITO[5], label="random data, 95th percentile", ms=3)
    ax.axvline(n_factors + 0.5, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("component")
    ax.set_ylabel("eigenvalue")
    ax.set_title(f"parallel analysis suggests {n_factors} factor(s)", fontsize=9)
    ax.legend(frameon=False)
    return _svg(fig)


def loadings_heatmap(loadings: pd.DataFrame) -> str:
    """Pattern loadings as a heat map (blue positive, orange negative)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=_size(0.5 * loadings.shape[1] + 2.5, 0.2 * loadings.shape[0] + 1))
    im = ax.imshow(loadings.to_numpy(), cmap="PuOr_r", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(loadings.shape[1]), loadings.columns)
    ax.set_yticks(range(loadings.shape[0]), loadings.index, fontsize=6)
    for (i, j), v in np.ndenumerate(loadings.to_numpy()):
        if abs(v) >= 0.3:
            ax.text(j, i, f"{v:.2f}".replace("0.", "."), ha="center", va="center", fontsize=5)
    fig.colorbar(im, ax=ax, shrink=0.6, label="loading")
    return _svg(fig)


def subset(n: int, limit: int = MAX_DRAWN, seed: int = 0) -> np.ndarray:
    """Positions of at most ``limit`` of ``n`` persons (all of them when n <= limit)."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def spaghetti(wide: pd.DataFrame, low: float, high: float) -> str:
    """Scale scores across waves (at most MAX_DRAWN persons drawn), with the means
    of all persons."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4, 3))
    x = np.arange(wide.shape[1])
    values = wide.to_numpy()[subset(len(wide))]
    for row in values:
        ok = ~np.isnan(row)
        if ok.sum() >= 2:
            ax.plot(x[ok], row[ok], color="#999999", alpha=0.35, lw=0.7)
    ax.plot(x, wide.mean().to_numpy(), "o-", color=OKABE_ITO[4], lw=2.2, label="mean (all)")
    ax.set_xticks(x, wide.columns)
    ax.set_ylim(low, high)
    ax.set_ylabel("scale score")
    ax.legend(frameon=False, loc="lower right")
    return _svg(fig)


def jacobson_truax(before: np.ndarray, after: np.ndarray, classes: np.ndarray,
                   band: float, low: float, high: float, labels: tuple[str, str]) -> str:
    """Baseline against follow-up with the no-change line and the reliable-change band."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4, 4))
    line = np.array([low, high])
    ax.fill_between(line, line - band, line + band, color="#DDDDDD", label="no reliable change")
    ax.plot(line, line, color="grey", lw=0.8)
    keep = subset(len(before), limit=10 * MAX_DRAWN)
    before, after, classes = before[keep], after[keep], classes[keep]
    for cls, colour in CLASS_COLOURS.items():
        sel = classes == cls
        ax.scatter(before[sel], after[sel], s=12, color=colour, label=cls, edgecolor="none")
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_aspect("equal")
    ax.legend(frameon=False, fontsize=7, loc="upper left")
    return _svg(fig)


def multi_layer(classes: pd.DataFrame, scales: list[str], names: list[str]) -> str:
    """Teachers (rows) by scales (columns), coloured by reliable-change class; rows
    sorted by the number of scales improved."""
    plt = _plt()
    from matplotlib.colors import ListedColormap

    grid = classes.pivot(index="id", columns="scale", values="rci_class").reindex(columns=scales)
    code = grid.replace({"deteriorated": 0, "unchanged": 1, "improved": 2}).astype(float)
    order = (code == 2).sum(axis=1).sort_values(ascending=False, kind="stable").index
    code = code.loc[order]
    cmap = ListedColormap([CLASS_COLOURS["deteriorated"], CLASS_COLOURS["unchanged"],
                           CLASS_COLOURS["improved"]])
    fig, ax = plt.subplots(figsize=_size(0.55 * len(scales) + 2.2, 0.06 * len(code) + 1.6))
    ax.imshow(code.to_numpy(), cmap=cmap, vmin=0, vmax=2, aspect="auto", interpolation="none")
    ax.set_xticks(range(len(scales)), names, rotation=40, ha="right")
    ax.set_yticks([])
    ax.set_ylabel(f"teachers (n = {len(code)}), most layers improved at the top")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in CLASS_COLOURS.values()]
    ax.legend(handles, list(CLASS_COLOURS), bbox_to_anchor=(1.02, 1), loc="upper left",
              frameon=False, fontsize=7)
    return _svg(fig)


def count_distribution(distribution: dict[str, int], what: str) -> str:
    """Bar chart: how many persons improved reliably on 0, 1, 2, ... scales."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4, 2.6))
    k = [int(x) for x in distribution]
    ax.bar(k, list(distribution.values()), color=OKABE_ITO[2])
    ax.set_xticks(k)
    ax.set_xlabel(f"number of {what} with reliable improvement")
    ax.set_ylabel("persons")
    return _svg(fig)
