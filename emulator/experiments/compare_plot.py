"""``compare.png``: per variant, a bar for each phase's duration, its capacity floor, AWS's durations.

Bars are the mean duration (hours) over the seeds where the phase happened,
with the 95% interval of that mean; a phase that never happened has no bar,
so "nothing downstream" is visible as an empty slot. AWS's own durations are
dashed lines in the phase's colour, so a variant reads against the real
incident. The capacity floor (the lowest share of NLB nodes in DNS, mean over
seeds) is a black marker on its own axis, with velocity control's limit as a
dotted line when any variant switches it on. Object API only, as in
:mod:`emulator.experiments.sweep_plots`: no global state, no display.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from emulator.experiments.compare_interpret import PHASE_WORDS
from emulator.world.phases import PHASES

__all__ = ["plot_compare"]

_COLOURS = {"dns_outage": "C0", "dwfm_collapse": "C1", "network_backlog": "C2", "nlb_flapping": "C3"}


def plot_compare(result: dict[str, Any], path: Path) -> None:
    table = result["variants"]
    names = [variant["variant"] for variant in table]
    phases = list(PHASES)
    width = 0.8 / len(phases)
    figure = Figure(figsize=(max(7.5, 0.55 * len(names) + 4.5), 5.0), layout="constrained")
    axes = figure.add_subplot()
    legend: list[tuple[Any, str]] = []
    for index, phase in enumerate(phases):
        xs, heights, low_err, high_err = [], [], [], []
        for position, variant in enumerate(table):
            stats = variant["outcomes"][f"phases.{phase}.seconds"]
            if not stats or "mean" not in stats:
                continue
            mean = stats["mean"] / 3600
            low, high = (bound / 3600 for bound in stats["mean_ci95"])
            xs.append(position - 0.4 + width * (index + 0.5))
            heights.append(mean)
            low_err.append(max(0.0, mean - low))
            high_err.append(max(0.0, high - mean))
        colour = _COLOURS[phase]
        axes.bar(xs, heights, width, color=colour, yerr=[low_err, high_err], capsize=2)
        legend.append((Patch(color=colour), PHASE_WORDS[phase]))
        aws = result["aws_phase_seconds"].get(phase)
        if aws is not None:
            axes.axhline(aws / 3600, color=colour, linestyle="--", linewidth=0.9, alpha=0.8)
    legend.append((Line2D([], [], color="grey", linestyle="--"), "AWS's duration (same colour)"))
    axes.set_xticks(range(len(names)), names, rotation=35, ha="right", fontsize=8)
    axes.set_ylabel("phase duration, hours (mean, 95% CI)")
    floor_axes = axes.twinx()
    floors = [
        (position, variant["outcomes"]["nlb.min_capacity_fraction"])
        for position, variant in enumerate(table)
        if variant["outcomes"]["nlb.min_capacity_fraction"]
        and "mean" in variant["outcomes"]["nlb.min_capacity_fraction"]
    ]
    floor_axes.plot(
        [position for position, _ in floors],
        [stats["mean"] for _, stats in floors],
        linestyle="none",
        marker="D",
        color="black",
        label="NLB capacity floor (right)",
    )
    limit = result["velocity_control_floor"]
    if limit is not None:
        floor_axes.axhline(limit, color="black", linestyle=":", linewidth=0.9, label="velocity-control limit")
    floor_axes.set_ylim(-0.03, 1.03)
    floor_axes.set_ylabel("lowest share of NLB nodes in DNS")
    handles, labels = floor_axes.get_legend_handles_labels()
    legend += zip(handles, labels, strict=True)
    figure.legend(*zip(*legend, strict=True), fontsize=7, loc="outside right upper")
    first, last = result["parameters"]["seeds"]
    axes.set_title(
        f"{result['parameters']['scenario']}: each variant over seeds {first}..{last} ({result['runs']} runs)",
        fontsize=10,
    )
    figure.savefig(path, dpi=100)
