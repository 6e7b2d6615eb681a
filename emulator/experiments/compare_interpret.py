"""Interpretation lines under the comparison table, read off its numbers and nothing else.

Each variant is set against the variant it differs from by the fewest
fixes, so the line says what those fixes changed: a fix alone against no fix,
"all but one" against all of them, all of them against none. A line names
only what differs (phases that happened a different number of times,
durations apart by more than a tenth, a different capacity floor) or what
still happens; no line is written in advance, so a fix that does less than
hoped reads as such.
"""

from __future__ import annotations

from typing import Any

from emulator.world.phases import PHASES

__all__ = ["PHASE_WORDS", "interpret", "span"]

PHASE_WORDS = {
    "dns_outage": "DNS outage",
    "dwfm_collapse": "DWFM collapse",
    "network_backlog": "Network Manager backlog",
    "nlb_flapping": "NLB flapping",
}
# Durations closer than this (a tenth of the reference, and a minute) read as the same.
_SAME_DURATION_FRACTION, _SAME_DURATION_S = 0.1, 60.0
_SAME_CAPACITY = 0.01


def span(seconds: float) -> str:
    """A duration for people: ``2h37m``, ``37m``, ``45s``."""
    whole = round(seconds)
    if whole >= 3600:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 60}m" if whole >= 60 else f"{whole}s"


def _count(variant: dict[str, Any], phase: str) -> tuple[int, int]:
    stats = variant["outcomes"][f"phases.{phase}.occurred"]
    return (stats["count"], stats["n"]) if stats else (0, 0)


def _mean(variant: dict[str, Any], column: str) -> float | None:
    stats = variant["outcomes"].get(column)
    return stats.get("mean") if stats else None


def _title(variant: dict[str, Any], labels: dict[str, str]) -> str:
    if variant["kind"] == "none":
        return "no fix"
    if variant["kind"] == "all":
        return "all fixes" if len(variant["fixes"]) > 1 else f"{labels[variant['fixes'][0]]} alone"
    if variant["kind"] == "alone":
        return f"{labels[variant['fixes'][0]]} alone"
    left_out = [name for name in labels if name not in variant["fixes"]]
    return f"all but {labels[left_out[0]]}" if len(left_out) == 1 else variant["name"]


def _phase_parts(variant: dict[str, Any], reference: dict[str, Any] | None, ref_title: str) -> list[str]:
    parts = []
    for phase in PHASES:
        count, runs = _count(variant, phase)
        ref_count, ref_runs = _count(reference, phase) if reference else (count, runs)
        if count == 0 and ref_count == 0:
            continue
        words = PHASE_WORDS[phase]
        if reference is None or (count == ref_count and runs == ref_runs):
            parts.append(f"{words} {'still ' if reference else ''}in {count}/{runs}")
        else:
            parts.append(f"{words} in {count}/{runs} (vs {ref_count}/{ref_runs} {ref_title})")
        if count and ref_count and reference is not None:
            ours, theirs = _mean(variant, f"phases.{phase}.seconds"), _mean(reference, f"phases.{phase}.seconds")
            if ours is not None and theirs is not None and _differs(ours, theirs):
                parts.append(f"lasting {span(ours)} vs {span(theirs)}")
    return parts


def _differs(ours: float, theirs: float) -> bool:
    return abs(ours - theirs) > max(_SAME_DURATION_FRACTION * abs(theirs), _SAME_DURATION_S)


def _line(variant: dict[str, Any], reference: dict[str, Any] | None, ref_title: str) -> str:
    runs = _count(variant, "dns_outage")[1]
    happened = [phase for phase in PHASES if _count(variant, phase)[0]]
    if not happened and runs:
        any_before = reference is not None and any(_count(reference, phase)[0] for phase in PHASES)
        text = (
            f"no DNS outage in {runs}/{runs} seeds, so nothing downstream"
            if any_before
            else f"no phase in {runs}/{runs} seeds"
        )
        parts = [text]
    elif not runs:
        parts = ["no finished run"]
    else:
        parts = _phase_parts(variant, reference, ref_title)
    floor = _mean(variant, "nlb.min_capacity_fraction")
    ref_floor = _mean(reference, "nlb.min_capacity_fraction") if reference else None
    if floor is not None and ref_floor is not None and abs(floor - ref_floor) >= _SAME_CAPACITY:
        parts.append(f"capacity floor {floor:.2f} vs {ref_floor:.2f}")
    elif floor is not None and reference is None:
        parts.append(f"capacity floor {floor:.2f}")
    if variant["failed"]:
        parts.append(f"{variant['failed']} failed runs left out")
    return "; ".join(parts)


def interpret(table: list[dict[str, Any]], labels: dict[str, str]) -> list[str]:
    """One line per variant, e.g. ``race fix alone: no DNS outage in 20/20 seeds, so nothing downstream``."""
    by_kind = {variant["kind"]: variant for variant in table if variant["kind"] in ("none", "all")}
    lines = []
    for variant in table:
        if variant["kind"] == "none":
            reference, ref_title = None, ""
        elif variant["kind"] == "all-but":
            reference, ref_title = by_kind.get("all"), "with all"
        else:
            reference, ref_title = by_kind.get("none"), "with no fix"
        lines.append(f"{_title(variant, labels)}: {_line(variant, reference, ref_title)}")
    return lines
