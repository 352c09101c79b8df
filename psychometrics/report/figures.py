"""Figures of the report, written directly as inline SVG text (no plotting library).

One colour-blind-safe palette (Okabe & Ito 2008) throughout. Every function takes
plain data and returns an ``<svg>`` string; nothing is written to disk here. The
figures are simple (bars, lines, points, grids), so they are written as SVG elements
on a small canvas (:class:`_Canvas`) instead of being drawn by matplotlib: the same
vector output, in milliseconds instead of about a second per figure. Every text that
comes from the data is XML-escaped.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from html import escape

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

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

_PT = 72.0  # points per inch: sizes below are in points
_FONT = 9.0
_BRBG = ["#8c510a", "#d8b365", "#f6e8c3", "#f5f5f5", "#c7eae5", "#5ab4ac", "#01665e"]
_DIVERGING = ["#D55E00", "#f7f7f7", "#0072B2"]  # loadings: negative orange, positive blue


def _size(width: float, height: float) -> tuple[float, float]:
    return min(width, MAX_INCHES), min(height, MAX_INCHES)


def _ramp(stops: Sequence[str], t: float) -> str:
    """The colour at ``t`` in [0, 1] on a linear ramp through ``stops``."""
    t = min(max(float(t), 0.0), 1.0) * (len(stops) - 1)
    k = min(int(t), len(stops) - 2)
    a, b = (np.array([int(s[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
            for s in (stops[k], stops[k + 1]))
    rgb = np.rint(a + (b - a) * (t - k)).astype(int)
    return "#" + "".join(f"{v:02x}" for v in rgb)


def _nice_ticks(low: float, high: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(low / step - 1e-9) * step
    return [round(start + k * step, 10) for k in range(int((high - start) / step + 1e-9) + 1)]


def _label(v: float) -> str:
    return f"{v:g}"


class _Canvas:
    """An SVG canvas with one plotting area: data coordinates in, points out."""

    def __init__(self, width_in: float, height_in: float, *, left: float = 40,
                 right: float = 10, top: float = 12, bottom: float = 32) -> None:
        w, h = _size(width_in, height_in)
        self.w, self.h = w * _PT, h * _PT
        self.x0, self.x1 = left, max(self.w - right, left + 10)
        self.y0, self.y1 = top, max(self.h - bottom, top + 10)
        self.parts: list[str] = []
        self.xlim = self.ylim = (0.0, 1.0)

    # data -> points
    def px(self, x: ArrayLike) -> np.ndarray:
        lo, hi = self.xlim
        return self.x0 + (np.asarray(x, dtype=float) - lo) / (hi - lo or 1) * (self.x1 - self.x0)

    def py(self, y: ArrayLike) -> np.ndarray:
        lo, hi = self.ylim
        return self.y1 - (np.asarray(y, dtype=float) - lo) / (hi - lo or 1) * (self.y1 - self.y0)

    # elements (in points)
    def rect(self, x: float, y: float, w: float, h: float, fill: str,
             stroke: str | None = None, opacity: float = 1.0) -> None:
        extra = f' stroke="{stroke}" stroke-width="0.3"' if stroke else ""
        op = f' fill-opacity="{opacity:g}"' if opacity < 1 else ""
        self.parts.append(f'<rect x="{x:.2f}" y="{y:.2f}" width="{max(w, 0):.2f}" '
                          f'height="{max(h, 0):.2f}" fill="{fill}"{extra}{op}/>')

    def polyline(self, xs: Iterable[float], ys: Iterable[float], stroke: str,
                 width: float = 1.0, opacity: float = 1.0, dash: str | None = None) -> None:
        pts = " ".join(f"{a:.2f},{b:.2f}" for a, b in zip(xs, ys))
        extra = (f' stroke-opacity="{opacity:g}"' if opacity < 1 else "") + \
            (f' stroke-dasharray="{dash}"' if dash else "")
        self.parts.append(f'<polyline points="{pts}" fill="none" stroke="{stroke}" '
                          f'stroke-width="{width:g}"{extra}/>')

    def polygon(self, xs: Iterable[float], ys: Iterable[float], fill: str,
                clip: str | None = None) -> None:
        pts = " ".join(f"{a:.2f},{b:.2f}" for a, b in zip(xs, ys))
        cut = f' clip-path="url(#{clip})"' if clip else ""
        self.parts.append(f'<polygon points="{pts}" fill="{fill}"{cut}/>')

    def circles(self, xs: Iterable[float], ys: Iterable[float], r: float, fill: str) -> None:
        self.parts.extend(f'<circle cx="{a:.2f}" cy="{b:.2f}" r="{r:g}" fill="{fill}"/>'
                          for a, b in zip(xs, ys))

    def squares(self, xs: Iterable[float], ys: Iterable[float], r: float, fill: str) -> None:
        self.parts.extend(f'<rect x="{a - r:.2f}" y="{b - r:.2f}" width="{2 * r:g}" '
                          f'height="{2 * r:g}" fill="{fill}"/>' for a, b in zip(xs, ys))

    def text(self, x: float, y: float, s: str, *, size: float = _FONT, anchor: str = "start",
             rotate: float = 0, baseline: str = "middle") -> None:
        rot = f' transform="rotate({rotate:g} {x:.2f} {y:.2f})"' if rotate else ""
        self.parts.append(f'<text x="{x:.2f}" y="{y:.2f}" font-size="{size:g}" '
                          f'text-anchor="{anchor}" dominant-baseline="{baseline}"{rot}>'
                          f'{escape(str(s))}</text>')

    # axes
    def axes(self, xticks: Sequence[float] | None = None, yticks: Sequence[float] | None = None,
             xlabels: Sequence[str] | None = None, ylabels: Sequence[str] | None = None,
             xlabel: str = "", ylabel: str = "", title: str = "", xrotate: float = 0,
             ytick_size: float = _FONT) -> None:
        line = ('<line x1="{:.2f}" y1="{:.2f}" x2="{:.2f}" y2="{:.2f}" stroke="#333" '
                'stroke-width="0.8"/>')
        self.parts.append(line.format(self.x0, self.y1, self.x1, self.y1))
        self.parts.append(line.format(self.x0, self.y0, self.x0, self.y1))
        if xticks is not None:
            for v, lab in zip(xticks, xlabels or [_label(t) for t in xticks]):
                x = float(self.px(v))
                self.parts.append(line.format(x, self.y1, x, self.y1 + 3))
                if xrotate:
                    self.text(x, self.y1 + 6, lab, anchor="end", rotate=-xrotate,
                              baseline="hanging")
                else:
                    self.text(x, self.y1 + 6, lab, anchor="middle", baseline="hanging")
        if yticks is not None:
            for v, lab in zip(yticks, ylabels or [_label(t) for t in yticks]):
                y = float(self.py(v))
                self.parts.append(line.format(self.x0 - 3, y, self.x0, y))
                self.text(self.x0 - 5, y, lab, anchor="end", size=ytick_size)
        if xlabel:
            self.text((self.x0 + self.x1) / 2, self.h - 4, xlabel, anchor="middle",
                      baseline="auto")
        if ylabel:
            self.text(10, (self.y0 + self.y1) / 2, ylabel, anchor="middle", rotate=-90)
        if title:
            self.text((self.x0 + self.x1) / 2, 8, title, anchor="middle")

    def legend(self, entries: Sequence[tuple[str, str]], x: float, y: float, *,
               size: float = 7, across: int = 1) -> None:
        """Colour swatches with labels, ``across`` per line, from (x, y) in points."""
        step = max((self.x1 - x) / max(across, 1), 30) if across > 1 else 0
        for k, (colour, lab) in enumerate(entries):
            cx = x + (k % across) * step
            cy = y + (k // across) * (size + 4)
            self.rect(cx, cy - size / 2, size, size, colour)
            self.text(cx + size + 3, cy, lab, size=size)

    def svg(self) -> str:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.w:.1f}pt" '
                f'height="{self.h:.1f}pt" viewBox="0 0 {self.w:.1f} {self.h:.1f}" '
                f'font-family="sans-serif">' + "".join(self.parts) + "</svg>")


def _left_margin(labels: Sequence[str], size: float = _FONT) -> float:
    longest = max((len(str(s)) for s in labels), default=0)
    return min(20 + 0.55 * size * longest, 300)


def response_distribution(items: pd.DataFrame, waves: np.ndarray, low: int, high: int,
                          labels: dict[int, str] | None = None) -> str:
    """Stacked horizontal bars: the share of each answer per item and wave."""
    if not 0 < high - low + 1 <= MAX_CATEGORIES:
        raise ValueError(f"a response scale {low}..{high} has {high - low + 1} categories; "
                         f"at most {MAX_CATEGORIES} can be drawn")
    cats = list(range(low, high + 1))
    wave_order = list(dict.fromkeys(waves))
    rows = [(item, w) for item in items.columns for w in wave_order]
    names = [f"{item}  {w}" for item, w in rows]
    legend_lines = math.ceil(len(cats) / 11)
    c = _Canvas(7.5, 0.28 * len(rows) + 0.9, left=_left_margin(names),
                top=10 + 11 * legend_lines)
    shares = np.zeros((len(rows), len(cats)))
    for r, (item, w) in enumerate(rows):
        x = items[item].to_numpy()[waves == w]
        x = x[~np.isnan(x)].astype(int) - low
        if len(x):
            shares[r] = np.bincount(x, minlength=len(cats))[:len(cats)] / len(x)
    c.xlim, c.ylim = (0.0, 1.0), (-0.5, len(rows) - 0.5)
    colours = [_ramp(_BRBG, k / max(len(cats) - 1, 1)) for k in range(len(cats))]
    band = (c.y1 - c.y0) / max(len(rows), 1)
    left = np.zeros(len(rows))
    for k in range(len(cats)):
        for r in range(len(rows)):
            if shares[r, k] > 0:
                y = float(c.py(len(rows) - 1 - r)) - 0.4 * band
                c.rect(float(c.px(left[r])), y, float(c.px(left[r] + shares[r, k]) - c.px(left[r])),
                       0.8 * band, colours[k], stroke="white")
        left += shares[:, k]
    ticks = list(range(len(rows)))
    c.axes(xticks=_nice_ticks(0, 1), xlabel="share of answers", yticks=ticks,
           ylabels=names[::-1], ytick_size=min(_FONT, max(band * 0.9, 2)))
    c.legend([(colours[k], (labels or {}).get(v, str(v))) for k, v in enumerate(cats)],
             c.x0, 8, across=min(len(cats), 11))
    return c.svg()


def scree(eigenvalues: ArrayLike, random_95: ArrayLike, n_factors: int) -> str:
    """Parallel analysis: observed eigenvalues against the random 95th percentile."""
    ev, rnd = np.asarray(eigenvalues, float), np.asarray(random_95, float)
    k = np.arange(1, len(ev) + 1)
    c = _Canvas(5.5, 3, left=40, top=18)
    top = float(np.nanmax(np.r_[ev, rnd, 1.0]))
    c.xlim, c.ylim = (0.5, len(ev) + 0.5), (0.0, top * 1.05)
    c.polyline(c.px(k), c.py(ev), OKABE_ITO[4], 1.2)
    c.circles(c.px(k), c.py(ev), 2, OKABE_ITO[4])
    c.polyline(c.px(k), c.py(rnd), OKABE_ITO[5], 1.2, dash="4,2")
    c.squares(c.px(k), c.py(rnd), 2, OKABE_ITO[5])
    x = float(c.px(n_factors + 0.5))
    c.polyline([x, x], [c.y0, c.y1], "grey", 0.8, dash="1,2")
    c.axes(xticks=[int(v) for v in _nice_ticks(1, len(ev), 6) if float(v).is_integer()],
           yticks=_nice_ticks(0, top), xlabel="component", ylabel="eigenvalue",
           title=f"parallel analysis suggests {n_factors} factor(s)")
    c.legend([(OKABE_ITO[4], "observed"), (OKABE_ITO[5], "random data, 95th percentile")],
             c.x1 - 150, c.y0 + 8)
    return c.svg()


def loadings_heatmap(loadings: pd.DataFrame) -> str:
    """Pattern loadings as a heat map (blue positive, orange negative)."""
    values = loadings.to_numpy(dtype=float)
    n_rows, n_cols = values.shape
    c = _Canvas(0.5 * n_cols + 2.5, 0.2 * n_rows + 1,
                left=_left_margin([str(i) for i in loadings.index], 6), right=60, bottom=26)
    c.xlim, c.ylim = (-0.5, n_cols - 0.5), (n_rows - 0.5, -0.5)
    cw = (c.x1 - c.x0) / max(n_cols, 1)
    ch = (c.y1 - c.y0) / max(n_rows, 1)
    fs = min(5.0, ch * 0.8)
    for (i, j), v in np.ndenumerate(values):
        fill = "#ffffff" if not math.isfinite(v) else _ramp(_DIVERGING, (v + 1) / 2)
        c.rect(c.x0 + j * cw, c.y0 + i * ch, cw, ch, fill)
        if math.isfinite(v) and abs(v) >= 0.3:
            c.text(c.x0 + (j + 0.5) * cw, c.y0 + (i + 0.5) * ch,
                   f"{v:.2f}".replace("0.", "."), size=fs, anchor="middle")
    c.axes(xticks=list(range(n_cols)), xlabels=[str(s) for s in loadings.columns],
           yticks=list(range(n_rows)), ylabels=[str(s) for s in loadings.index],
           ytick_size=min(6.0, ch * 0.9))
    for k in range(21):  # the colour bar: -1 .. 1
        v = 1 - k / 10
        c.rect(c.x1 + 15, c.y0 + k * (c.y1 - c.y0) / 21, 8, (c.y1 - c.y0) / 21 + 0.5,
               _ramp(_DIVERGING, (v + 1) / 2))
    c.text(c.x1 + 26, c.y0 + 3, "1", size=6)
    c.text(c.x1 + 26, c.y1 - 3, "-1", size=6)
    c.text(c.x1 + 26, (c.y0 + c.y1) / 2, "loading", size=6)
    return c.svg()


def subset(n: int, limit: int = MAX_DRAWN, seed: int = 0) -> np.ndarray:
    """Positions of at most ``limit`` of ``n`` persons (all of them when n <= limit)."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def spaghetti(wide: pd.DataFrame, low: float, high: float) -> str:
    """Scale scores across waves (at most MAX_DRAWN persons drawn), with the means
    of all persons."""
    c = _Canvas(4, 3, left=40)
    x = np.arange(wide.shape[1])
    c.xlim, c.ylim = (-0.3, max(wide.shape[1] - 1, 1) + 0.3), (low, high)
    values = wide.to_numpy(dtype=float)[subset(len(wide))]
    px = c.px(x)
    for row in values:
        ok = ~np.isnan(row)
        if ok.sum() >= 2:
            c.polyline(px[ok], c.py(row[ok]), "#999999", 0.7, opacity=0.35)
    means = wide.mean().to_numpy(dtype=float)
    ok = ~np.isnan(means)
    c.polyline(px[ok], c.py(means[ok]), OKABE_ITO[4], 2.2)
    c.circles(px[ok], c.py(means[ok]), 3, OKABE_ITO[4])
    c.axes(xticks=list(x), xlabels=[str(w) for w in wide.columns],
           yticks=_nice_ticks(low, high), ylabel="scale score")
    c.legend([(OKABE_ITO[4], "mean (all)")], c.x1 - 60, c.y1 - 10)
    return c.svg()


