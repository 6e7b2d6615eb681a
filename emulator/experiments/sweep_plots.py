"""Plots of a sweep summary (matplotlib, PNG, no display needed).

One PNG per outcome. A 1-D grid gives a line of the mean (numeric) or rate
(boolean) against the grid values with its 95% band, plus p50/p95 for
numeric outcomes. Two or more grid keys (each with several values) give
heatmaps over the first two, one panel per combination of the others, all on
one colour scale so that the panels compare at a glance (the metastability map's "with and without
throttling" side by side).

Colour scales are anchored where the outcome's meaning is: rates and
fractions on 0..1, counts and durations from 0, so a pale cell is small in
absolute terms, not merely the smallest of the sweep. Each cell prints its
value, 95% interval and n, since three seeds and thirty look alike in colour.
A log-spaced numeric grid (``2,4,...,128``, ``0,1e-5,...,3e-4``) gets a log
x axis on a line plot (symlog when it holds 0); heatmap cells are one per
value, so there the axis is marked log-spaced. Figures are built with the object API
(:class:`matplotlib.figure.Figure`), never pyplot: no global state, no
display backend, safe in any process.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from emulator.experiments.sweep_summary import charted_outcomes, value_and_band
from metrics.files import atomic_write

__all__ = ["MAX_PANELS", "colour_range", "heatmap_figure", "line_figure", "log_spaced", "plot_summary"]

MAX_PANELS = 12


def _numeric_axis(values: list[str]) -> list[float] | None:
    try:
        return [float(value) for value in values]
    except ValueError:
        return None


def log_spaced(values: list[float]) -> bool:
    """A grid meant on a log scale: positive values spanning 10x or more, far more even in log than linearly.

    ``2,4,...,128`` and ``1000,2500,5000,10000`` are; ``0.1,0.2,...,1.0`` (steps
    a little uneven either way) and ``60,120,300`` (a 5x span) are not.
    """
    positive = sorted(value for value in values if value > 0)
    if len(positive) < 3 or positive[0] * 10 > positive[-1] or any(value < 0 for value in values):
        return False

    def spread(points: list[float]) -> float:
        gaps = [b - a for a, b in itertools.pairwise(points)]
        mean = sum(gaps) / len(gaps)
        return math.sqrt(sum((gap - mean) ** 2 for gap in gaps) / len(gaps)) / mean if mean else math.inf

    return spread([math.log(value) for value in positive]) < 0.5 * spread(positive)


def colour_range(kind: str, outcome: str, finite: list[float]) -> tuple[float, float]:
    """The outcome's natural range: 0..1 for rates and fractions, from 0 for what cannot be negative."""
    if kind == "boolean" or (outcome.endswith("_fraction") and all(0 <= value <= 1 for value in finite)):
        return 0.0, 1.0
    low = min(0.0, min(finite, default=0.0))
    high = max(finite, default=1.0)
    return low, high if high > low else low + 1.0


def _cell_text(stats: dict[str, Any], kind: str) -> str:
    """``0.4`` / ``[0.17,0.69]`` / ``n=10``: the value, its 95% interval and its n."""
    centre, low, high = value_and_band(stats, kind)
    if math.isnan(centre):
        return f"-\nn={stats.get('n', 0)}"
    return f"{_short(centre)}\n[{_short(low)},{_short(high)}]\nn={stats['n']}"


