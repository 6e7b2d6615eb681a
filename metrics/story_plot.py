"""A recorded run as one page that tells the incident's story, for ``run --plot``.

The full dump (:mod:`metrics.plot`, ``--plot-all``) gives every metric a
panel titled with its Prometheus name; that answers "what does series X
do" but not "what happened". This page follows the failure chain instead,
one panel per link, top to bottom: the regional endpoint empties and
DynamoDB requests fail; droplet leases lapse and DWFM does wasted work
instead of useful work; launches fail; Network Manager's backlog delays
propagation; NLB capacity leaves service and connections fail; the operator
acts. Above them the phases, one lane each; through them AWS's milestones
at AWS's own PDT time (:mod:`metrics.story_axes`). Titles and units are for
people: "per virtual minute", "%", never a Grafana unit id.

matplotlib is imported only when a plot is drawn (its import takes about a second).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metrics.files import atomic_write
from metrics.recorder import Sample
from metrics.story_axes import Story, draw_aws_key, draw_aws_lines, draw_phase_lanes, set_time_axis
from metrics.story_series import Points, counter_rates, gauge_lines, histogram_mean

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["PANEL_TITLES", "story_figure", "write_story_plot"]

PANEL_TITLES = (
    "1 · DNS: addresses in the regional DynamoDB endpoint, and DynamoDB requests failing",
    "2 · DWFM: droplet leases by state, and its useful against wasted work",
    "3 · EC2: instance launches by outcome",
    "4 · Network Manager: changes waiting to propagate, and how long propagation takes",
    "5 · NLB: capacity in service (mean of AZs and the lowest AZ), and client connections failing",
    "6 · Operator actions in this run",
)
OPERATOR_ACTIONS = {
    "operator_paged": "paged: regional endpoint empty",
    "operator_identified_dns": "identified DNS as the cause",
    "operator_restored_dns": "restored the DNS records",
    "operator_paged_dwfm": "paged for DWFM",
    "operator_throttled_dwfm": "throttled DWFM, restarting hosts",
    "operator_paged_nlb": "paged for NLB flapping",
    "operator_disabled_failover": "disabled automatic AZ failover",
    "operator_reenabled_failover": "re-enabled automatic AZ failover",
    "operator_relaxing_throttles": "started relaxing throttles",
    "operator_lifted_throttles": "lifted the last throttles",
}
_PER_MINUTE = "per virtual minute"
_LEFT = 0.085
_READING = (
    "One panel per link of the failure chain, top to bottom. Dashed numbered lines: AWS's milestones at AWS's own "
    "time (key below). Lanes: when each phase was under way. Diamonds: this run's operator actions."
)
_UNANCHORED = (
    "One panel per link of the failure chain, top to bottom. No DynamoDB error in this run, so nothing anchors "
    "AWS's PDT clock: virtual time, and no AWS milestones."
)
_OUTCOME_COLOURS = {"ok": "tab:green", "insufficient_capacity": "tab:red", "throttled": "tab:orange"}
_STATE_COLOURS = {"active": "tab:green", "reestablishing": "tab:orange", "expired": "tab:red"}


def _line(axis: Axes, points: Points, label: str, colour: str, **style: Any) -> None:
    if points:
        axis.plot(
            [t for t, _ in points], [v for _, v in points], color=colour, label=label, **{"linewidth": 1.3, **style}
        )


def _twin(axis: Axes, ylabel: str, colour: str) -> Axes:
    """A right-hand axis for a second quantity, its label in its line's colour."""
    right = axis.twinx()
    right.set_ylabel(ylabel, fontsize=8, color=colour)
    right.tick_params(axis="y", labelsize=7, colors=colour)
    return right


