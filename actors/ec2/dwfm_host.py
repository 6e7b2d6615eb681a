"""A DWFM host: state checks for its droplets, and a queue of lease work.

*State checks.* Every droplet is checked once per
``dwfm.state_check_interval_s``, at a random phase; the host batches the
droplets due in each ``check_tick_s`` into one DynamoDB request through its
own caching resolver. A successful check renews active leases; a check finds
a lease that was not renewed within its TTL lapsed (leases renewed together
expire together, exactly at a later check of theirs, so no timer per lease is
needed). A successful check also kicks off re-establishment for every lapsed
lease at once, which is how the whole fleet arrived together when DynamoDB
came back.

*Work.* Re-establishment items wait in an unbounded FIFO queue (as in the
incident) for ``dwfm.workers`` workers. Service time grows with the queue
(``service_slowdown_per_queued``, capped by ``service_max_slowdown``). A
worker finishes the item it holds even if its requester gave up, wasting the
work, unless ``dwfm.drop_expired_work`` lets it skip such items. With
admission control on, work is refused while the queue is at its limit, and
lapsed leases are admitted one by one as the queue drains.
"""

from __future__ import annotations

import random
from collections import deque
from typing import TYPE_CHECKING

import trio

from actors.dynamodb.service import Outcome
from actors.ec2.messages import DwfmStats, Lease, LeaseState, WorkItem, WorkOutcome

if TYPE_CHECKING:
    from actors.control import ControlPlane
    from actors.dynamodb.service import DynamoDBClient
    from actors.ec2.config import DwfmConfig
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["DwfmHost"]


class DwfmHost:
    def __init__(
        self,
        name: str,
        *,
        clock: Clock,
        rng: random.Random,
        config: DwfmConfig,
        control: ControlPlane,
        client: DynamoDBClient,
        stats: DwfmStats,
        trace: Trace,
    ) -> None:
        self.name = name
        self._clock = clock
        self._rng = rng
        self._config = config
        self._control = control
        self._client = client
        self._stats = stats
        self._trace = trace
        buckets = max(1, round(config.state_check_interval_s / config.check_tick_s))
        self._buckets: list[list[Lease]] = [[] for _ in range(buckets)]
        self._queue: deque[WorkItem] = deque()
        self._idle_workers = trio.lowlevel.ParkingLot()
        self.waiting: dict[Lease, None] = {}  # lapsed leases, in lapse order
        self.reachable = True
        self.completed = 0
        self.restarts = 0
        self.renewals = 0
        self._start = clock.now() + rng.uniform(0, config.check_tick_s)

    # -- fleet ---------------------------------------------------------------
    def assign(self, lease: Lease) -> None:
        """Take over a lease in steady state: renewed at its last check."""
        bucket = self._rng.randrange(len(self._buckets))
        self._buckets[bucket].append(lease)
        config = self._config
        last_checked = self._start + bucket * config.check_tick_s - len(self._buckets) * config.check_tick_s
        lease.expires_at = last_checked + config.lease_ttl_s

    @property
    def queue_depth(self) -> int:
        return len(self._queue)

    # -- LeaseAuthority ---------------------------------------------------------
    def try_submit(self, lease: Lease) -> WorkItem | None:
        control = self._control
        if control.dwfm_throttle_enabled and len(self._queue) >= control.dwfm_throttle_max_queue:
            self._stats.count(WorkOutcome.REJECTED)
            return None
        item = WorkItem(lease, self._clock.now() + self._config.work_timeout_s)
        self._queue.append(item)
        if len(self._queue) > self._stats.max_queue_depth:
            self._stats.max_queue_depth = len(self._queue)
        self._idle_workers.unpark()
        return item

    def on_lease_expired(self, lease: Lease) -> None:
        self.waiting[lease] = None

    # -- operator ----------------------------------------------------------------
    def restart(self) -> int:
        """Empty the queue, as a restart did; requesters time out and retry."""
        discarded = len(self._queue)
        for item in self._queue:
            item.abandoned = True
        self._queue.clear()
        self.restarts += 1
        self._trace.milestone("dwfm_host_restarted", self.name, discarded=discarded)
        return discarded

    # -- tasks ---------------------------------------------------------------------
    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            for _ in range(self._config.workers):
                nursery.start_soon(self._worker)
            nursery.start_soon(self._check_loop)

    async def _check_loop(self) -> None:
        clock, config = self._clock, self._config
        tick = 0
        while True:
            await clock.sleep_until(self._start + tick * config.check_tick_s)
            ok = await self._client.request(self.name, len(self._buckets[tick % len(self._buckets)])) is Outcome.OK
            self._note_reachability(ok)
            now = clock.now()
            renewed_until = now + config.lease_ttl_s
            due = self._buckets[tick % len(self._buckets)]
            self.renewals += len(due)
            for lease in due:
                if lease.state is not LeaseState.ACTIVE:
                    continue
                if lease.expires_at < now:
                    self._stats.move(lease, LeaseState.EXPIRED)  # lapsed since its last check
                    self.waiting[lease] = None
                elif ok:
                    lease.expires_at = renewed_until
            if ok and self.waiting:
                self._start_reestablishing()
            tick += 1

    def _start_reestablishing(self) -> None:
        waiting = self.waiting
        while waiting:
            lease = next(iter(waiting))
            item = self.try_submit(lease)
            if item is None:
                break  # admission control: admitted as the queue drains
            del waiting[lease]
            self._stats.move(lease, LeaseState.REESTABLISHING)
            lease.item = item
            lease.retries = 0
            lease.wake()

    def _note_reachability(self, ok: bool) -> None:
        if ok == self.reachable:
            return
        self.reachable = ok
        stats = self._stats
        stats.unreachable_hosts += -1 if ok else 1
        if ok and stats.unreachable_hosts == 0:
            stats.reachable_again_at = self._clock.now()
            self._trace.milestone("dwfm_dynamodb_reachable", self.name)
        elif not ok and stats.unreachable_hosts == 1:
            self._trace.milestone("dwfm_dynamodb_unreachable", self.name)

    async def _worker(self) -> None:
        clock, config, stats, queue = self._clock, self._config, self._stats, self._queue
        while True:
            while not queue:
                await self._idle_workers.park()
            item = queue.popleft()
            if self.waiting and self.reachable:
                self._start_reestablishing()  # a slot freed up under admission control
            if config.drop_expired_work and (item.abandoned or clock.now() > item.deadline):
                stats.count(WorkOutcome.DROPPED)
                continue
            slowdown = min(config.service_max_slowdown, 1.0 + config.service_slowdown_per_queued * len(queue))
            await clock.sleep(config.work_service_s * slowdown)
            if item.abandoned or clock.now() > item.deadline:
                stats.count(WorkOutcome.WASTED)
                continue
            stats.count(WorkOutcome.COMPLETED)
            self.completed += 1
            item.succeeded = True
            item.lease.wake()
