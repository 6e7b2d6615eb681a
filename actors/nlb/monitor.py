"""The NLB service's own fleet-wide alarms: flapping, customer-visible errors, the first failover.

Every load balancer reports each tick (:class:`LoadBalancerTick`); once all
of a tick's reports are in, the monitor turns them into timeline milestones:

* flapping starts when at least ``flapping_transitions`` transitions past
  registration happened in the last ``flapping_window_s``, and ends under
  ``flapping_end_fraction`` of that (a quarter);
* connection errors start when a tick's fleet-wide error rate is over
  ``errors_start_rate`` (5 %), and end after ``errors_quiet_s`` (five
  minutes) under ``errors_quiet_rate`` (0.5 %);
* the first automatic AZ failover of the run.

Reports are taken in load balancer order, so the result does not depend on
the order the tasks happened to run in.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import trio

from actors.nlb.messages import LoadBalancerTick

if TYPE_CHECKING:
    from actors.nlb.config import NlbConfig
    from actors.nlb.stats import NlbStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["NlbMonitor"]


class NlbMonitor:
    def __init__(
        self,
        *,
        clock: Clock,
        config: NlbConfig,
        stats: NlbStats,
        trace: Trace,
        reports: trio.MemoryReceiveChannel[LoadBalancerTick],
        load_balancers: int,
    ) -> None:
        self._clock = clock
        self._config = config
        self._stats = stats
        self._trace = trace
        self._reports = reports
        self._load_balancers = load_balancers
        self._recent: deque[tuple[float, int]] = deque()  # (tick time, flapping transitions)
        self._recent_total = 0
        self._last_errors_at = float("-inf")
        self._failed_over = False
        self._flapping = False
        self._erroring = False

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        held: list[LoadBalancerTick] = []
        tick = 0
        while True:
            while sum(report.tick == tick for report in held) < self._load_balancers:
                try:
                    held.append(self._reports.receive_nowait())
                except trio.WouldBlock:
                    held.append(await self._reports.receive())
            reports = sorted((report for report in held if report.tick == tick), key=lambda report: report.lb)
            held = [report for report in held if report.tick != tick]
            self._observe(reports)
            tick += 1

    def _observe(self, reports: list[LoadBalancerTick]) -> None:
        now = self._clock.now()
        if not self._failed_over:
            for report in reports:
                if report.failovers:
                    az, healthy = report.failovers[0]
                    self._failed_over = True
                    self._trace.milestone("nlb_first_az_failover", f"nlb-{report.lb}", az=az, healthy_fraction=healthy)
                    break
        self._watch_flapping(now, sum(report.flapping for report in reports))
        self._watch_errors(now, sum(report.errors for report in reports), sum(report.offered for report in reports))

    def _watch_flapping(self, now: float, transitions: int) -> None:
        config, stats, recent = self._config, self._stats, self._recent
        if transitions:
            recent.append((now, transitions))
            self._recent_total += transitions
        while recent and recent[0][0] < now - config.flapping_window_s:
            self._recent_total -= recent.popleft()[1]
        total = self._recent_total
        if not self._flapping and total >= config.flapping_transitions:
            self._flapping = stats.flapping = True
            self._trace.milestone("nlb_flapping_start", "nlb-health-checks", transitions=total)
        elif self._flapping and total < config.flapping_transitions * config.flapping_end_fraction:
            self._flapping = stats.flapping = False
            self._trace.milestone("nlb_flapping_end", "nlb-health-checks")

    def _watch_errors(self, now: float, errors: float, offered: float) -> None:
        """Milestones for customer-visible error rates only: over the start rate, then quiet."""
        stats, config = self._stats, self._config
        error_rate = errors / offered if offered else 0.0
        if error_rate >= config.errors_quiet_rate:
            self._last_errors_at = now
        if error_rate > config.errors_start_rate and not self._erroring:
            self._erroring = stats.erroring = True
            self._trace.milestone("nlb_connection_errors_start", "nlb", error_rate=round(error_rate, 3))
        elif self._erroring and now - self._last_errors_at >= config.errors_quiet_s:
            self._erroring = stats.erroring = False
            self._trace.milestone("nlb_connection_errors_end", "nlb")
