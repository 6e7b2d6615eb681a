"""DynamoDB as its clients see it: a store reachable only through DNS.

A client resolves the regional endpoint through its own caching resolver and
sends the request to one of the answered addresses. An empty answer fails the
request as *unresolvable*. Resolvers cache positive answers for ``ttl_s`` and
empty answers for ``negative_ttl_s``; the latter is longer, which is why
clients kept failing after the records were restored.
"""

from __future__ import annotations

import enum
import random
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from actors.dns.route53 import DnsStore
    from actors.dynamodb.config import ResolverConfig
    from emulator.kernel.clock import Clock

__all__ = ["CachingResolver", "DynamoDBClient", "DynamoDBStats", "DynamoDBStore", "Outcome"]


class Outcome(enum.Enum):
    OK = "ok"
    UNRESOLVABLE = "unresolvable"


@attrs.define
class DynamoDBStats:
    requests: int = 0
    failed_unresolvable: int = 0


class DynamoDBStore:
    """The key-value service behind the load balancers' addresses."""

    def __init__(self, stats: DynamoDBStats) -> None:
        self.stats = stats
        self._items: dict[str, int] = {}

    def serve(self, address: str, key: str) -> Outcome:
        del address  # every load balancer reaches the same healthy fleet
        self._items[key] = self._items.get(key, 0) + 1
        return Outcome.OK


class CachingResolver:
    """A stub resolver with positive and negative caching."""

    def __init__(self, clock: Clock, dns_store: DnsStore, endpoint: str, config: ResolverConfig) -> None:
        self._clock = clock
        self._dns = dns_store
        self._endpoint = endpoint
        self._ttl_s = config.ttl_s
        self._negative_ttl_s = config.negative_ttl_s
        self._answer: tuple[str, ...] = ()
        self._expires_at = float("-inf")

    def resolve(self) -> tuple[str, ...]:
        now = self._clock.now()
        if now >= self._expires_at:
            self._answer = self._dns.resolve(self._endpoint)
            self._expires_at = now + (self._ttl_s if self._answer else self._negative_ttl_s)
        return self._answer


class DynamoDBClient:
    """One client host: its resolver, and requests that succeed or not."""

    def __init__(self, resolver: CachingResolver, store: DynamoDBStore, rng: random.Random) -> None:
        self._resolver = resolver
        self._store = store
        self._rng = rng

    def request(self, key: str) -> Outcome:
        stats = self._store.stats
        stats.requests += 1
        addresses = self._resolver.resolve()
        if not addresses:
            stats.failed_unresolvable += 1
            return Outcome.UNRESOLVABLE
        return self._store.serve(addresses[self._rng.randrange(len(addresses))], key)