def _short(value: float) -> str:
    """Three digits, and no exponent a cell has no room for: ``0.17``, ``104``, ``2.35k``, ``1.2M``."""
    for suffix, size in (("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}" if abs(value) >= 0.01 or value == 0 else f"{value:.1e}"


def _label(kind: str, outcome: str) -> str:
    return f"rate of {outcome} (95% Wilson CI)" if kind == "boolean" else f"{outcome} (mean, 95% CI)"


def _varying_axes(summary: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The grid axes with more than one value (a single-value axis is a setting, not a dimension)."""
    grid: list[tuple[str, list[str]]] = [(key, values) for key, values in summary["parameters"]["grid"]]
    varying = [(key, values) for key, values in grid if len(values) > 1]
    return varying or grid[:1]


def line_figure(summary: dict[str, Any], outcome: str, kind: str) -> Figure:
    key = _varying_axes(summary)[0][0]
    labels = [point["grid"][key] for point in summary["points"]]
    stats = [point[kind][outcome] for point in summary["points"]]
    numeric_x = _numeric_axis(labels)
    xs = numeric_x if numeric_x is not None else list(range(len(labels)))
    order = sorted(range(len(xs)), key=lambda index: xs[index])
    xs = [xs[index] for index in order]
    stats = [stats[index] for index in order]
    centre, low, high = zip(*(value_and_band(entry, kind) for entry in stats), strict=True)
    figure = Figure(figsize=(6.4, 4.2), layout="constrained")
    axes = figure.add_subplot()
    axes.fill_between(xs, low, high, alpha=0.25, label="95% CI")
    axes.plot(xs, centre, marker="o", label="rate" if kind == "boolean" else "mean")
    if kind == "numeric":
        axes.plot(xs, [entry.get("p50", math.nan) for entry in stats], linestyle="--", label="p50")
        axes.plot(xs, [entry.get("p95", math.nan) for entry in stats], linestyle=":", label="p95")
    if kind == "boolean":
        axes.set_ylim(-0.03, 1.03)
    if numeric_x is None:
        axes.set_xticks(xs, [labels[index] for index in order], rotation=20, ha="right")
    elif log_spaced(xs):
        if xs[0] > 0:
            axes.set_xscale("log")
        else:  # a 0 among log-spaced values: linear up to the smallest positive one
            axes.set_xscale("symlog", linthresh=min(x for x in xs if x > 0))
    axes.set_xlabel(key)
    axes.set_ylabel(_label(kind, outcome))
    runs = sum(point["runs"] - point["failed"] for point in summary["points"])
    axes.set_title(f"{outcome} vs {key} ({runs} runs)", fontsize=10)
    axes.legend(fontsize=8)
    return figure


def heatmap_figure(summary: dict[str, Any], outcome: str, kind: str) -> Figure | None:
    """Heatmaps over the first two varying axes, a panel per value of the rest; None if too many panels."""
    grid = _varying_axes(summary)
    (x_key, x_values), (y_key, y_values) = grid[0], grid[1]
    facets = list(itertools.product(*(values for _, values in grid[2:])))
    if len(facets) > MAX_PANELS:
        return None
    lookup = {tuple(point["grid"][key] for key, _ in grid): point[kind][outcome] for point in summary["points"]}
    panels = []
    for facet in facets:
        matrix = [[value_and_band(lookup[(x, y, *facet)], kind)[0] for x in x_values] for y in y_values]
        panels.append(matrix)
    finite = [value for matrix in panels for row in matrix for value in row if not math.isnan(value)]
    low, high = colour_range(kind, outcome, finite)
    figure = Figure(figsize=(1.2 + 4.6 * len(facets), 4.4), layout="constrained")
    axes_list = figure.subplots(1, len(facets), squeeze=False)[0]
    image = None
    for axes, facet, matrix in zip(axes_list, facets, panels, strict=True):
        image = axes.imshow(matrix, origin="lower", aspect="auto", vmin=low, vmax=high)
        axes.set_xticks(range(len(x_values)), x_values, rotation=20, ha="right", fontsize=8)
        axes.set_yticks(range(len(y_values)), y_values, fontsize=8)
        axes.set_xlabel(_axis_label(x_key, x_values))
        axes.set_ylabel(_axis_label(y_key, y_values))
        for row_index, col_index in itertools.product(range(len(y_values)), range(len(x_values))):
            value = matrix[row_index][col_index]
            text = _cell_text(lookup[(x_values[col_index], y_values[row_index], *facet)], kind)
            # Dark text on the bright end of viridis, light text on the dark end.
            bright = not math.isnan(value) and (value - low) / (high - low) > 0.6
            axes.text(
                col_index, row_index, text, ha="center", va="center", fontsize=7, color="black" if bright else "white"
            )
        title = ", ".join(f"{key}={value}" for (key, _), value in zip(grid[2:], facet, strict=True))
        axes.set_title(title, fontsize=9)
    assert image is not None
    figure.colorbar(image, ax=list(axes_list), label="rate" if kind == "boolean" else "mean")
    what = "rate, 95% Wilson CI" if kind == "boolean" else "mean, 95% CI"
    figure.suptitle(f"{outcome} ({what} and n per grid point)", fontsize=10)
    return figure


def _axis_label(key: str, values: list[str]) -> str:
    numeric = _numeric_axis(values)
    return f"{key} (log-spaced)" if numeric is not None and log_spaced(numeric) else key


def _save(figure: Figure, path: Path) -> None:
    """Through the shared writer: atomic, and a full disk is an ``OutputError``, not a torn PNG."""
    atomic_write(path, lambda stream: figure.savefig(stream, format="png", dpi=100))


def plot_summary(summary: dict[str, Any], folder: Path, outcomes: tuple[str, ...] = ()) -> list[Path]:
    """Write one PNG per charted outcome (:func:`charted_outcomes`) into ``folder``; return their paths."""
    kinds: dict[str, str] = summary["outcomes"]
    chosen = charted_outcomes(summary, outcomes)
    dimensions = len(_varying_axes(summary))
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for outcome in chosen:
        path = folder / f"{outcome}.png"
        figure = (
            line_figure(summary, outcome, kinds[outcome])
            if dimensions == 1
            else heatmap_figure(summary, outcome, kinds[outcome])
        )
        if figure is None:
            continue
        _save(figure, path)
        written.append(path)
    return written
