"""The DynamoDB service and its clients in isolation, in virtual time.

The service is fed requests on its channel; its answers are read off their
replies. A client is given a stand-in for Route 53 (a channel the test
answers) to show what its caching resolver asks, and when.
"""

from __future__ import annotations

import random
import signal
from collections.abc import Awaitable, Callable

import trio

from actors.dns.messages import Resolve, Route53Request
from actors.dynamodb.client import CachingResolver, DynamoDBClient
from actors.dynamodb.config import ClientConfig, ResolverConfig, ServiceConfig
from actors.dynamodb.messages import DynamoDBRequest, Outcome
from actors.dynamodb.service import DynamoDBService
from actors.dynamodb.stats import DynamoDBStats
from emulator.kernel.clock import VirtualClock
from emulator.kernel.mailbox import Reply
from emulator.kernel.trace import Trace


class Service:
    def __init__(self, clock: VirtualClock, config: ServiceConfig) -> None:
        self.clock = clock
        self.stats = DynamoDBStats()
        self.trace = Trace(clock, seed=0)
        self.requests, inbox = trio.open_memory_channel[DynamoDBRequest](64)
        self.service = DynamoDBService(inbox, clock=clock, config=config, stats=self.stats, trace=self.trace)
        self.answers: list[tuple[str, float, Outcome | None]] = []

    def send(self, nursery: trio.Nursery, key: str, items: int, *, timeout_s: float = 100.0) -> None:
        """One request, sent now; its outcome and the time it came back are recorded."""
        request = DynamoDBRequest("198.51.100.1", key, items, Reply())
        self.requests.send_nowait(request)

        async def wait() -> None:
            outcome = await request.reply.wait_until(self.clock, self.clock.now() + timeout_s)
            self.answers.append((key, self.clock.now(), outcome))

        nursery.start_soon(wait)


def run_service(config: ServiceConfig, body: Callable[[Service, trio.Nursery], Awaitable[None]]) -> Service:
    clock = VirtualClock()
    service = Service(clock, config)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(clock.run)
            nursery.start_soon(service.service.run)
            await body(service, nursery)
            nursery.cancel_scope.cancel()

    trio.run(main)
    return service


def test_with_zero_latency_and_spare_capacity_a_request_is_answered_in_the_same_instant() -> None:
    async def body(service: Service, nursery: trio.Nursery) -> None:
        await service.clock.sleep(3.0)
        service.send(nursery, "a", 25)
        await service.clock.sleep(1.0)

    service = run_service(ServiceConfig(), body)
    assert service.answers == [("a", 3.0, Outcome.OK)]
    assert service.stats.items_served == 25


def test_past_its_capacity_the_service_queues_then_answers_throttled() -> None:
    """10 items/s, one second of burst, room for 20 items in the backlog."""
    config = ServiceConfig(capacity_items_per_s=10.0, burst_s=1.0, max_backlog_items=20)

    async def body(service: Service, nursery: trio.Nursery) -> None:
        for key in "abcde":
            service.send(nursery, key, 10)
        await service.clock.sleep(5.0)

    service = run_service(config, body)
    assert sorted(service.answers) == [
        ("a", 0.0, Outcome.OK),  # the burst credit
        ("b", 1.0, Outcome.OK),  # waited for 10 items' worth of capacity
        ("c", 2.0, Outcome.OK),
        ("d", 0.0, Outcome.THROTTLED),  # the backlog was full
        ("e", 0.0, Outcome.THROTTLED),
    ]
    assert service.stats.max_backlog_items == 20 and service.stats.throttling_episodes == 1
    assert [entry["event"] for entry in service.trace.timeline] == ["dynamodb_throttling_start"]