def jacobson_truax(before: np.ndarray, after: np.ndarray, classes: np.ndarray,
                   band: float, low: float, high: float, labels: tuple[str, str]) -> str:
    """Baseline against follow-up with the no-change line and the reliable-change band."""
    c = _Canvas(4, 4, left=40, bottom=32)
    side = min(c.x1 - c.x0, c.y1 - c.y0)  # equal aspect
    c.x1, c.y0 = c.x0 + side, c.y1 - side
    c.xlim = c.ylim = (low, high)
    line = np.array([low, high], dtype=float)
    # the band is cut at the plotting area; the clip's id is the same in every run (a
    # report of the same data is the same file) and differs between figures of other data
    digest = hashlib.sha1(np.asarray(before, float).tobytes() + np.asarray(after, float).tobytes()
                          + repr((band, low, high, labels)).encode(), usedforsecurity=False)
    clip = f"jt{digest.hexdigest()[:12]}"
    c.parts.append(f'<clipPath id="{clip}"><rect x="{c.x0:.2f}" y="{c.y0:.2f}" '
                   f'width="{side:.2f}" height="{side:.2f}"/></clipPath>')
    c.polygon(np.r_[c.px(line), c.px(line[::-1])],
              np.r_[c.py(line + band), c.py(line[::-1] - band)], "#DDDDDD", clip=clip)
    c.polyline(c.px(line), c.py(line), "grey", 0.8)
    keep = subset(len(before), limit=10 * MAX_DRAWN)
    before, after, classes = (np.asarray(before, float)[keep], np.asarray(after, float)[keep],
                              np.asarray(classes)[keep])
    for cls, colour in CLASS_COLOURS.items():
        sel = (classes == cls) & ~np.isnan(before) & ~np.isnan(after)
        c.circles(c.px(before[sel]), c.py(after[sel]), 2, colour)
    ticks = _nice_ticks(low, high)
    c.axes(xticks=ticks, yticks=ticks, xlabel=str(labels[0]), ylabel=str(labels[1]))
    c.legend([("#DDDDDD", "no reliable change"),
              *((colour, cls) for cls, colour in CLASS_COLOURS.items())], c.x0 + 6, c.y0 + 6)
    return c.svg()


