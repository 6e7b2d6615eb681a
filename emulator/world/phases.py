"""The incident's phases, read off the timeline of milestones.

Each phase opens at one milestone and closes at another; a phase may recur
(a soak with the fixes off races again after each repair).
"""

from __future__ import annotations

from typing import Any

__all__ = ["PHASES", "phases_from_timeline"]

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
