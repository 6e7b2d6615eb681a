"""A DWFM host: state checks for its droplets, and a queue of lease work.

*State checks.* Each check tick (``dwfm.check_tick_s``) the host sends one
DynamoDB request for the droplets due (:mod:`actors.ec2.lease_book`). A
successful check renews their active leases; a lease not renewed within its
TTL is found lapsed. A successful check also offers re-establishment to
every lapsed droplet at once (:class:`ReestablishmentOpen` in its inbox),
which is how the whole fleet arrived together when DynamoDB came back.

*Work.* Re-establishment requests wait in the host's queue
(:mod:`actors.ec2.intake`, unbounded as DWFM's was), read by
``dwfm.workers`` worker tasks; each item takes a random time, exponential
with mean ``work_service_s``, drawn from the host's own generator. A worker
learns only after the work, when ``reply.send`` returns False, that its
droplet had given up: the work is wasted. With ``dwfm.drop_expired_work`` it
checks the request's deadline first and skips it. Admission control and
the retry budget refuse requests at the intake; refused droplets are
offered a place again as the queue drains or tokens accrue. A droplet out
of retries is offered again at its next state check (a new workflow).

*Messages.* Control (:class:`SetAdmission`, :class:`RestartHost`) is
drained at the check tick. Lease changes (lapsed, restored) go to the
subscribers once per check tick with news. Work outcomes are traced per
tick, with the droplets' timeouts: each retry carries its attempt number.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

import trio

from actors.dynamodb.messages import Outcome, Requester
from actors.ec2.intake import WorkIntake
from actors.ec2.lease_book import LeaseBook
from actors.ec2.messages import (
    HostControl,
    LeaseChanges,
    LeaseState,
    ReestablishmentOpen,
    RestartHost,
    SetAdmission,
    WorkOutcome,
)
from actors.ec2.publish import publish

if TYPE_CHECKING:
    from actors.ec2.config import DwfmConfig
    from actors.ec2.stats import DwfmStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.mailbox import Inbox
    from emulator.kernel.trace import Trace

__all__ = ["DwfmHost"]

OPEN = ReestablishmentOpen()


def _first(waiting: dict[int, None], n: int) -> list[int]:
    """Take the ``n`` droplets that have waited longest."""
    if n >= len(waiting):
        everyone = list(waiting)
        waiting.clear()
        return everyone
    taken: list[int] = []
    for droplet in waiting:
        taken.append(droplet)
        if len(taken) == n:
            break
    for droplet in taken:
        del waiting[droplet]
    return taken


class DwfmHost:
    def __init__(
        self,
        name: str,
        *,
        az: int,
        droplets: Sequence[int],
        inboxes: Sequence[Inbox[ReestablishmentOpen]],
        clock: Clock,
        rng: random.Random,
        config: DwfmConfig,
        client: Requester,
        control: trio.MemoryReceiveChannel[HostControl],
        subscribers: Sequence[trio.MemorySendChannel[LeaseChanges]],
        stats: DwfmStats,
        trace: Trace,
    ) -> None:
        self.name = name
        self._az = az
        self._inboxes = inboxes  # by slot, as the lease book's droplets
        self._clock = clock
        self._config = config
        self._client = client
        self._control = control
        self._subscribers = subscribers
        self._stats = stats
        self._trace = trace
        self._rng = rng
        # Every host ticks on the same grid: which droplets a tick checks is spread by
        # the lease book, so hosts need no offset of their own, and aligned ticks are
        # one virtual instant for the fleet instead of one per host.
        self._start = math.ceil(clock.now() / config.check_tick_s) * config.check_tick_s
        self._book = LeaseBook(droplets, rng=rng, config=config, start=self._start)
        throttle = config.throttle
        max_queue = throttle.max_queue if throttle.enabled else None
        self.intake = WorkIntake(name, az, stats, clock=clock, rng=rng, config=config, max_queue=max_queue)
        self._waiting: dict[int, None] = {}  # lapsed droplets not re-establishing, in lapse order
        self._parked: dict[int, list[int]] = {}  # check bucket -> droplets out of retries
        self._restored: list[int] = []  # since the last LeaseChanges
        self._reachable = True
        self._completed = self._wasted = self._dropped = 0  # this tick
        self._traced_depth = 0
        stats.queue_depths[name] = 0
        self._finished = stats.host_finished[name] = [0, 0]  # useful, wasted
        stats.host_not_active[name] = 0

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            for _ in range(self._config.workers):
                nursery.start_soon(self._worker)
            nursery.start_soon(self._check_loop)

    # -- state checks ------------------------------------------------------------
    async def _check_loop(self) -> None:
        clock, config, book, stats = self._clock, self._config, self._book, self._stats
        tick = 0
        while True:
            await clock.sleep_until(self._start + tick * config.check_tick_s)
            self._apply_control()
            due = book.due(tick)
            ok = (await self._client.request(self.name, items=due)) is Outcome.OK  # one batched request per tick
            self._note_reachability(ok)
            now = clock.now()
            stats.renewals += due
            lapsed = book.check(tick, now, now + config.lease_ttl_s if ok else None)
            for droplet in lapsed:
                stats.move(self._az, LeaseState.ACTIVE, LeaseState.EXPIRED)
                self._waiting[droplet] = None
            if lapsed:
                stats.host_not_active[self.name] += len(lapsed)
            if ok:
                self._unpark(book.bucket(tick))
                if self._waiting or self.intake.returned or self.intake.retry_waiting:
                    self._offer(self.intake.depth(), retries=True)
            self._park()
            if lapsed or self._restored:
                await publish(self._subscribers, LeaseChanges(self.name, tuple(lapsed), tuple(self._restored)))
            self._trace_tick(len(lapsed), len(self._restored))
            self._restored = []
            tick += 1

    def _apply_control(self) -> None:
        while True:
            try:
                message = self._control.receive_nowait()
            except trio.WouldBlock:
                return
            if isinstance(message, SetAdmission):
                self.intake.max_queue = message.max_queue if message.enabled else None
                self._trace.record("admission", self.name, enabled=message.enabled, max_queue=message.max_queue)
            elif isinstance(message, RestartHost):
                self._restart()

    def _restart(self) -> None:
        """Empty the queue, as a restart did; its droplets time out and retry."""
        discarded = self.intake.clear()
        self._stats.queue_depths[self.name] = 0
        self._stats.restarts += 1
        self._trace.milestone("dwfm_host_restarted", self.name, discarded=discarded)

    def _note_reachability(self, ok: bool) -> None:
        if ok == self._reachable:
            return
        self._reachable = ok
        stats = self._stats
        stats.unreachable_hosts += -1 if ok else 1
        # Fleet-wide milestones (instrumentation): the first host cut off, the last one back.
        if ok and stats.unreachable_hosts == 0:
            stats.reachable_again_at = self._clock.now()
            self._trace.milestone("dwfm_dynamodb_reachable", self.name)
        elif not ok and stats.unreachable_hosts == 1:
            self._trace.milestone("dwfm_dynamodb_unreachable", self.name)

    def _trace_tick(self, lapsed: int, restored: int) -> None:
        intake = self.intake
        depth = self._stats.queue_depths[self.name]
        counts = (
            self._completed,
            self._wasted,
            self._dropped,
            intake.rejected,
            intake.retried,
            intake.gave_up,
            intake.budget_refused,
        )
        if not (lapsed or restored or any(counts) or depth != self._traced_depth):
            return
        self._trace.record(
            "work",
            self.name,
            queue=depth,
            lapsed=lapsed,
            restored=restored,
            completed=self._completed,
            wasted=self._wasted,
            dropped=self._dropped,
            rejected=intake.rejected,
            timed_out=intake.retried + intake.gave_up,
            gave_up=intake.gave_up,
            budget_refused=intake.budget_refused,
        )
        self._traced_depth = depth
        self._completed = self._wasted = self._dropped = 0
        intake.rejected = intake.retried = intake.gave_up = intake.budget_refused = 0

    # -- re-establishment -----------------------------------------------------------
    def _park(self) -> None:
        """Droplets out of retries wait for their next state check (after this tick's)."""
        book, parked = self._book, self._parked
        for droplet in self.intake.given_up:
            parked.setdefault(book.bucket_of(droplet), []).append(droplet)
        self.intake.given_up.clear()

    def _unpark(self, bucket: int) -> None:
        """Their state check came round: a new workflow (a retry, to the retry budget)."""
        droplets = self._parked.pop(bucket, None)
        if droplets is None:
            return
        if self.intake.budgeted:
            self.intake.retry_waiting.extend(droplets)
        else:
            self._waiting.update(dict.fromkeys(droplets))

    def _offer(self, depth: int, *, retries: bool = False) -> None:
        """Offer re-establishment to waiting droplets, as many as the queue has room for.

        With ``retries`` (at check ticks), also to droplets waiting for a
        token of the retry budget, as many as it has tokens.
        """
        waiting, intake = self._waiting, self.intake
        while intake.returned:
            waiting[intake.returned.popleft()] = None
        room = math.inf if intake.max_queue is None else intake.max_queue - depth - intake.invited
        n = int(min(room, len(waiting)))
        if n > 0:
            room -= n
            self._invite(_first(waiting, n))
        queued = intake.retry_waiting
        if retries and queued and room > 0:
            n = int(min(room, len(queued), intake.tokens()))
            if n > 0:
                intake.spend(n)
                self._invite([queued.popleft() for _ in range(n)])

    def _invite(self, droplets: list[int]) -> None:
        book, inboxes, stats, az, intake = self._book, self._inboxes, self._stats, self._az, self.intake
        for droplet in droplets:
            stats.move(az, LeaseState.EXPIRED, LeaseState.REESTABLISHING)
            intake.invited += 1
            inboxes[book.slot(droplet)].send_nowait(OPEN)

    async def _worker(self) -> None:
        clock, config, stats, intake, rng = self._clock, self._config, self._stats, self.intake, self._rng
        rate = 1.0 / config.work_service_s
        while True:
            request = await intake.take()
            depth = intake.depth()
            stats.queue_depths[self.name] = depth
            if self._reachable and (self._waiting or self.intake.returned):
                self._offer(depth)  # a place freed up under admission control
            if config.drop_expired_work and clock.now() > request.deadline:
                stats.finish(WorkOutcome.DROPPED)
                self._dropped += 1
                continue
            service = rng.expovariate(rate)
            if config.service_slowdown_per_queued:
                service *= min(config.service_max_slowdown, 1.0 + config.service_slowdown_per_queued * depth)
            await clock.sleep(service)
            if not request.reply.send(True):
                stats.finish(WorkOutcome.WASTED)
                self._wasted += 1
                self._finished[1] += 1
                continue
            stats.finish(WorkOutcome.COMPLETED)
            self._completed += 1
            self._finished[0] += 1
            stats.host_not_active[self.name] -= 1
            now = clock.now()
            self._book.restore(request.droplet, now + config.lease_ttl_s)
            self._restored.append(request.droplet)
            stats.move(self._az, LeaseState.REESTABLISHING, LeaseState.ACTIVE)
            if stats.all_active_again(now):
                self._trace.milestone("dwfm_leases_recovered", self.name)