def test_a_request_whose_client_gave_up_is_dropped_without_spending_capacity() -> None:
    config = ServiceConfig(capacity_items_per_s=10.0, burst_s=1.0, max_backlog_items=100)

    async def body(service: Service, nursery: trio.Nursery) -> None:
        service.send(nursery, "first", 10)
        service.send(nursery, "impatient", 10, timeout_s=0.5)
        service.send(nursery, "patient", 10)
        await service.clock.sleep(5.0)

    service = run_service(config, body)
    assert sorted(service.answers) == [
        ("first", 0.0, Outcome.OK),
        ("impatient", 0.5, None),
        ("patient", 1.0, Outcome.OK),  # not 2.0: the abandoned request cost nothing
    ]
    assert service.stats.unheard_answers == 1


def test_a_latency_delays_every_answer_by_that_much() -> None:
    async def body(service: Service, nursery: trio.Nursery) -> None:
        service.send(nursery, "a", 1)
        await service.clock.sleep(1.0)

    service = run_service(ServiceConfig(latency_s=0.25), body)
    assert service.answers == [("a", 0.25, Outcome.OK)]


def test_the_resolver_asks_route53_only_when_its_cache_expired_and_holds_empty_answers_longer() -> None:
    """TTL 60 s, negative TTL 900 s; Route 53 answers empty from t=100 to t=200."""
    asked: list[float] = []
    outcomes: list[tuple[float, Outcome]] = []

    async def main() -> None:
        clock = VirtualClock()
        route53, route53_inbox = trio.open_memory_channel[Route53Request](8)
        requests, service_inbox = trio.open_memory_channel[DynamoDBRequest](8)
        stats = DynamoDBStats()
        trace = Trace(clock, seed=0)
        service = DynamoDBService(service_inbox, clock=clock, config=ServiceConfig(), stats=stats, trace=trace)
        resolver = CachingResolver(
            "client", clock=clock, route53=route53, endpoint="ddb", config=ResolverConfig(), trace=trace
        )
        client = DynamoDBClient(
            clock=clock,
            resolver=resolver,
            service=requests,
            rng=random.Random(0),
            config=ClientConfig(),
            stats=stats,
        )

        async def fake_route53() -> None:
            async for query in route53_inbox:
                assert isinstance(query, Resolve)
                asked.append(clock.now())
                query.reply.send(() if 100 <= clock.now() < 200 else ("198.51.100.7",))

        async with trio.open_nursery() as nursery:
            await nursery.start(clock.run)
            nursery.start_soon(fake_route53)
            nursery.start_soon(service.run)
            for _ in range(24):  # a request every 50 s
                outcomes.append((clock.now(), await client.request("key")))
                await clock.sleep(50.0)
            nursery.cancel_scope.cancel()

    trio.run(main)
    # Positive answers are refreshed after 60 s; the empty one taken at t=100 is held until t=1000,
    # long after Route 53 answers again (t=200).
    assert asked == [0.0, 100.0, 1000.0, 1100.0]
    failing = [t for t, outcome in outcomes if outcome is Outcome.UNRESOLVABLE]
    assert failing == [100.0 + 50.0 * i for i in range(18)]
    assert all(outcome is Outcome.OK for t, outcome in outcomes if t not in failing)


def test_a_wait_for_capacity_shorter_than_the_clock_can_tell_still_moves_time_on() -> None:
    """At a throughput so high that the wait for one item is below a float's resolution at this
    time, the queued request must not wake at the same instant for ever (a livelock a generated
    config found): it is answered at the next instant the clock can represent."""
    config = ServiceConfig(capacity_items_per_s=1e300, burst_s=1e-300, max_backlog_items=20)

    async def body(service: Service, nursery: trio.Nursery) -> None:
        await service.clock.sleep(35.0)
        for key in "ab":
            service.send(nursery, key, 1)
        await service.clock.sleep(1.0)

    service = _within_wall_seconds(10, lambda: run_service(config, body))
    assert [(key, outcome) for key, _, outcome in sorted(service.answers)] == [("a", Outcome.OK), ("b", Outcome.OK)]
    assert all(35.0 <= at < 35.001 for _, at, _ in service.answers)


def _within_wall_seconds(seconds: int, call: Callable[[], Service]) -> Service:
    """``call()``, failed (not hung) if it spins past ``seconds`` of wall time."""

    def give_up(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds} s of wall time: a livelock")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(seconds)
    try:
        return call()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
