"""The run report: what happened, in numbers a user can compare and assert on.

Built from a :class:`~emulator.world.world.World` at any point, so an internal
failure still yields a partial report. Written atomically: a reader never
sees half a file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.config.loading import flatten_config

if TYPE_CHECKING:
    from emulator.world.world import World

from emulator.kernel.clock import VirtualClock
from emulator.world.aws_timeline import compare_with_aws
from metrics.files import atomic_write

__all__ = ["build_report", "realtime_max_lag", "write_report"]


def realtime_max_lag(world: World) -> float | None:
    """How far behind its timers a real-time world fell (virtual s); None for the virtual clock.

    One definition for the report's ``realtime_max_lag_seconds`` and the soak's
    status line, so the two can never disagree.
    """
    if isinstance(world.clock, VirtualClock):
        return None
    return round(getattr(world.clock, "max_lag_s", 0.0), 3)


def build_report(world: World, *, scenario: str, wall_seconds: float, error: str | None = None) -> dict[str, Any]:
    now = world.clock.now()
    report: dict[str, Any] = {
        "seed": world.seed,
        "scenario": scenario,
        "completed": world.finished and error is None,
        "config": flatten_config(world.config),
        "virtual_seconds": round(now, 3),
        "wall_seconds": round(wall_seconds, 3),
        # Real time only: how far behind its timers the world fell (virtual s).
        "realtime_max_lag_seconds": realtime_max_lag(world),
        "events": world.trace.events,
        "trace_hash": world.trace.hash,
        "trace_events_by_actor_kind": dict(sorted(world.trace.by_actor_kind.items())),
        "trace_checkpoints": [list(checkpoint) for checkpoint in world.trace.checkpoints],
        "timeline": world.trace.timeline,
        "phases": world.phases.in_order(),
    }
    report.update(world.report_sections())
    report["aws_comparison"] = compare_with_aws(report)
    if error is not None:
        report["error"] = error
    return report


def write_report(report: dict[str, Any], path: Path) -> None:
    """Write the report as JSON, atomically (see :func:`metrics.files.atomic_write`)."""
    text = json.dumps(report, indent=2, default=str) + "\n"
    atomic_write(path, lambda stream: stream.write(text.encode()))
