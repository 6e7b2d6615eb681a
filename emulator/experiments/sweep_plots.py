"""Plots of a sweep summary (matplotlib, PNG, no display needed).

One PNG per outcome. A 1-D grid gives a line of the mean (numeric) or rate
(boolean) against the grid values with its 95% band, plus p50/p95 for
numeric outcomes. Two or more grid keys (each with several values) give
heatmaps over the first two, one panel per combination of the others, all on
one colour scale so that the panels compare at a glance (the metastability map's "with and without
throttling" side by side). Figures are built with the object API
(:class:`matplotlib.figure.Figure`), never pyplot: no global state, no
display backend, safe in any process.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from metrics.files import atomic_write

__all__ = ["MAX_PANELS", "plot_summary"]

MAX_PANELS = 12


def _value_and_band(stats: dict[str, Any], kind: str) -> tuple[float, float, float]:
    """Mean or rate with its 95% interval; NaN where the point has no value."""
    if kind == "boolean":
        if stats["rate"] is None:
            return math.nan, math.nan, math.nan
        return stats["rate"], stats["ci95"][0], stats["ci95"][1]
    if "mean" not in stats:
        return math.nan, math.nan, math.nan
    return stats["mean"], stats["mean_ci95"][0], stats["mean_ci95"][1]


def _numeric_axis(values: list[str]) -> list[float] | None:
    try:
        return [float(value) for value in values]
    except ValueError:
        return None


def _label(kind: str, outcome: str) -> str:
    return f"rate of {outcome} (95% Wilson CI)" if kind == "boolean" else f"{outcome} (mean, 95% CI)"


def _varying_axes(summary: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The grid axes with more than one value (a single-value axis is a setting, not a dimension)."""
    grid: list[tuple[str, list[str]]] = [(key, values) for key, values in summary["parameters"]["grid"]]
    varying = [(key, values) for key, values in grid if len(values) > 1]
    return varying or grid[:1]


def _line_plot(summary: dict[str, Any], outcome: str, kind: str, path: Path) -> None:
    key = _varying_axes(summary)[0][0]
    labels = [point["grid"][key] for point in summary["points"]]
    stats = [point[kind][outcome] for point in summary["points"]]
    numeric_x = _numeric_axis(labels)
    xs = numeric_x if numeric_x is not None else list(range(len(labels)))
    order = sorted(range(len(xs)), key=lambda index: xs[index])
    xs = [xs[index] for index in order]
    stats = [stats[index] for index in order]
    centre, low, high = zip(*(_value_and_band(entry, kind) for entry in stats), strict=True)
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
    axes.set_xlabel(key)
    axes.set_ylabel(_label(kind, outcome))
    runs = sum(point["runs"] - point["failed"] for point in summary["points"])
    axes.set_title(f"{outcome} vs {key} ({runs} runs)", fontsize=10)
    axes.legend(fontsize=8)
    _save(figure, path)


def _heatmaps(summary: dict[str, Any], outcome: str, kind: str, path: Path) -> bool:
    grid = _varying_axes(summary)
    (x_key, x_values), (y_key, y_values) = grid[0], grid[1]
    facets = list(itertools.product(*(values for _, values in grid[2:])))
    if len(facets) > MAX_PANELS:
        return False
    lookup = {tuple(point["grid"][key] for key, _ in grid): point[kind][outcome] for point in summary["points"]}
    panels = []
    for facet in facets:
        matrix = [[_value_and_band(lookup[(x, y, *facet)], kind)[0] for x in x_values] for y in y_values]
        panels.append(matrix)
    finite = [value for matrix in panels for row in matrix for value in row if not math.isnan(value)]
    low, high = (0.0, 1.0) if kind == "boolean" else (min(finite, default=0.0), max(finite, default=1.0))
    figure = Figure(figsize=(1.2 + 4.6 * len(facets), 4.4), layout="constrained")
    axes_list = figure.subplots(1, len(facets), squeeze=False)[0]
    image = None
    for axes, facet, matrix in zip(axes_list, facets, panels, strict=True):
        image = axes.imshow(matrix, origin="lower", aspect="auto", vmin=low, vmax=high if high > low else low + 1)
        axes.set_xticks(range(len(x_values)), x_values, rotation=20, ha="right", fontsize=8)
        axes.set_yticks(range(len(y_values)), y_values, fontsize=8)
        axes.set_xlabel(x_key)
        axes.set_ylabel(y_key)
        for row_index, col_index in itertools.product(range(len(y_values)), range(len(x_values))):
            value = matrix[row_index][col_index]
            text = "-" if math.isnan(value) else f"{value:.3g}"
            # Dark text on the bright end of viridis, light text on the dark end.
            bright = not math.isnan(value) and high > low and (value - low) / (high - low) > 0.6
            axes.text(
                col_index, row_index, text, ha="center", va="center", fontsize=8, color="black" if bright else "white"
            )
        title = ", ".join(f"{key}={value}" for (key, _), value in zip(grid[2:], facet, strict=True))
        axes.set_title(title, fontsize=9)
    assert image is not None
    figure.colorbar(image, ax=list(axes_list), label="rate" if kind == "boolean" else "mean")
    figure.suptitle(f"{outcome} ({'rate' if kind == 'boolean' else 'mean'} per grid point)", fontsize=10)
    _save(figure, path)
    return True


def _save(figure: Figure, path: Path) -> None:
    """Through the shared writer: atomic, and a full disk is an ``OutputError``, not a torn PNG."""
    atomic_write(path, lambda stream: figure.savefig(stream, format="png", dpi=100))


def _varies(summary: dict[str, Any], outcome: str, kind: str) -> bool:
    values = {_value_and_band(point[kind][outcome], kind) for point in summary["points"]}
    return len(values) > 1


def plot_summary(summary: dict[str, Any], folder: Path, outcomes: tuple[str, ...] = ()) -> list[Path]:
    """Write one PNG per outcome into ``folder``; return their paths.

    ``outcomes`` restricts the plots (a study names the ones it is about);
    otherwise every outcome that differs somewhere across the grid gets one
    (constant ones, e.g. always 0, would only add noise).
    """
    kinds: dict[str, str] = summary["outcomes"]
    chosen = (
        [name for name in outcomes if name in kinds]
        if outcomes
        else [name for name, kind in kinds.items() if _varies(summary, name, kind)]
    )
    dimensions = len(_varying_axes(summary))
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for outcome in chosen:
        path = folder / f"{outcome}.png"
        if dimensions == 1:
            _line_plot(summary, outcome, kinds[outcome], path)
        elif not _heatmaps(summary, outcome, kinds[outcome], path):
            continue
        written.append(path)
    return written
