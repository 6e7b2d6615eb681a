"""The incident's phases, read off the timeline of milestones.

Each phase opens at one milestone and closes at another; a phase may recur
(a soak with the fixes off races again after each repair).

:class:`PhaseTracker` follows the milestones as they are recorded, so the
metric snapshot (every sample, every invariant check) reads the open phases
without rescanning a timeline that grows for as long as a soak runs.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AFTER_LEASES", "PHASES", "PhaseTracker", "first_starts", "phase_outcomes", "phases_from_timeline"]

# phase name -> (event that opens it, event that closes it)
PHASES: dict[str, tuple[str, str]] = {
    "dns_outage": ("regional_endpoint_empty", "regional_endpoint_restored"),
    "dwfm_collapse": ("dwfm_collapse_start", "dwfm_collapse_end"),
    "network_backlog": ("network_propagation_slow", "network_propagation_normal"),
    "nlb_flapping": ("nlb_flapping_start", "nlb_flapping_end"),
}


def phases_from_timeline(timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every interval of every phase, in order of start; ``end`` None if open."""
    phases: list[dict[str, Any]] = []
    for name, (opens, closes) in PHASES.items():
        current: dict[str, Any] | None = None
        for entry in timeline:
            if entry["event"] == opens and current is None:
                current = {"name": name, "start": entry.get("since", entry["t"]), "end": None}
                phases.append(current)
            elif entry["event"] == closes and current is not None:
                current["end"] = entry["t"]
                current = None
    return sorted(phases, key=lambda phase: (phase["start"], phase["name"]))


class PhaseTracker:
    """The phases so far, updated one milestone at a time (same result as :func:`phases_from_timeline`)."""

    def __init__(self) -> None:
        self.phases: list[dict[str, Any]] = []
        self._current: dict[str, dict[str, Any]] = {}  # open phase name -> its interval
        self._opens = {opens: name for name, (opens, _) in PHASES.items()}
        self._closes = {closes: name for name, (_, closes) in PHASES.items()}

    def observe(self, entry: dict[str, Any]) -> None:
        event = entry["event"]
        if (name := self._opens.get(event)) is not None and name not in self._current:
            interval = {"name": name, "start": entry.get("since", entry["t"]), "end": None}
            self._current[name] = interval
            self.phases.append(interval)
        elif (name := self._closes.get(event)) is not None and name in self._current:
            self._current.pop(name)["end"] = entry["t"]

    @property
    def open(self) -> set[str]:
        return set(self._current)

    def in_order(self) -> list[dict[str, Any]]:
        return sorted(self.phases, key=lambda phase: (phase["start"], phase["name"]))


# Phases that AWS's account places after DWFM had every lease back (05:28): the flood of
# launches and their propagation fed them (INCIDENT.md, section 4). Where they begin against
# the last lease is the chain's order, so a sweep gets it as a column.
AFTER_LEASES = ("network_backlog", "nlb_flapping")
LEASES_RECOVERED = "dwfm_leases_recovered"


def first_starts(phases: list[dict[str, Any]]) -> dict[str, float]:
    """When each phase first began (its first interval, blips included): what the chain's order compares."""
    starts: dict[str, float] = {}
    for phase in phases:
        starts.setdefault(phase["name"], phase["start"])
    return starts


def phase_outcomes(report: dict[str, Any]) -> dict[str, bool | float | None]:
    """Per phase, ``phases.NAME.occurred`` and ``phases.NAME.seconds``, as flat outcome columns.

    The phases are a list in the report, which a table of numbers cannot hold;
    a sweep or a comparison needs them as columns to count and average. Any
    interval counts as having happened, a blip included: "no phase happened"
    must be strict. The duration is the one set beside AWS's in
    ``aws_comparison`` (first sustained start to last end, the run's end if
    still open), null when the phase never happened.

    For the phases of :data:`AFTER_LEASES`, ``phases.NAME.start_after_leases_s``
    is the phase's first start less the moment the last lease was back (the
    first ``dwfm_leases_recovered``): positive in AWS's order, negative when the
    phase began while leases were still missing, null when either never came.
    """
    seconds = {entry["phase"]: entry["ours_s"] for entry in report.get("aws_comparison", {}).get("phases", [])}
    starts = first_starts(report["phases"])
    leases_back = next((entry["t"] for entry in report["timeline"] if entry["event"] == LEASES_RECOVERED), None)
    outcomes: dict[str, bool | float | None] = {}
    for name in PHASES:
        outcomes[f"phases.{name}.occurred"] = name in starts
        outcomes[f"phases.{name}.seconds"] = seconds.get(name) if name in starts else None
    for name in AFTER_LEASES:
        start = starts.get(name)
        after = None if start is None or leases_back is None else round(start - leases_back, 3)
        outcomes[f"phases.{name}.start_after_leases_s"] = after
    return outcomes
