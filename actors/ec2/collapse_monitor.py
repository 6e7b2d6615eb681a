"""Deciding when DWFM is in congestive collapse (the README's definition).

DWFM is *collapsed* while, for at least ``dwfm.collapse_window_s``:
DynamoDB is reachable from every DWFM host; at least twice as many work
items are waiting as DWFM has workers; and useful completions over the last
window run below ``dwfm.collapse_goodput_fraction`` of DWFM's nominal
capacity (hosts x workers / ``work_service_s``). So it is the overload
sustaining itself after its trigger has gone, not the outage itself.

It is the emulator's own analysis (phase detection), not an actor of the
incident: it reads only DWFM's instrumentation (:class:`DwfmStats`: work
completed, each host's queue depth, reachability), never a host.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from actors.ec2.messages import WorkOutcome

if TYPE_CHECKING:
    from actors.ec2.config import DwfmConfig
    from actors.ec2.stats import DwfmStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["run_collapse_monitor"]

SAMPLE_S = 30.0


async def run_collapse_monitor(
    *,
    clock: Clock,
    config: DwfmConfig,
    hosts: int,
    stats: DwfmStats,
    trace: Trace,
) -> None:
    workers = hosts * config.workers
    capacity_per_s = workers / config.work_service_s
    history: deque[tuple[float, int]] = deque()
    since: float | None = None
    while True:
        await clock.sleep(SAMPLE_S)
        now = clock.now()
        completed = stats.work[WorkOutcome.COMPLETED]
        history.append((now, completed))
        while history[0][0] < now - config.collapse_window_s:
            history.popleft()
        span = now - history[0][0]
        goodput = (completed - history[0][1]) / span if span > 0 else capacity_per_s
        waiting = sum(stats.queue_depths.values())
        overloaded = (
            stats.unreachable_hosts == 0
            and waiting >= 2 * workers
            and goodput < config.collapse_goodput_fraction * capacity_per_s
        )
        if overloaded:
            if since is None:
                since = now
            if not stats.collapsed and now - since >= config.collapse_window_s:
                stats.collapsed = stats.collapse = True
                stats.collapse_since = since
                trace.milestone("dwfm_collapse_start", "dwfm-monitor", since=round(since, 3), waiting=waiting)
        else:
            since = None
            if stats.collapsed and stats.collapse_since is not None:
                stats.collapsed = False
                stats.collapse_seconds += now - stats.collapse_since
                stats.collapse_since = None
                trace.milestone("dwfm_collapse_end", "dwfm-monitor", waiting=waiting)
