"""DynamoDB's clients: a caching stub resolver each, and requests with a timeout.

DynamoDB is reachable only through DNS. A client resolves the regional
endpoint through its own :class:`CachingResolver`, which asks Route 53 (a
:class:`Resolve` message) only when its cached answer has expired: positive
answers are kept ``ttl_s``, empty ones ``negative_ttl_s``, which is longer,
which is why clients kept failing after the records were restored. An empty
answer fails the request as UNRESOLVABLE without sending it; otherwise the
client sends it to one of the answered addresses and waits for the service's
answer until its own deadline (TIMED_OUT after ``timeout_s``).

A client belongs to its host (a DWFM host, a customer); it runs in that
host's task, and its one outstanding request at a time is the only traffic
it adds to the service's channel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

from actors.dns.messages import Resolve, Route53Request
from actors.dynamodb.messages import DynamoDBRequest, Outcome
from emulator.kernel.mailbox import Reply

if TYPE_CHECKING:
    import random

    from actors.dynamodb.config import ClientConfig, ResolverConfig
    from actors.dynamodb.stats import DynamoDBStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["CachingResolver", "DynamoDBClient"]


class CachingResolver:
    """A stub resolver with positive and negative caching."""

    def __init__(
        self,
        name: str,
        *,
        clock: Clock,
        route53: trio.MemorySendChannel[Route53Request],
        endpoint: str,
        config: ResolverConfig,
        trace: Trace,
    ) -> None:
        self._name = name
        self._clock = clock
        self._route53 = route53
        self._endpoint = endpoint
        self._config = config
        self._trace = trace
        self._answer: tuple[str, ...] = ()
        self._expires_at = float("-inf")

    def cached(self) -> tuple[str, ...] | None:
        """The cached answer while it is fresh (no await: the hot path), else None."""
        return self._answer if self._clock.now() < self._expires_at else None

    async def resolve(self) -> tuple[str, ...]:
        clock = self._clock
        if clock.now() < self._expires_at:
            return self._answer
        request = Resolve(self._endpoint, Reply())
        try:
            self._route53.send_nowait(request)  # no scheduler round of its own: the reply's wait is one
        except trio.WouldBlock:
            await self._route53.send(request)
        answer = await request.reply.wait_until(clock, clock.now() + self._config.timeout_s)
        if answer is None:  # no answer in time: empty, and nothing cached
            self._trace.record("resolver_timed_out", self._name, endpoint=self._endpoint)
            return ()
        config = self._config
        self._expires_at = clock.now() + (config.ttl_s if answer else config.negative_ttl_s)
        if answer != self._answer:
            self._trace.record("resolver_answer", self._name, addresses=len(answer))
            self._answer = answer
        return answer


class DynamoDBClient:
    """One client host: its resolver, and requests that succeed or not."""

    def __init__(
        self,
        *,
        clock: Clock,
        resolver: CachingResolver,
        service: trio.MemorySendChannel[DynamoDBRequest],
        rng: random.Random,
        config: ClientConfig,
        stats: DynamoDBStats,
    ) -> None:
        self._clock = clock
        self._resolver = resolver
        self._service = service
        self._rng = rng
        self._timeout_s = config.timeout_s
        self._stats = stats

    async def request(self, key: str, items: int = 1) -> Outcome:
        """``items`` reads/writes for ``key``; the outcome this caller saw."""
        stats = self._stats
        stats.requests += 1
        addresses = self._resolver.cached()
        if addresses is None:
            addresses = await self._resolver.resolve()
        if not addresses:
            stats.failed_unresolvable += 1
            return Outcome.UNRESOLVABLE
        request = DynamoDBRequest(addresses[self._rng.randrange(len(addresses))], key, items, Reply())
        try:
            self._service.send_nowait(request)
        except trio.WouldBlock:
            await self._service.send(request)
        clock = self._clock
        outcome = await request.reply.wait_until(clock, clock.now() + self._timeout_s)
        if outcome is Outcome.OK:
            stats.ok += 1
        elif outcome is None:
            stats.timed_out += 1
            return Outcome.TIMED_OUT
        elif outcome is Outcome.THROTTLED:
            stats.throttled += 1
        return outcome
