"""Network Manager: propagates network state for launched and terminated instances.

Work waits in a FIFO queue for a few workers. An instance's state reaches
its four places one at a time (see :mod:`actors.network.messages`): a worker
applies one place, then the instance goes to the back of the queue for
the next (when nothing else waits, the worker simply carries on). With a
long backlog an instance therefore spends a long time reachable from some
health checkers and not others. Each step's latency also grows with the
backlog. Work for an instance
whose droplet has no active lease cannot be applied (DWFM owns the droplet's
state): it waits aside and is retried, which is how the work delayed by DWFM
arrived all at once as a backlog when the leases came back.
"""

from __future__ import annotations

import bisect
import random
from array import array
from collections import deque
from typing import TYPE_CHECKING

import attrs
import trio

from actors.ec2.messages import LeaseState
from actors.network.messages import DATA_PLANE, FULLY_PROPAGATED, NetworkedInstance, checker_bit

if TYPE_CHECKING:
    from actors.network.config import NetworkManagerConfig
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["NetworkManager", "NetworkStats"]

PLACES = (checker_bit(0), checker_bit(1), checker_bit(2), DATA_PLANE)


@attrs.define
class NetworkStats:
    bucket_bounds: tuple[float, ...] = ()
    bucket_counts: list[int] = attrs.Factory(list)
    latency_count: int = 0
    latency_sum: float = 0.0
    max_backlog: int = 0
    without_connectivity: int = 0
    without_connectivity_peak: int = 0
    latencies: array[float] = attrs.Factory(lambda: array("d"))
    processing_ewma_s: float = 0.0
    in_alarm: bool = False

    def __attrs_post_init__(self) -> None:
        self.bucket_counts = [0] * (len(self.bucket_bounds) + 1)

    def observe(self, latency: float) -> None:
        self.bucket_counts[bisect.bisect_left(self.bucket_bounds, latency)] += 1
        self.latency_count += 1
        self.latency_sum += latency
        self.latencies.append(latency)

    def quantile(self, q: float) -> float | None:
        """Exact quantile of every propagation's latency (None: no data)."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Work:
    __slots__ = ("enqueued_at", "instance", "launch", "places", "processable_at", "submitted_at")

    def __init__(self, instance: NetworkedInstance, launch: bool, submitted_at: float, places: list[int]) -> None:
        self.instance = instance
        self.launch = launch
        self.submitted_at = submitted_at
        self.processable_at = submitted_at
        self.enqueued_at = submitted_at
        self.places = places  # still to reach, in order


class NetworkManager:
    def __init__(
        self, *, clock: Clock, rng: random.Random, config: NetworkManagerConfig, stats: NetworkStats, trace: Trace
    ) -> None:
        self._clock = clock
        self._rng = rng
        self._config = config
        self.stats = stats
        self._trace = trace
        self._queue: deque[_Work] = deque()
        self._blocked: list[_Work] = []
        self._idle = trio.lowlevel.ParkingLot()

    @property
    def backlog(self) -> int:
        return len(self._queue) + len(self._blocked)

    def submit(self, instance: NetworkedInstance, *, launch: bool) -> None:
        """New network work: a launched instance, or a terminated one."""
        places = list(PLACES)
        self._rng.shuffle(places)
        self._queue.append(_Work(instance, launch, self._clock.now(), places))
        if launch:
            self.stats.without_connectivity += 1
            self.stats.without_connectivity_peak = max(
                self.stats.without_connectivity_peak, self.stats.without_connectivity
            )
        self.stats.max_backlog = max(self.stats.max_backlog, self.backlog)
        self._idle.unpark()

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            for _ in range(self._config.workers):
                nursery.start_soon(self._worker)
            nursery.start_soon(self._retry_blocked)

    async def _retry_blocked(self) -> None:
        while True:
            await self._clock.sleep(self._config.blocked_retry_s)
            ready = [work for work in self._blocked if work.instance.lease.state is LeaseState.ACTIVE]
            if not ready:
                continue
            self._blocked = [work for work in self._blocked if work.instance.lease.state is not LeaseState.ACTIVE]
            now = self._clock.now()
            for work in ready:
                work.processable_at = work.enqueued_at = now
            self._queue.extend(ready)
            self._idle.unpark_all()

    async def _worker(self) -> None:
        clock, config, stats = self._clock, self._config, self.stats
        while True:
            while not self._queue:
                await self._idle.park()
            work = self._queue.popleft()
            self._note_wait(clock.now() - work.enqueued_at)
            instance = work.instance
            if instance.lease.state is not LeaseState.ACTIVE:
                self._blocked.append(work)
                continue
            slowdown = min(config.max_slowdown, 1.0 + config.slowdown_per_queued * self.backlog)
            # Nobody waiting: no turn to give up, so take every place in one go
            # (one wake-up instead of four; the emulator's hot path when healthy).
            steps = len(work.places) if not self._queue else 1
            await clock.sleep(config.step_service_s * slowdown * steps)
            for _ in range(steps):
                place = work.places.pop()
                instance.propagated |= place
                if place == DATA_PLANE and work.launch:
                    stats.without_connectivity -= 1
            if work.places:
                work.enqueued_at = clock.now()
                self._queue.append(work)  # the next place waits its turn
                continue
            assert instance.propagated == FULLY_PROPAGATED
            self._observe(work)

    def _observe(self, work: _Work) -> None:
        """End-to-end latency, from launch or termination, for the report."""
        self.stats.observe(self._clock.now() - work.submitted_at)

    def _note_wait(self, wait: float) -> None:
        """Network Manager's own delay (queue wait per step) drives its alarm."""
        stats = self.stats
        stats.processing_ewma_s += 0.05 * (wait - stats.processing_ewma_s)
        alarm = self._config.latency_alarm_s
        if not stats.in_alarm and stats.processing_ewma_s > alarm:
            stats.in_alarm = True
            self._trace.milestone("network_propagation_slow", "network-manager", backlog=self.backlog)
        elif stats.in_alarm and stats.processing_ewma_s < alarm / 2:
            stats.in_alarm = False
            self._trace.milestone("network_propagation_normal", "network-manager", backlog=self.backlog)
