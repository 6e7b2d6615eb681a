"""EC2's RunInstances: customer launches that need a droplet with a lease.

Launch requests arrive as a Poisson stream. A launch is placed on a droplet
with an active lease (it tries ``ec2.placement_attempts`` at random); if none
is found it fails with ``InsufficientCapacity``. While the operator throttles
launches (:class:`SetLaunchThrottle`, a token bucket) or Network Manager's
backlog is over its limit (:class:`SetLaunchAdmission`, queue-size
throttling), the excess fails with ``RequestLimitExceeded``. Customers retry
failed launches: that pending demand comes back at up to
``ec2.retry_rate_per_s`` once launches succeed again. Running instances are
not affected by lapsed leases, only new launches are.

The launcher keeps its own view of which droplets are leased, from the DWFM
hosts' :class:`LeaseChanges`. It works once per ``ec2.tick_s``: it drains
its inboxes, then handles the tick's arrivals in order, each at its own
arrival time for the token bucket, and publishes the launches. One wake-up
per tick instead of one per arrival (arrivals were most of the run's
distinct instants); outcomes are traced per tick.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

import trio

from actors.ec2.messages import InstanceLaunched, LauncherControl, LeaseChanges, SetLaunchAdmission, SetLaunchThrottle
from actors.ec2.publish import publish

if TYPE_CHECKING:
    from actors.ec2.config import Ec2Config
    from actors.ec2.stats import Ec2Stats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["Launcher"]

ACTOR = "ec2-launcher"


class Launcher:
    def __init__(
        self,
        *,
        clock: Clock,
        rng: random.Random,
        config: Ec2Config,
        droplet_azs: Sequence[int],
        lease_changes: trio.MemoryReceiveChannel[LeaseChanges],
        control: trio.MemoryReceiveChannel[LauncherControl],
        subscribers: Sequence[trio.MemorySendChannel[InstanceLaunched]],
        stats: Ec2Stats,
        trace: Trace,
    ) -> None:
        self._clock = clock
        self._rng = rng
        self._config = config
        self._droplet_azs = droplet_azs
        self._lease_changes = lease_changes
        self._control = control
        self._subscribers = subscribers
        self._stats = stats
        self._trace = trace
        self._leased = bytearray(b"\x01" * len(droplet_azs))  # this launcher's view
        self._operator_limit_per_s = 0.0
        self._admitted = True
        self._tokens, self._refilled_at = 1.0, clock.now()
        self._pending = 0
        self._failing = False
        self._last_failure_at = float("-inf")
        self._next_id = 0
        self._ok = self._insufficient = self._throttled = 0  # this tick

    async def run(self) -> None:
        config, clock, rng = self._config, self._clock, self._rng
        if config.launch_rate_per_s <= 0 or not self._leased:
            await self._idle()
            return
        start = clock.now()
        retry_rate = 0.0
        next_at = start + rng.expovariate(config.launch_rate_per_s)
        tick = 0
        while True:
            tick += 1
            await clock.sleep_until(start + tick * config.tick_s)
            self._drain()
            launched: list[InstanceLaunched] = []
            now = clock.now()
            while next_at <= now:
                arrival = next_at
                if retry_rate and rng.random() < retry_rate / (config.launch_rate_per_s + retry_rate):
                    self._pending -= 1  # a customer's retry, not new demand
                instance = self._arrive(arrival)
                if instance is not None:
                    launched.append(instance)
                retry_rate = config.retry_rate_per_s if self._pending else 0.0
                next_at = arrival + rng.expovariate(config.launch_rate_per_s + retry_rate)
            self._stats.pending_retries = self._pending
            for instance in launched:
                await publish(self._subscribers, instance)
            if self._ok or self._insufficient or self._throttled:
                self._trace.record(
                    "launches", ACTOR, ok=self._ok, insufficient_capacity=self._insufficient, throttled=self._throttled
                )
                self._ok = self._insufficient = self._throttled = 0

    def _arrive(self, at: float) -> InstanceLaunched | None:
        """One launch request, arrived at ``at``: placed, or failed."""
        config, stats = self._config, self._stats
        limit = self._operator_limit_per_s or config.launch_throttle_per_s
        if limit > 0:
            self._tokens = min(1.0, self._tokens + (at - self._refilled_at) * limit)
            self._refilled_at = at
        if (limit > 0 and self._tokens < 1.0) or not self._admitted:
            stats.launches_throttled += 1
            self._throttled += 1
            self._pending = min(config.max_pending_retries, self._pending + 1)
            return None
        if limit > 0:
            self._tokens -= 1.0
        placed = -1
        for _ in range(config.placement_attempts):
            candidate = self._rng.randrange(len(self._leased))
            if self._leased[candidate]:
                placed = candidate
                break
        if placed < 0:
            stats.launches_insufficient_capacity += 1
            self._insufficient += 1
            self._pending = min(config.max_pending_retries, self._pending + 1)
            self._last_failure_at = at
            if not self._failing:
                self._failing = True
                self._trace.milestone("ec2_insufficient_capacity_start", ACTOR)
            return None
        if self._failing and at - self._last_failure_at >= config.launches_recovered_quiet_s:
            self._failing = False
            self._trace.milestone("ec2_launches_succeeding_again", ACTOR)
        stats.launches_ok += 1
        stats.instances_running += 1
        self._ok += 1
        self._next_id += 1
        return InstanceLaunched(self._next_id, self._droplet_azs[placed], placed, at)

    # -- inboxes ---------------------------------------------------------------------
    def _drain(self) -> None:
        while True:
            try:
                self._apply_lease_changes(self._lease_changes.receive_nowait())
            except trio.WouldBlock:
                break
        while True:
            try:
                self._apply_control(self._control.receive_nowait())
            except trio.WouldBlock:
                break

    def _apply_lease_changes(self, changes: LeaseChanges) -> None:
        leased = self._leased
        for droplet in changes.lapsed:
            leased[droplet] = 0
        for droplet in changes.restored:
            leased[droplet] = 1

    def _apply_control(self, message: LauncherControl) -> None:
        if isinstance(message, SetLaunchThrottle):
            self._operator_limit_per_s = message.per_s
            self._trace.record("launch_throttle", ACTOR, per_s=message.per_s)
        elif isinstance(message, SetLaunchAdmission):
            self._admitted = message.open
            self._trace.record("launch_admission", ACTOR, open=message.open)

    async def _idle(self) -> None:
        """Nothing to launch: still take every message, so no publisher ever waits on us."""
        async with trio.open_nursery() as nursery:

            async def follow_leases() -> None:
                async for changes in self._lease_changes:
                    self._apply_lease_changes(changes)

            nursery.start_soon(follow_leases)
            async for message in self._control:
                self._apply_control(message)
