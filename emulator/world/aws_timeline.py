"""AWS's own timeline beside ours, and what each of our times is worth.

The emulated clock is anchored on the first customer-visible DynamoDB error,
as AWS's timeline is (23:48 PDT, 19 October 2025). Each AWS milestone stands
for an event of ours or for a boundary of one of our phases, and is
*calibrated* when ours is placed by an operator delay copied from AWS's own
gaps (a config field with ``calibrated`` metadata), *emergent* when it
follows from the model's mechanisms, or the *anchor*. A phase boundary is
matched to the phase it stands for, not to its first blip: a start is the
start of the first interval lasting at least :data:`SUSTAINED_S`, an end is
the end of the phase's last interval.
"""

from __future__ import annotations

from typing import Any

import attrs

from emulator.world.phases import PHASES

__all__ = [
    "ANCHOR_EVENT",
    "AWS_MILESTONES",
    "AWS_PHASES",
    "PHASE_ASSUMES",
    "PHASE_CALIBRATED_BY",
    "SUSTAINED_S",
    "AwsMilestone",
    "annotate",
    "aws_clock",
    "aws_phase_seconds",
    "compare_with_aws",
]

ANCHOR_EVENT = "dynamodb_errors_start"
ANCHOR_PDT_S = 23 * 3600 + 48 * 60
SUSTAINED_S = 600.0  # a phase interval shorter than this is a blip, not the phase


@attrs.frozen
class AwsMilestone:
    pdt: str  # AWS's time, HH:MM PDT
    what: str
    ours: str  # our event, or "phase:NAME:start" / "phase:NAME:end"
    calibrated_by: tuple[str, ...] = ()  # config keys whose copied delay places ours

    @property
    def aws_s(self) -> float:
        """AWS's time in seconds after the anchor (23:48)."""
        hours, minutes = (int(part) for part in self.pdt.split(":"))
        return float((hours * 3600 + minutes * 60 - ANCHOR_PDT_S) % 86400)


AWS_MILESTONES: tuple[AwsMilestone, ...] = (
    AwsMilestone("23:48", "DynamoDB errors start", ANCHOR_EVENT),
    AwsMilestone("00:38", "DNS state identified as the cause", "operator_identified_dns", ("operator.detect_delay_s",)),
    AwsMilestone("02:25", "all DNS records restored", "operator_restored_dns", ("operator.dns_repair_delay_s",)),
    AwsMilestone("02:40", "clients recovered as negative answers expired", "dynamodb_errors_end"),
    AwsMilestone(
        "04:14", "DWFM throttled, hosts restarted", "operator_throttled_dwfm", ("operator.dwfm_action_delay_s",)
    ),
    AwsMilestone("05:28", "every droplet leased again", "dwfm_leases_recovered", ("operator.dwfm_restart_interval_s",)),
    AwsMilestone("05:30", "NLB connection errors start", "nlb_connection_errors_start"),
    AwsMilestone("06:21", "propagation latency rises", "phase:network_backlog:start"),
    AwsMilestone("06:52", "NLB flapping detected", "operator_paged_nlb", ("operator.nlb_page_transitions_per_s",)),
    AwsMilestone(
        "09:36", "automatic failover disabled", "operator_disabled_failover", ("operator.disable_failover_delay_s",)
    ),
    AwsMilestone("10:36", "propagation back to normal", "phase:network_backlog:end"),
    AwsMilestone(
        "11:23",
        "operators start relaxing throttles",
        "operator_relaxing_throttles",
        ("operator.relax_throttles_delay_s",),
    ),
    AwsMilestone(
        "13:50",
        "EC2 fully recovered",
        "operator_lifted_throttles",
        (
            "operator.relax_stage_interval_s",
            "operator.relax_lift_at_demand_multiple",
        ),
    ),
    AwsMilestone(
        "14:09", "automatic failover re-enabled", "operator_reenabled_failover", ("operator.reenable_failover_delay_s",)
    ),
)

# Our phase -> AWS's span of it (PDT), for the durations table.
AWS_PHASES: dict[str, tuple[str, str]] = {
    "dns_outage": ("23:48", "02:25"),  # errors start -> records restored
    "dwfm_collapse": ("02:25", "05:28"),  # DynamoDB back -> every droplet leased again
    "network_backlog": ("06:21", "10:36"),  # propagation latency rises -> back to normal
    # AWS gave no span for the flapping itself: its NLB impact, errors start -> failover disabled, against
    # our flapping alarm's phase (README, "Beside AWS's timeline").
    "nlb_flapping": ("05:30", "09:36"),
}


# Our phase -> the calibrated keys that place one of its boundaries. The DNS outage ends when the
# operator has repaired DNS, and DWFM's collapse ends with the operator's restarts: both spans are then
# mostly copied gaps. Network Manager's backlog and NLB's flapping begin and end by themselves.
PHASE_CALIBRATED_BY: dict[str, tuple[str, ...]] = {
    "dns_outage": ("operator.detect_delay_s", "operator.dns_repair_delay_s"),
    "dwfm_collapse": ("operator.dwfm_action_delay_s", "operator.dwfm_restart_interval_s"),
    "network_backlog": (),
    "nlb_flapping": (),
}

