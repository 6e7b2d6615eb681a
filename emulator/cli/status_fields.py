"""The soak status's figures: the report's own numbers so far, fitted to a width.

A status line that disagrees with the final report teaches a user to trust
neither (an earlier line's ``lag_max`` folded a gauge of idle Enactors' lag,
while the report keeps the largest lag seen at a transaction). So every number
here is read where the report reads it (:meth:`World.report_sections` and
:func:`~emulator.world.report.realtime_max_lag`) and carries the name the
summary prints. What is happening *now* is told by the open phases, not by
gauges with no counterpart in the report.

On a terminal the line must never wrap (a wrapped line leaves junk behind on
every redraw), so when it is too wide the labels and numbers are abbreviated
and then the lowest-priority figures are dropped; piped, every figure is
written in full, so a log is a parseable history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.kernel.durations import format_duration
from emulator.world.phases import PHASES
from emulator.world.report import realtime_max_lag

if TYPE_CHECKING:
    from emulator.world.world import World

__all__ = ["FIELDS", "Field", "figure", "format_status", "status_figures"]


@dataclass(frozen=True)
class Field:
    """One figure: where the report keeps it, the summary's name for it, a short name, its kind."""

    path: tuple[str, ...]
    label: str
    short: str
    kind: str  # "count", "seconds" or "fraction"


# In order of priority: when the line is too wide the last are dropped first.
FIELDS: tuple[Field, ...] = (
    Field(("dns", "races"), "races", "races", "count"),
    Field(("realtime_max_lag_seconds",), "behind", "behind", "seconds"),
    Field(("dynamodb", "failed_unresolvable"), "unresolvable", "unres", "count"),
    Field(("dwfm", "max_queue_depth"), "max_queue", "queue", "count"),
    Field(("ec2", "launches_insufficient_capacity"), "insufficient_capacity", "ice", "count"),
    Field(("network_manager", "max_backlog"), "max_backlog", "backlog", "count"),
    Field(("nlb", "min_capacity_fraction"), "min_capacity", "min_cap", "fraction"),
    Field(("nlb", "connection_errors"), "connection_errors", "conn_err", "count"),
    Field(("dns", "empty_record_seconds"), "empty_for", "empty", "seconds"),
    Field(("dns", "enactor_max_lag_generations"), "max_lag", "lag", "count"),
    Field(("dwfm", "leases_expired_peak"), "leases_expired_peak", "expired", "count"),
    Field(("dwfm", "collapse_seconds"), "collapse_for", "collapse", "seconds"),
)


def status_figures(world: World) -> dict[str, Any]:
    """The report's figures so far, shaped like the report (plus the phases open now)."""
    now = world.clock.now()
    return {
        "virtual_seconds": round(now, 3),
        "realtime_max_lag_seconds": realtime_max_lag(world),
        "open_phases": [name for name in PHASES if name in world.phases.open],
        **world.report_sections(),
    }


def figure(figures: dict[str, Any], path: Sequence[str]) -> Any:
    """The value at ``path`` in a report-shaped dict (None when absent)."""
    value: Any = figures
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _full(kind: str, value: float) -> str:
    if kind == "fraction":
        return f"{value:.2f}"
    if kind == "seconds":
        return f"{value:.1f}s" if value < 10 else f"{value:.0f}s"
    return f"{value:.0f}"


def _compact(kind: str, value: float) -> str:
    if kind == "fraction":
        return f"{value:.2f}"
    if kind == "seconds":
        for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
            if value >= size:
                return f"{value / size:.1f}{unit}"
        return _full(kind, value)
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= 10 * size:
            return f"{value / size:.0f}{unit}" if value >= 100 * size else f"{value / size:.1f}{unit}"
    return f"{value:.0f}"


def _parts(figures: dict[str, Any], *, short: bool) -> list[str]:
    phases = figures.get("open_phases") or []
    names = [name.split("_")[0] for name in phases] if short else phases
    parts = [f"vt={format_duration(figures['virtual_seconds'])}", f"phases={','.join(names) or '-'}"]
    for field in FIELDS:
        value = figure(figures, field.path)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue  # not in this world (the virtual clock has no lag)
        text = _compact(field.kind, value) if short else _full(field.kind, value)
        parts.append(f"{field.short if short else field.label}={text}")
    return parts


def format_status(figures: dict[str, Any], width: int | None = None) -> str:
    """``vt=01:02:03 phases=dns_outage races=1 ...``, at most ``width`` characters (None: no limit).

    Full names first; if too wide, short names and numbers (``12k``, ``2.5h``);
    then the lowest-priority figures go; ``vt`` and the phases always stay
    (cut at ``width`` only on a terminal too narrow even for them).
    """
    full = " ".join(_parts(figures, short=False))
    if width is None or len(full) <= width:
        return full
    parts = _parts(figures, short=True)
    while len(parts) > 2 and len(" ".join(parts)) > width:
        parts.pop()
    return " ".join(parts)[: max(width, 0)]
