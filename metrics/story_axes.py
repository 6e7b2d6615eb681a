"""The story plot's frame: the PDT clock, AWS's milestones and the phase lanes.

The reader of the story plot has read AWS's post-event summary, which speaks
in PDT clock times, so the shared x axis is a PDT clock: the emulated clock
is anchored on the first DynamoDB error, as AWS's timeline is. AWS's
milestones are drawn at *AWS's* time (not at ours), as numbered dashed lines
through every panel, so the gap between theirs and ours is what the eye
sees; our own events never use dashed vertical lines. The phases get one
lane each, like a Gantt chart, since in the incident they overlap and
translucent shades laid over each other cannot be told apart.

What ties virtual time to PDT lives in ``emulator.world.aws_timeline``,
above this layer: the caller hands it in as a :class:`Story`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "PHASE_TITLES",
    "AwsMark",
    "PdtClock",
    "Story",
    "aws_times",
    "draw_aws_key",
    "draw_aws_lines",
    "draw_phase_lanes",
    "set_time_axis",
]

PHASE_TITLES = {
    "dns_outage": "DNS outage",
    "dwfm_collapse": "DWFM collapse",
    "network_backlog": "Network backlog",
    "nlb_flapping": "NLB flapping",
}
PHASE_COLOURS = {
    "dns_outage": "tab:red",
    "dwfm_collapse": "tab:orange",
    "network_backlog": "tab:purple",
    "nlb_flapping": "tab:cyan",
}
AWS_COLOUR = "0.25"
_DAY = 86400.0


@attrs.frozen
class PdtClock:
    """Virtual time ``anchor_t`` is ``anchor_pdt_s`` seconds past midnight, PDT."""

    anchor_t: float
    anchor_pdt_s: float
    date: str = ""  # said once in the axis label, e.g. "19-20 October 2025"

    def virtual(self, after_anchor_s: float) -> float:
        """The virtual time that stands for ``after_anchor_s`` seconds after the anchor."""
        return self.anchor_t + after_anchor_s

    def hhmm(self, t: float) -> str:
        seconds = round(self.anchor_pdt_s + t - self.anchor_t) % int(_DAY)
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


@attrs.frozen
class AwsMark:
    """One of AWS's milestones: seconds after AWS's anchor, its PDT time and what happened."""

    after_anchor_s: float
    pdt: str
    what: str


@attrs.frozen
class Story:
    """What the plot needs of AWS's timeline; no clock when the run had no DynamoDB error to anchor on."""

    clock: PdtClock | None
    milestones: tuple[AwsMark, ...] = ()
    aws_phases: dict[str, tuple[float, float]] = attrs.field(factory=dict)  # seconds after the anchor


def _tick_step(span_s: float) -> float:
    for step in (900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0):
        if span_s / step <= 18:
            return step
    return _DAY * math.ceil(span_s / _DAY / 18)