def multi_layer(classes: pd.DataFrame, scales: list[str], names: list[str]) -> str:
    """Persons (rows) by scales (columns), coloured by reliable-change class; rows
    sorted by the number of scales improved, then by their pattern of classes, so that
    persons with the same pattern are one band. A column's run of equal cells is one
    ``<rect>``: the figure's size follows the number of patterns, not of persons (at
    N = 20,000 it was 20,000 rects and 1.4 MB of the report)."""
    grid = classes.pivot(index="id", columns="scale", values="rci_class").reindex(columns=scales)
    values = grid.to_numpy(dtype=object)
    order = list(CLASS_COLOURS)  # improved, unchanged, deteriorated; unknown last
    codes = np.full(values.shape, len(order), dtype=int)
    for k, cls in enumerate(order):
        codes[values == cls] = k
    improved = (codes == 0).sum(axis=1)
    keys = [codes[:, j] for j in reversed(range(codes.shape[1]))]  # lexsort: last key first
    rows = np.lexsort((*keys, -improved)) if len(codes) else np.arange(0)
    codes = codes[rows]
    n, ncol = codes.shape
    c = _Canvas(0.55 * len(scales) + 2.2, 0.06 * n + 1.6, left=30, right=90,
                bottom=min(20 + 4.5 * max((len(t) for t in names), default=0), 200))
    c.xlim, c.ylim = (-0.5, len(scales) - 0.5), (n - 0.5, -0.5)
    cw = (c.x1 - c.x0) / max(ncol, 1)
    ch = (c.y1 - c.y0) / max(n, 1)
    colours = list(CLASS_COLOURS.values())
    for j in range(ncol):
        col = codes[:, j]
        starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]]) if n else np.arange(0)
        ends = np.r_[starts[1:], n]
        for a, b in zip(starts.tolist(), ends.tolist()):
            if col[a] < len(colours):
                c.rect(c.x0 + j * cw, c.y0 + a * ch, cw, (b - a) * ch + 0.2, colours[col[a]])
    c.axes(xticks=list(range(len(scales))), xlabels=[str(t) for t in names], xrotate=40,
           ylabel=f"persons (n = {n}), most scales improved at the top")
    c.legend([(colour, cls) for cls, colour in CLASS_COLOURS.items()], c.x1 + 8, c.y0 + 6)
    return c.svg()


def count_distribution(distribution: dict[str, int], what: str) -> str:
    """Bar chart: how many persons improved reliably on 0, 1, 2, ... scales."""
    c = _Canvas(4, 2.6, left=40)
    k = [int(x) for x in distribution]
    n = [int(v) for v in distribution.values()]
    c.xlim = (min(k, default=0) - 0.6, max(k, default=0) + 0.6)
    top = max(n, default=0) or 1
    c.ylim = (0, top * 1.05)
    width = float(c.px(0.8) - c.px(0))
    for a, b in zip(k, n):
        c.rect(float(c.px(a)) - width / 2, float(c.py(b)), width,
               float(c.py(0) - c.py(b)), OKABE_ITO[2])
    c.axes(xticks=k, yticks=[t for t in _nice_ticks(0, top) if float(t).is_integer()],
           xlabel=f"number of {what} with reliable improvement", ylabel="persons")
    return c.svg()