def _dns(axis: Axes, samples: Sequence[Sample]) -> Axes | None:
    addresses = gauge_lines("dns_regional_endpoint_addresses", samples).get("", [])
    _line(axis, addresses, "endpoint addresses", "tab:blue", drawstyle="steps-post")
    axis.set_ylabel("addresses", fontsize=8, color="tab:blue")
    axis.set_ylim(bottom=-0.3, top=max([v for _, v in addresses], default=1) + 1)
    right = _twin(axis, f"failed requests {_PER_MINUTE}", "tab:red")
    requests = counter_rates("dynamodb_requests_total", samples, "outcome")
    for outcome, colour in (("unresolvable", "tab:red"), ("timed_out", "tab:pink"), ("throttled", "tab:brown")):
        points = requests.get(outcome, [])
        if any(v for _, v in points):
            _line(right, points, f"DynamoDB requests {outcome.replace('_', ' ')}", colour, linewidth=1.0)
    return right


def _dwfm(axis: Axes, samples: Sequence[Sample]) -> Axes | None:
    for state, points in sorted(gauge_lines("dwfm_leases", samples, "state").items()):
        _line(axis, points, f"leases {state}", _STATE_COLOURS.get(state, "tab:gray"))
    axis.set_ylabel("droplet leases", fontsize=8)
    axis.set_ylim(bottom=0)
    right = _twin(axis, f"work items {_PER_MINUTE}", "tab:blue")
    work = counter_rates("dwfm_work_total", samples, "outcome")
    _line(right, work.get("completed", []), "useful work (goodput)", "tab:blue", linewidth=0.9)
    _line(right, work.get("wasted", []), "wasted work (requester gone)", "tab:purple", linewidth=0.9)
    return right


def _launches(axis: Axes, samples: Sequence[Sample]) -> Axes | None:
    for outcome, points in sorted(counter_rates("ec2_launches_total", samples, "outcome").items()):
        if any(v for _, v in points):
            _line(axis, points, outcome.replace("_", " "), _OUTCOME_COLOURS.get(outcome, "tab:gray"))
    axis.set_ylabel(f"launches {_PER_MINUTE}", fontsize=8)
    axis.set_ylim(bottom=0)
    return None


def _network(axis: Axes, samples: Sequence[Sample]) -> Axes | None:
    _line(axis, gauge_lines("network_manager_backlog", samples).get("", []), "backlog", "tab:purple")
    axis.set_ylabel("changes waiting", fontsize=8, color="tab:purple")
    axis.set_ylim(bottom=0)
    latency = histogram_mean("network_manager_propagation_seconds", samples)
    minutes = max((v for _, v in latency), default=0.0) > 120
    unit, scale = ("minutes", 60.0) if minutes else ("seconds", 1.0)
    right = _twin(axis, f"mean propagation time ({unit})", "tab:brown")
    _line(right, [(t, v / scale) for t, v in latency], "mean propagation time", "tab:brown", linewidth=1.0)
    return right


def _nlb(axis: Axes, samples: Sequence[Sample]) -> Axes | None:
    per_az = list(gauge_lines("nlb_capacity_in_service_ratio", samples, "az").values())
    moments = [[(t, 100 * v) for t, v in points] for points in zip(*per_az, strict=True)] if per_az else []
    mean = [(at[0][0], sum(v for _, v in at) / len(at)) for at in moments]
    lowest = [(at[0][0], min(v for _, v in at)) for at in moments]
    _line(axis, mean, "capacity in service, mean of AZs", "tab:green")
    _line(axis, lowest, "capacity in service, lowest AZ", "darkgreen", linewidth=0.8, linestyle=":")
    axis.set_ylabel("capacity in service (%)", fontsize=8, color="tab:green")
    axis.set_ylim(-3, 105)
    right = _twin(axis, f"failed connections {_PER_MINUTE}", "tab:red")
    errors = counter_rates("nlb_connection_errors_total", samples).get("", [])
    _line(right, errors, "connection errors", "tab:red", linewidth=1.0)
    return right