def set_time_axis(axis: Axes, story: Story, end: float) -> None:
    """Ticks on whole PDT hours (or virtual hours, unanchored), labelled HH:MM PDT."""
    from matplotlib.ticker import FixedLocator, FuncFormatter

    step = _tick_step(end)
    clock = story.clock
    if clock is None:
        ticks = [index * step for index in range(int(end // step) + 1)]
        axis.xaxis.set_major_locator(FixedLocator(ticks))
        axis.xaxis.set_major_formatter(FuncFormatter(lambda t, _: f"{t / 3600:g} h"))
        axis.set_xlabel("virtual hours since start (no DynamoDB error to anchor AWS's PDT clock on)", fontsize=8)
        return
    start = clock.anchor_pdt_s - clock.anchor_t  # the run's first instant, in PDT seconds
    first = math.ceil(start / step) * step
    ticks = [first - start + index * step for index in range(int((start + end - first) // step) + 1)]
    axis.xaxis.set_major_locator(FixedLocator(ticks))
    axis.xaxis.set_major_formatter(FuncFormatter(lambda t, _: clock.hhmm(t)))
    hhmm = clock.hhmm(clock.anchor_t)
    date = f", {clock.date}" if clock.date else ""
    axis.set_xlabel(
        f"PDT{date} (HH:MM; the emulated clock is anchored on its first DynamoDB error = {hhmm}, as AWS's timeline is)",
        fontsize=8,
    )


def aws_times(story: Story) -> list[tuple[int, float, AwsMark]]:
    """Each AWS milestone numbered from 1, at the virtual time of AWS's own clock time."""
    if story.clock is None:
        return []
    return [(number, story.clock.virtual(m.after_anchor_s), m) for number, m in enumerate(story.milestones, 1)]


def draw_aws_lines(axes: Sequence[Axes], story: Story, end: float) -> None:
    """Dashed numbered lines through every panel; each line's label names the milestone (for the key and tests)."""
    from matplotlib.transforms import blended_transform_factory

    marks = [(number, t, mark) for number, t, mark in aws_times(story) if t <= end]
    for axis in axes:
        for number, t, mark in marks:
            axis.axvline(
                t, color=AWS_COLOUR, linestyle=(0, (4, 3)), linewidth=0.9, alpha=0.75, zorder=1.5,
                label=f"AWS {mark.pdt} {mark.what}", gid=f"aws:{number}",
            )  # fmt: skip
    top = axes[0]
    transform = blended_transform_factory(top.transData, top.transAxes)
    levels: list[float] = []  # the last x used on each row of tags, so near milestones do not cover each other
    for number, t, _ in marks:
        row = next((r for r, last in enumerate(levels) if t - last > end * 0.022), len(levels))
        if row < len(levels):
            levels[row] = t
        else:
            levels.append(t)
        top.text(
            t, 1.04 + 0.2 * row, str(number), transform=transform, ha="center", va="bottom", fontsize=7,
            color="white", fontweight="bold", clip_on=False,
            bbox={"boxstyle": "circle,pad=0.25", "facecolor": AWS_COLOUR, "edgecolor": "none"},
        )  # fmt: skip


def draw_aws_key(figure: Figure, story: Story, end: float, *, left: float, top: float) -> None:
    """The key to the numbered lines, in three columns under the panels."""
    marks = aws_times(story)
    if not marks:
        return
    columns = 3
    rows = -(-len(marks) // columns)
    figure.text(left, top, "AWS's milestones (dashed lines, at AWS's own PDT time):", fontsize=8, fontweight="bold")
    for index, (number, t, mark) in enumerate(marks):
        after = "" if t <= end else "  (after this run ended)"
        column, row = divmod(index, rows)
        figure.text(
            left + column * 0.3, top - 0.011 * (row + 1), f"{number:>2}  {mark.pdt}  {mark.what}{after}",
            fontsize=7.5, color=AWS_COLOUR if t <= end else "0.6", family="monospace",
        )  # fmt: skip


def draw_phase_lanes(axis: Axes, phases: Sequence[dict[str, Any]], story: Story, end: float) -> None:
    """One lane per phase: this run's intervals filled, AWS's span of the phase as a thin grey bar under them."""
    names: list[str] = [*PHASE_TITLES, *sorted({str(p["name"]) for p in phases} - set(PHASE_TITLES))]
    for row, name in enumerate(names):
        y = len(names) - 1 - row
        ours = [(p["start"], (end if p["end"] is None else p["end"]) - p["start"]) for p in phases if p["name"] == name]
        colour = PHASE_COLOURS.get(name, "tab:gray")
        axis.broken_barh(ours, (y + 0.38, 0.52), facecolors=colour, label=name, gid=f"phase:{name}")
        if not ours:
            axis.text(end * 0.005, y + 0.62, "not in this run", fontsize=7, color="0.45", va="center")
        span = story.aws_phases.get(name)
        if span is not None and story.clock is not None:
            start, stop = story.clock.virtual(span[0]), story.clock.virtual(span[1])
            axis.broken_barh(
                [(start, stop - start)], (y + 0.1, 0.2), facecolors="0.82", edgecolors=AWS_COLOUR, linewidth=0.6,
                label=f"AWS {name}", gid=f"aws_phase:{name}",
            )  # fmt: skip
    axis.set_ylim(0, len(names))
    axis.set_yticks([len(names) - 1 - row + 0.5 for row in range(len(names))])
    titles: list[str] = [PHASE_TITLES.get(name, name) for name in names]
    axis.set_yticklabels(titles, fontsize=8)
    axis.tick_params(axis="y", length=0)
    from matplotlib.patches import Patch

    key = [Patch(facecolor="tab:red", label="this run")]
    if story.clock is not None and story.aws_phases:
        key.append(Patch(facecolor="0.82", edgecolor=AWS_COLOUR, label="AWS's span"))
    axis.legend(handles=key, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="Phases")
    for side in ("top", "right"):
        axis.spines[side].set_visible(False)
