"""Network Manager: propagates network state for launched and terminated instances.

Its inbox is one unbounded channel (Network Manager's backlog was unbounded in
the incident): ``InstanceLaunched`` and ``InstanceTerminated`` from EC2 and
the NLB, ``LeaseChanges`` from DWFM hosts. The channel and the FIFO queue
behind it are served by a pool of workers. An instance's state reaches its
four places one at a time (see :mod:`actors.network.messages`): a worker
applies one place, then the instance goes to the back of the queue for the
next (when nothing else waits, the worker simply carries on). With a long
backlog an instance therefore spends a long time reachable from some health
checkers and not others. Each step's latency also grows with the backlog.

Work for an instance whose droplet has no active lease cannot be applied
(DWFM owns the droplet's state): it waits aside, indexed by droplet, and is
retried every ``blocked_retry_s`` once ``LeaseChanges`` says the droplet is
leased again. That is how the work delayed by DWFM arrived all at once as a
backlog when the leases came back.

Idle workers wait on the inbox itself, so a message wakes exactly one of
them (as a direct hand-off would); busy workers drain it with
``receive_nowait`` before an instance goes back in line, so the queue stays
first come, first served. Retried work joins the back of the
queue, and the retry wakes as many idle workers as it has work for.

Progress of launched instances goes to the NLB once per
``publish_interval_s`` with news, from a timer on the clock: it runs before
any task woken at that instant, so the checks of that tick see the batch.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

import trio

from actors.ec2.messages import InstanceLaunched, InstanceTerminated, LeaseChanges, SetLaunchAdmission
from actors.network.messages import DATA_PLANE, PropagationProgress, checker_bit
from emulator.kernel.determinism import shuffle

if TYPE_CHECKING:
    from actors.network.config import NetworkManagerConfig
    from actors.network.stats import NetworkStats
    from emulator.kernel.clock import Clock, TimerHandle
    from emulator.kernel.trace import Trace

__all__ = ["InboxMessage", "NetworkManager"]

InboxMessage = InstanceLaunched | InstanceTerminated | LeaseChanges
PLACES = (checker_bit(0), checker_bit(1), checker_bit(2), DATA_PLANE)
ACTOR = "network-manager"


class _Work:
    __slots__ = ("blocked_seq", "droplet", "enqueued_at", "instance_id", "launch", "places", "submitted_at")

    def __init__(self, instance_id: int, droplet: int, launch: bool, submitted_at: float, places: list[int]) -> None:
        self.instance_id = instance_id
        self.droplet = droplet
        self.launch = launch
        self.submitted_at = submitted_at
        self.enqueued_at = submitted_at
        self.places = places  # still to reach, in order
        self.blocked_seq = 0


class _Wake:
    """Sent to the inbox itself to wake an idle worker for work already queued."""


_WAKE = _Wake()


class NetworkManager:
    def __init__(
        self,
        *,
        clock: Clock,
        rng: random.Random,
        config: NetworkManagerConfig,
        stats: NetworkStats,
        trace: Trace,
        progress: Sequence[trio.MemorySendChannel[PropagationProgress]],
        admission: trio.MemorySendChannel[SetLaunchAdmission] | None = None,
    ) -> None:
        self._clock = clock
        self._rng = rng
        self._config = config
        self.stats = stats
        self._trace = trace
        self._progress = tuple(progress)
        self._admission = admission
        send, receive = trio.open_memory_channel[InboxMessage | _Wake](math.inf)
        self._send_to_self = send
        self._inbox = receive
        self._queue: deque[_Work] = deque()
        self._unleased: set[int] = set()  # droplets without an active lease, as LeaseChanges tell
        self._blocked: dict[int, list[_Work]] = {}  # droplet -> work set aside for it
        self._blocked_count = 0
        self._blocked_seq = 0
        self._restorable: dict[int, None] = {}  # droplets leased again that have work set aside
        self._news: dict[int, int] = {}  # instance id -> places reached since the last publish
        self._completed = 0  # propagations finished since the last publish
        self._timer: TimerHandle | None = None

    @property
    def inbox(self) -> trio.MemorySendChannel[InboxMessage]:
        """Where EC2, DWFM hosts and the NLB send this actor's work (unbounded, as the incident's)."""
        return self._send_to_self

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        interval = self._config.publish_interval_s
        self._timer = self._clock.call_at(self._clock.now() + interval, self._publish_tick)
        try:
            async with trio.open_nursery() as nursery:
                for _ in range(self._config.workers):
                    nursery.start_soon(self._worker)
                nursery.start_soon(self._retry_blocked)
                task_status.started()
        finally:
            if self._timer is not None:
                self._timer.cancel()

    # -- intake --------------------------------------------------------------
    def _take(self, message: InboxMessage | _Wake) -> None:
        kind = type(message)
        if kind is _Wake:
            return
        if kind is LeaseChanges:
            assert isinstance(message, LeaseChanges)
            self._lease_changes(message)
        else:
            assert isinstance(message, InstanceLaunched | InstanceTerminated)
            self._submit(message.instance_id, message.droplet, kind is InstanceLaunched, message.at)
        self._note_backlog()

    def _drain(self) -> None:
        receive = self._inbox.receive_nowait
        while True:
            try:
                message = receive()
            except trio.WouldBlock:
                return
            self._take(message)

    def _submit(self, instance_id: int, droplet: int, launch: bool, at: float) -> None:
        places = list(PLACES)
        shuffle(self._rng, places)  # rng.shuffle's draws, without its per-element calls
        # Time in the inbox counts as queueing: the channel is the front of the queue.
        self._queue.append(_Work(instance_id, droplet, launch, at, places))
        stats = self.stats
        if launch:
            stats.without_connectivity += 1
            if stats.without_connectivity > stats.without_connectivity_peak:
                stats.without_connectivity_peak = stats.without_connectivity

    def _lease_changes(self, message: LeaseChanges) -> None:
        # Restorations happened since the host's last message, lapses at this check: in that order.
        for droplet in message.restored:
            self._unleased.discard(droplet)
            if droplet in self._blocked:
                self._restorable[droplet] = None
        for droplet in message.lapsed:
            self._unleased.add(droplet)
            self._restorable.pop(droplet, None)

    def _note_backlog(self) -> None:
        stats = self.stats
        stats.backlog = backlog = len(self._queue) + self._blocked_count
        if backlog > stats.max_backlog:
            stats.max_backlog = backlog

    # -- blocked work ----------------------------------------------------------
    def _block(self, work: _Work) -> None:
        self._blocked_seq += 1
        work.blocked_seq = self._blocked_seq
        self._blocked.setdefault(work.droplet, []).append(work)
        self._blocked_count += 1

    async def _retry_blocked(self) -> None:
        clock = self._clock
        while True:
            await clock.sleep(self._config.blocked_retry_s)
            if not self._restorable:
                continue
            ready = [work for droplet in self._restorable for work in self._blocked.pop(droplet)]
            self._restorable.clear()
            self._blocked_count -= len(ready)
            ready.sort(key=lambda work: work.blocked_seq)  # the order they were set aside in
            now = clock.now()
            for work in ready:
                work.enqueued_at = now
            self._drain()  # what arrived before goes first
            self._queue.extend(ready)
            self._note_backlog()
            # Idle workers wait on the inbox: wake as many as there is work for.
            idle = self._inbox.statistics().tasks_waiting_receive
            for _ in range(min(idle, len(ready))):
                self._send_to_self.send_nowait(_WAKE)
            self._trace.record("blocked_work_retried", ACTOR, items=len(ready))

    # -- workers ---------------------------------------------------------------
    async def _worker(self) -> None:
        clock, config, stats, queue, inbox = self._clock, self._config, self.stats, self._queue, self._inbox
        while True:
            if not queue:
                self._drain()
                if not queue:
                    self._take(await inbox.receive())
                    self._drain()
                    continue
            work = queue.popleft()
            self._note_wait(clock.now() - work.enqueued_at)
            if work.droplet in self._unleased:
                self._block(work)
                continue
            backlog = len(queue) + self._blocked_count
            stats.backlog = backlog
            slowdown = min(config.max_slowdown, 1.0 + config.slowdown_per_queued * backlog)
            # Nobody waiting: no turn to give up, so take every place in one go
            # (one wake-up instead of four; the emulator's hot path when healthy).
            steps = len(work.places) if not queue else 1
            await clock.sleep(config.step_service_s * slowdown * steps)
            reached = 0
            for _ in range(steps):
                reached |= work.places.pop()
            if work.launch:
                news = self._news
                news[work.instance_id] = news.get(work.instance_id, 0) | reached
                if reached & DATA_PLANE:
                    stats.without_connectivity -= 1
            if work.places:
                # What arrived during the step queues ahead of this instance's next place.
                self._drain()
                work.enqueued_at = clock.now()
                queue.append(work)  # the next place waits its turn
                continue
            self._completed += 1
            stats.observe(clock.now() - work.submitted_at)

    def _note_wait(self, wait: float) -> None:
        """Network Manager's own delay (queue wait per step) drives its alarm."""
        stats = self.stats
        stats.processing_ewma_s += 0.05 * (wait - stats.processing_ewma_s)
        alarm = self._config.latency_alarm_s
        if not stats.in_alarm and stats.processing_ewma_s > alarm:
            stats.in_alarm = True
            self._trace.milestone("network_propagation_slow", ACTOR, backlog=len(self._queue) + self._blocked_count)
        elif stats.in_alarm and stats.processing_ewma_s < alarm / 2:
            stats.in_alarm = False
            self._trace.milestone("network_propagation_normal", ACTOR, backlog=len(self._queue) + self._blocked_count)

    # -- publishing (a clock timer: before the tasks of the same instant) -------
    def _publish_tick(self) -> None:
        clock, stats = self._clock, self.stats
        depth = self._inbox.statistics().current_buffer_used
        stats.inbox_depth = depth
        stats.max_inbox_depth = max(stats.max_inbox_depth, depth)
        if self._news or self._completed:
            updates = tuple(self._news.items())
            if updates:
                message = PropagationProgress(updates)
                for channel in self._progress:
                    channel.send_nowait(message)
            self._trace.record(
                "propagation_published", ACTOR, updates=len(updates), completed=self._completed, backlog=stats.backlog
            )
            self._news = {}
            self._completed = 0
        self._admit()
        self._timer = clock.call_at(clock.now() + self._config.publish_interval_s, self._publish_tick)

    def _admit(self) -> None:
        """Queue-size throttling: tell the launcher when admission opens or closes."""
        throttle, stats = self._config.throttle, self.stats
        if not throttle.enabled or self._admission is None:
            return
        admit = len(self._queue) + self._blocked_count < throttle.max_queue
        if admit != stats.launch_admission_open:
            stats.launch_admission_open = admit
            self._admission.send_nowait(SetLaunchAdmission(admit))
            self._trace.record("launch_admission", ACTOR, open=admit, backlog=stats.backlog)