def _operator(axis: Axes, timeline: Sequence[dict[str, Any]], story: Story, end: float) -> None:
    """One row per action, in order: a marker at its time and what was done beside it."""
    actions = [entry for entry in timeline if entry.get("actor") == "operator"]
    clock = story.clock
    for row, entry in enumerate(actions):
        t = float(entry["t"])
        what = OPERATOR_ACTIONS.get(entry["event"], entry["event"].removeprefix("operator_").replace("_", " "))
        when = f"{clock.hhmm(t)} " if clock is not None else ""
        axis.plot([t], [-row], marker="D", markersize=6, color="tab:blue", linestyle="none", label=entry["event"])
        left = t > end * 0.8
        axis.annotate(
            f"{when}{what}", (t, -row), xytext=(-7 if left else 7, 0), textcoords="offset points",
            ha="right" if left else "left", va="center", fontsize=7.5, zorder=3,
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )  # fmt: skip
    axis.set_ylim(-max(len(actions), 1) + 0.4, 0.8)
    axis.set_yticks([])
    if not actions:
        axis.text(0.5, 0.5, "no operator action", transform=axis.transAxes, ha="center", va="center", fontsize=8)


def _align_zeros(axis: Axes, right: Axes) -> None:
    """Put the right axis's zero level with the left's, so "nothing" reads the same for both lines."""
    bottom, top = axis.get_ylim()
    highest = max(right.get_ylim()[1], 1e-9)
    right.set_ylim(highest * bottom / top if top > 0 else 0.0, highest)


def _legend(axis: Axes, right: Axes | None) -> None:
    """Both y axes' lines in one legend, outside the panel so it never covers the data."""
    handles, labels = [], []
    for each in (axis, right) if right is not None else (axis,):
        for handle, label in zip(*each.get_legend_handles_labels(), strict=True):
            if not label.startswith("AWS "):
                handles.append(handle)
                labels.append(label)
    if handles:
        axis.legend(handles, labels, fontsize=7, loc="upper left", bbox_to_anchor=(1.07, 1.0), frameon=False)


def story_figure(samples: Sequence[Sample], report: dict[str, Any], story: Story, *, title: str) -> Figure:
    """The page, as a matplotlib figure (drawn, not saved): tests read its artists."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    end = max(float(report.get("virtual_seconds") or 0.0), samples[-1][0] if samples else 0.0, 60.0)
    figure, axes = plt.subplots(
        7, 1, sharex=True, figsize=(15, 18.5), gridspec_kw={"height_ratios": [1.1, 2, 2, 1.7, 1.7, 2, 2.1]}
    )
    lanes, *panels = axes
    draw_phase_lanes(lanes, report["phases"], story, end)
    rights = [draw(axis, samples) for draw, axis in zip((_dns, _dwfm, _launches, _network, _nlb), panels, strict=False)]
    _operator(panels[5], report["timeline"], story, end)
    for axis, panel_title in zip(panels, PANEL_TITLES, strict=True):
        axis.set_title(panel_title, fontsize=9.5, loc="left")
        axis.grid(alpha=0.25)
        axis.tick_params(labelsize=7.5)
    draw_aws_lines(list(axes), story, end)
    for axis, right in zip(panels, rights, strict=False):
        for each in (axis, right) if right is not None else (axis,):
            if each.get_ylim()[1] < 1:  # nothing counted: a scale of 0 to 1, not of 0 to 0.05
                each.set_ylim(top=1)
        if right is not None:
            _align_zeros(axis, right)
        _legend(axis, right)
    panels[-1].set_xlim(0, end)
    set_time_axis(panels[-1], story, end)
    panels[-1].tick_params(axis="x", labelbottom=True, labelsize=8)
    figure.suptitle(title, fontsize=12, x=_LEFT, ha="left", y=0.995)
    figure.text(_LEFT, 0.978, _READING if story.clock is not None else _UNANCHORED, fontsize=8.5, color="0.3")
    figure.subplots_adjust(left=_LEFT, right=0.78, top=0.945, bottom=0.1, hspace=0.42)
    draw_aws_key(figure, story, end, left=_LEFT, top=0.068)
    return figure


def write_story_plot(
    samples: Sequence[Sample], report: dict[str, Any], path: Path, story: Story, *, title: str
) -> None:
    """Draw the page and write it at ``path``, in the format its extension names (.png, .svg, .pdf)."""
    figure = story_figure(samples, report, story, title=title)
    import matplotlib.pyplot as plt

    try:
        atomic_write(
            path, lambda stream: figure.savefig(stream, format=path.suffix.lstrip(".").lower() or "png", dpi=90)
        )
    finally:
        plt.close(figure)
