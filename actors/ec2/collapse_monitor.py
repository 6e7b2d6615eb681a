"""Deciding when DWFM is in congestive collapse (the README's definition).

DWFM is *collapsed* while, for at least ``dwfm.collapse_window_s``:
DynamoDB is reachable from every DWFM host, and on some host a lease is
still not active, work is waiting, and of the work its workers finished over
the last window, less than ``dwfm.collapse_goodput_fraction`` was useful
(the rest was wasted: its requester had already given up). So it is the
overload sustaining itself after its trigger has gone. A drain that makes
progress, however slow, finishes useful work and is never flagged: no
timeouts, no wasted work. Work skipped by ``drop_expired_work`` costs the
workers nothing and counts neither way.

It is the emulator's own analysis (phase detection), not an actor of the
incident: it reads only DWFM's instrumentation (:class:`DwfmStats`: work
completed and wasted, each host's queue depth, reachability), never a host.
It samples every ``dwfm.collapse_sample_s``. Each host is its own queue and
workers, so the test is made per host: DWFM is collapsed while any host is
(a restarted host that drains its queue does not hide five others still
collapsed).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actors.ec2.config import DwfmConfig
    from actors.ec2.stats import DwfmStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["run_collapse_monitor"]


def useful_fraction_low(useful: int, finished: int, fraction: float) -> bool:
    """Workers finished work, and less than ``fraction`` of it was useful."""
    return finished > 0 and useful < fraction * finished


async def run_collapse_monitor(*, clock: Clock, config: DwfmConfig, stats: DwfmStats, trace: Trace) -> None:
    history: deque[tuple[float, dict[str, tuple[int, int]]]] = deque()  # (t, host -> (useful, wasted))
    since: float | None = None
    while True:
        await clock.sleep(config.collapse_sample_s)
        now = clock.now()
        finished = {host: (counts[0], counts[1]) for host, counts in stats.host_finished.items()}
        history.append((now, finished))
        while history[0][0] < now - config.collapse_window_s:
            history.popleft()
        then = history[0][1]
        waiting = sum(stats.queue_depths.values())
        overloaded = stats.unreachable_hosts == 0 and any(
            stats.queue_depths[host] > 0
            and stats.host_not_active[host] > 0
            and useful_fraction_low(
                useful - then[host][0], useful + wasted - sum(then[host]), config.collapse_goodput_fraction
            )
            for host, (useful, wasted) in finished.items()
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