# Our phase -> the calibrated keys with no AWS figure behind them that set how long an emergent phase
# lasts. The mechanism makes the phase begin and end, but its duration beside AWS's is only as good as
# these assumed capacities, so the comparison names them.
PHASE_ASSUMES: dict[str, tuple[str, ...]] = {
    "dns_outage": (),
    "dwfm_collapse": (),
    "network_backlog": (
        "network_manager.workers",
        "network_manager.step_service_s",
        "network_manager.slowdown_per_queued",
        "network_manager.max_slowdown",
    ),
    "nlb_flapping": ("nlb.checker_capacity_per_s", "nlb.transition_cost", "nlb.back_in_service_cost_fraction"),
}


def aws_phase_seconds() -> dict[str, float]:
    """How long each of our phases lasted in AWS's timeline, in seconds."""
    return {
        name: AwsMilestone(end, "", "").aws_s - AwsMilestone(start, "", "").aws_s
        for name, (start, end) in AWS_PHASES.items()
    }


def aws_clock(t: float, anchor: float) -> str:
    """Virtual time ``t`` as a PDT wall clock, ``anchor`` being 23:48."""
    seconds = int(ANCHOR_PDT_S + t - anchor) % 86400
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def annotate(report: dict[str, Any]) -> list[tuple[dict[str, Any], str | None, str | None]]:
    """Each timeline entry with its emulated PDT time (once anchored) and the AWS milestone it stands for."""
    timeline = report["timeline"]
    anchor = next((entry["t"] for entry in timeline if entry["event"] == ANCHOR_EVENT), None)
    wanted: dict[tuple[str, float], str] = {}
    for milestone in AWS_MILESTONES:
        ours = _our_time(milestone, report)
        if ours is None:
            continue
        if milestone.ours.startswith("phase:"):
            _, name, which = milestone.ours.split(":")
            event = PHASES[name][0 if which == "start" else 1]
        else:
            event = milestone.ours
        wanted.setdefault((event, ours), f"{milestone.pdt} {milestone.what}")
    annotated = []
    for entry in timeline:
        clock = aws_clock(entry["t"], anchor) if anchor is not None else None
        # a phase's start may be back-dated to its "since" field
        key = (entry["event"], float(entry.get("since", entry["t"])))
        annotated.append((entry, clock, wanted.pop(key, None) or wanted.pop((entry["event"], float(entry["t"])), None)))
    return annotated


def _phase_boundary(phases: list[dict[str, Any]], name: str, which: str, now: float) -> float | None:
    intervals = [p for p in phases if p["name"] == name]
    if not intervals:
        return None
    if which == "end":
        end = intervals[-1]["end"]
        return float(end) if end is not None else None
    sustained = [p for p in intervals if (p["end"] if p["end"] is not None else now) - p["start"] >= SUSTAINED_S]
    return float((sustained or intervals)[0]["start"])


def _our_time(milestone: AwsMilestone, report: dict[str, Any]) -> float | None:
    if milestone.ours.startswith("phase:"):
        _, name, which = milestone.ours.split(":")
        return _phase_boundary(report["phases"], name, which, report["virtual_seconds"])
    return next((float(e["t"]) for e in report["timeline"] if e["event"] == milestone.ours), None)


def _phase_span(phases: list[dict[str, Any]], name: str, now: float) -> float | None:
    start = _phase_boundary(phases, name, "start", now)
    if start is None:
        return None
    ends = [p["end"] if p["end"] is not None else now for p in phases if p["name"] == name]
    return max(ends) - start


def compare_with_aws(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The report's ``aws_comparison``: milestones (AWS, ours, delta, kind) and phase durations.

    Times are seconds after the anchor; ``ours`` is None where the run never
    reached the milestone (or had no DynamoDB errors to anchor on).
    """
    anchor = next((float(e["t"]) for e in report["timeline"] if e["event"] == ANCHOR_EVENT), None)
    milestones = []
    for milestone in AWS_MILESTONES:
        ours = _our_time(milestone, report)
        since_anchor = ours - anchor if ours is not None and anchor is not None else None
        kind = "anchor" if milestone.ours == ANCHOR_EVENT else "calibrated" if milestone.calibrated_by else "emergent"
        milestones.append(
            {
                "aws_pdt": milestone.pdt,
                "what": milestone.what,
                "aws_s": milestone.aws_s,
                "ours_s": round(since_anchor, 3) if since_anchor is not None else None,
                "ours_pdt": aws_clock(ours, anchor) if ours is not None and anchor is not None else None,
                "delta_s": round(since_anchor - milestone.aws_s, 3) if since_anchor is not None else None,
                "kind": kind,
                "calibrated_by": list(milestone.calibrated_by),
            }
        )
    phases = []
    for name, aws_s in aws_phase_seconds().items():
        ours = _phase_span(report["phases"], name, report["virtual_seconds"])
        phases.append(
            {
                "phase": name,
                "aws_s": aws_s,
                "ours_s": round(ours, 3) if ours is not None else None,
                "ratio": round(ours / aws_s, 3) if ours is not None else None,
                "kind": "calibrated" if PHASE_CALIBRATED_BY[name] else "emergent",
                "calibrated_by": list(PHASE_CALIBRATED_BY[name]),
                "assumes": list(PHASE_ASSUMES[name]),
            }
        )
    return {"milestones": milestones, "phases": phases}
