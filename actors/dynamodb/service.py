"""The DynamoDB service: a task with a request channel and a finite throughput.

Clients send :class:`DynamoDBRequest` (``items`` reads/writes for a key) to
the address their resolver picked; every load balancer reaches the same
fleet, so one task stands for it. Throughput is a token bucket:
``capacity_items_per_s`` refills it, up to ``burst_s`` seconds of unused
capacity. A request that finds enough tokens is answered after
``latency_s`` (with the default 0, within the virtual instant it was sent,
adding no distinct instant). One that does not waits in a FIFO backlog until
tokens accrue; past ``max_backlog_items`` waiting items it is answered
THROTTLED at once. Backlogged requests whose client gave up are dropped
without spending capacity. A request larger than the bucket is served once
the bucket is full, leaving the bucket in debt, so the long-run rate holds.

(``Outcome`` and ``DynamoDBClient`` are also importable from here, where the
EC2 stage still looks for them.)
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import trio

from actors.dynamodb.client import DynamoDBClient
from actors.dynamodb.messages import DynamoDBRequest, Outcome

if TYPE_CHECKING:
    from actors.dynamodb.config import ServiceConfig
    from actors.dynamodb.stats import DynamoDBStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.mailbox import Reply
    from emulator.kernel.trace import Trace

__all__ = ["DynamoDBClient", "DynamoDBService", "Outcome"]

ACTOR = "dynamodb"
_EPSILON = 1e-9  # float slack when tokens accrue exactly to what the head needs


class DynamoDBService:
    """The service's state (tokens, backlog, items), owned by :meth:`run`."""

    def __init__(
        self,
        requests: trio.MemoryReceiveChannel[DynamoDBRequest],
        *,
        clock: Clock,
        config: ServiceConfig,
        stats: DynamoDBStats,
        trace: Trace,
    ) -> None:
        self._requests = requests
        self._clock = clock
        self._config = config
        self._stats = stats
        self._trace = trace
        self._rate = config.capacity_items_per_s
        self._bucket = config.capacity_items_per_s * config.burst_s
        self._tokens = self._bucket
        self._refilled_at = clock.now()
        self._backlog: deque[DynamoDBRequest] = deque()
        self._backlog_items = 0
        self._throttled_in_episode = 0
        self._items: dict[str, int] = {}

    async def run(self) -> None:
        requests = self._requests
        while True:
            if self._backlog:
                request = await self._receive_until(self._head_servable_at())
            else:
                request = await requests.receive()
            if request is not None:
                self._arrive(request)
            while True:  # whatever else arrived in the same instant, without a wake-up each
                try:
                    self._arrive(requests.receive_nowait())
                except trio.WouldBlock:
                    break
            self._serve_backlog()

    async def _receive_until(self, deadline: float) -> DynamoDBRequest | None:
        with self._clock.move_on_after(max(0.0, deadline - self._clock.now())):
            return await self._requests.receive()
        return None

    # -- throughput -----------------------------------------------------------------
    def _refill(self) -> None:
        now = self._clock.now()
        if now > self._refilled_at:
            self._tokens = min(self._bucket, self._tokens + (now - self._refilled_at) * self._rate)
            self._refilled_at = now

    def _needed(self, items: int) -> float:
        return min(float(items), self._bucket)

    def _head_servable_at(self) -> float:
        self._refill()
        missing = self._needed(self._backlog[0].items) - self._tokens
        now = self._clock.now()
        if missing <= 0:
            return now
        # A wait below the clock's resolution at this time would wake at this same instant with
        # nothing refilled, for ever: at least the next instant the clock can represent.
        return max(now + missing / self._rate, math.nextafter(now, math.inf))

    def _arrive(self, request: DynamoDBRequest) -> None:
        self._refill()
        if not self._backlog and self._tokens >= self._needed(request.items) - _EPSILON:
            if self._throttled_in_episode:
                self._end_throttling()
            self._serve(request)
        elif self._backlog_items + request.items > self._config.max_backlog_items:
            self._throttle(request)
        else:
            self._end_throttling()
            self._backlog.append(request)
            self._backlog_items += request.items
            self._note_backlog()

    def _serve_backlog(self) -> None:
        backlog = self._backlog
        if not backlog:
            return
        self._refill()
        while backlog:
            head = backlog[0]
            if not head.reply.abandoned and self._tokens < self._needed(head.items) - _EPSILON:
                break
            backlog.popleft()
            self._backlog_items -= head.items
            if head.reply.abandoned:
                self._stats.unheard_answers += 1  # its client gave up: drop, spend nothing
            else:
                self._serve(head)
        self._note_backlog()

    def _serve(self, request: DynamoDBRequest) -> None:
        items = request.items
        self._tokens -= items
        self._items[request.key] = self._items.get(request.key, 0) + items
        self._stats.items_served += items
        if self._config.latency_s > 0:
            self._clock.call_later(self._config.latency_s, self._deliver, request.reply, Outcome.OK)
        elif not request.reply.send(Outcome.OK):  # the hot path: answered in this instant
            self._stats.unheard_answers += 1

    def _throttle(self, request: DynamoDBRequest) -> None:
        if self._throttled_in_episode == 0:
            self._stats.throttling_episodes += 1
            self._trace.milestone("dynamodb_throttling_start", ACTOR, backlog_items=self._backlog_items)
        self._throttled_in_episode += 1
        self._answer(request.reply, Outcome.THROTTLED)

    def _end_throttling(self) -> None:
        if self._throttled_in_episode:
            self._trace.milestone("dynamodb_throttling_end", ACTOR, throttled=self._throttled_in_episode)
            self._throttled_in_episode = 0

    # -- answers and instrumentation -------------------------------------------------------
    def _answer(self, reply: Reply[Outcome], outcome: Outcome) -> None:
        latency = self._config.latency_s
        if latency > 0:
            self._clock.call_later(latency, self._deliver, reply, outcome)
        else:
            self._deliver(reply, outcome)

    def _deliver(self, reply: Reply[Outcome], outcome: Outcome) -> None:
        if not reply.send(outcome):
            self._stats.unheard_answers += 1

    def _note_backlog(self) -> None:
        stats = self._stats
        stats.backlog_items = self._backlog_items
        if self._backlog_items > stats.max_backlog_items:
            stats.max_backlog_items = self._backlog_items
