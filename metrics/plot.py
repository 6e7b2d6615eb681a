"""A recorded run as one PNG: small multiples grouped by stage, phases shaded.

For people who would rather look than read the report: every recorded metric
gets a small panel, in the order of the failure chain (the stages of
:mod:`metrics.stages`), with the report's phases shaded on every panel so the
cascade lines up by eye. Gauges are drawn as they are; counters as their
rate per virtual minute (a cumulative total hides the moment things went
wrong); histograms as the mean of the observations in each interval.

matplotlib is imported only when a plot is asked for: its import takes about a
second, which a run without plots should not pay.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metrics.files import atomic_write
from metrics.recorder import Sample
from metrics.schema import METRICS, HistogramSnapshot, MetricSpec
from metrics.stages import by_stage, stage_title

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_available", "series_for_plot", "write_plot"]

_PHASE_COLOURS = ("tab:red", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:olive")
_COLUMNS = 3
# Inches: a panel's share of the figure, and the room around and between panels for their
# titles (8 pt), axis labels and tick labels (7 pt).
_PANEL_WIDTH_IN, _PANEL_HEIGHT_IN = 5.2, 2.4
_LEFT_IN, _RIGHT_IN, _TOP_IN, _BOTTOM_IN = 0.6, 0.15, 0.95, 0.45
_TITLE_IN = 0.3  # the figure's title, from its top edge
_COLUMN_GAP_IN, _ROW_GAP_IN = 0.75, 0.5


def plot_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _raw(spec: MetricSpec, samples: Sequence[Sample]) -> dict[str, list[tuple[float, float]]]:
    """Per series label: (t, value); histograms as (t, count, sum) folded into two series."""
    lines: dict[str, list[tuple[float, float]]] = {}
    for t, snapshot in samples:
        value = snapshot.get(spec.name)
        if value is None:
            continue
        if isinstance(value, HistogramSnapshot):
            lines.setdefault("count", []).append((t, float(value.count)))
            lines.setdefault("sum", []).append((t, value.sum))
        elif isinstance(value, dict):
            for labels, number in value.items():
                lines.setdefault(" ".join(labels), []).append((t, number))
        else:
            lines.setdefault("", []).append((t, value))
    return lines


def _per_minute(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(t1, (v1 - v0) * 60.0 / (t1 - t0)) for (t0, v0), (t1, v1) in itertools.pairwise(points) if t1 > t0]


def series_for_plot(spec: MetricSpec, samples: Sequence[Sample]) -> tuple[str, dict[str, list[tuple[float, float]]]]:
    """What a panel shows for ``spec``: its y-axis label and its lines."""
    lines = _raw(spec, samples)
    if spec.kind == "counter":
        times = [t for t, _ in samples]
        for points in lines.values():
            # A labelled counter appears when it first counts: it was 0 one sample before.
            index = times.index(points[0][0])
            if index > 0:
                points.insert(0, (times[index - 1], 0.0))
        return "per virtual minute", {label: _per_minute(points) for label, points in lines.items()}
    if spec.kind == "histogram":
        count, total = lines.get("count", []), lines.get("sum", [])
        observed = [(t, c, s) for (t, c), (_, s) in zip(count, total, strict=True)]
        mean = [(t1, (s1 - s0) / (c1 - c0)) for (_, c0, s0), (t1, c1, s1) in itertools.pairwise(observed) if c1 > c0]
        return f"mean ({spec.unit})", {"mean": mean}
    return spec.unit if spec.unit not in ("short", "none") else "", lines


def write_plot(
    samples: Sequence[Sample],
    phases: Sequence[dict[str, Any]],
    path: Path,
    *,
    specs: Sequence[MetricSpec] = METRICS,
    title: str = "outage-emulator run",
) -> None:
    """Draw every spec that has recorded data; shade ``phases`` (the report's)."""
    # The figure alone, not pyplot: no backend or figure manager to set up (half a second of import).
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    panels = [(spec, *series_for_plot(spec, samples)) for _, group in by_stage(specs) for spec in group]
    panels = [panel for panel in panels if any(panel[2].values())]
    rows = max(1, -(-len(panels) // _COLUMNS))
    figure = Figure(figsize=(_PANEL_WIDTH_IN * _COLUMNS, _PANEL_HEIGHT_IN * rows))
    axes = figure.subplots(rows, _COLUMNS, squeeze=False)
    end = samples[-1][0] if samples else 0.0
    names = sorted({phase["name"] for phase in phases})
    colour = {name: _PHASE_COLOURS[index % len(_PHASE_COLOURS)] for index, name in enumerate(names)}
    for axis, (spec, ylabel, lines) in zip(axes.flat, panels, strict=False):
        for phase in phases:
            stop = end if phase["end"] is None else phase["end"]
            axis.axvspan(phase["start"] / 3600, stop / 3600, color=colour[phase["name"]], alpha=0.15, linewidth=0)
        for label, points in sorted(lines.items()):
            if points:
                axis.plot([t / 3600 for t, _ in points], [v for _, v in points], linewidth=1.1, label=label or None)
        axis.set_title(f"{stage_title(spec.stage)} · {spec.name}", fontsize=8, loc="left")
        axis.set_ylabel(ylabel, fontsize=7)
        axis.tick_params(labelsize=7)
        axis.grid(alpha=0.3)
        if any(lines) and len(lines) > 1:
            axis.legend(fontsize=6, loc="upper right")
        axis.set_xlim(0, max(end, 1.0) / 3600)
    for axis in list(axes.flat)[len(panels) :]:
        axis.set_visible(False)
    for axis in list(axes.flat)[max(0, len(panels) - _COLUMNS) : len(panels)]:
        axis.set_xlabel("virtual hours since start", fontsize=7)
    handles = [Patch(color=colour[name], alpha=0.3, label=name) for name in names]
    if handles:
        figure.legend(handles=handles, loc="upper right", fontsize=8, title="phases")
    figure.suptitle(title, fontsize=11, x=0.01, y=1 - _TITLE_IN / figure.get_size_inches()[1], ha="left")
    _set_margins(figure, rows, legend=bool(handles))
    atomic_write(path, lambda stream: figure.savefig(stream, format=path.suffix.lstrip(".").lower() or "png", dpi=90))


def _set_margins(figure: Figure, rows: int, *, legend: bool) -> None:
    """Fixed margins in inches, the same for every panel: the fonts are fixed, so the room is too.

    ``tight_layout`` would measure every label by drawing the whole figure
    once more: with thirty-odd panels that was 4 s, most of the plot's time.
    """
    width, height = figure.get_size_inches()
    right = width * (0.9 if legend else 1.0) - _RIGHT_IN  # the phases' legend sits in the last tenth
    axis_width = (right - _LEFT_IN - (_COLUMNS - 1) * _COLUMN_GAP_IN) / _COLUMNS
    axis_height = (height - _TOP_IN - _BOTTOM_IN - (rows - 1) * _ROW_GAP_IN) / rows
    figure.subplots_adjust(
        left=_LEFT_IN / width,
        right=right / width,
        top=1 - _TOP_IN / height,
        bottom=_BOTTOM_IN / height,
        wspace=_COLUMN_GAP_IN / axis_width,
        hspace=_ROW_GAP_IN / axis_height,
    )
