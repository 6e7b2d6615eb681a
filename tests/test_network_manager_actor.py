"""Network Manager in isolation: lease changes and instance events in, propagation progress out.

Each test runs the manager alone in virtual time and reads what it publishes:
work for an unleased droplet is held until its lease is back, terminations
propagate without being published, and its latency statistics answer
quantiles closely in bounded memory.
"""

from __future__ import annotations

import random

import pytest
import trio

from actors.ec2.messages import InstanceLaunched, InstanceTerminated, LeaseChanges
from actors.network.config import NetworkManagerConfig
from actors.network.manager import NetworkManager
from actors.network.messages import FULLY_PROPAGATED, PropagationProgress
from actors.network.stats import SKETCH_ACCURACY, NetworkStats
from emulator.kernel.clock import VirtualClock
from emulator.kernel.trace import Trace
from tests.actor_harness import run_with_clock


def test_network_manager_holds_work_for_an_unleased_droplet_until_its_lease_is_back_then_publishes_it() -> None:
    published: list[tuple[float, dict[int, int]]] = []

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        progress_send, progress = trio.open_memory_channel[PropagationProgress](16)
        manager = NetworkManager(
            clock=clock,
            rng=random.Random(1),
            config=NetworkManagerConfig(workers=2),
            stats=NetworkStats(),
            trace=Trace(clock, 1),
            progress=[progress_send],
        )
        await nursery.start(manager.run)

        async def read() -> None:
            async for message in progress:
                published.append((clock.now(), dict(message.updates)))

        nursery.start_soon(read)
        manager.inbox.send_nowait(LeaseChanges("dwfm-a", lapsed=(7,), restored=()))
        await clock.sleep(1.0)
        manager.inbox.send_nowait(InstanceLaunched(1, az=0, droplet=7, at=1.0))
        manager.inbox.send_nowait(InstanceLaunched(2, az=0, droplet=8, at=1.0))
        await clock.sleep(100.0)
        assert [1 in updates for _, updates in published] == [False], "only instance 2 went through"
        manager.inbox.send_nowait(LeaseChanges("dwfm-a", lapsed=(), restored=(7,)))
        await clock.sleep(100.0)

    run_with_clock(body)
    (first_at, first), (second_at, second) = published
    assert first_at == 5.0 and first == {2: FULLY_PROPAGATED}
    # Retried at the next blocked-work retry (120 s), published at the next publish after it.
    assert second_at == 125.0 and second == {1: FULLY_PROPAGATED}


def test_network_manager_propagates_a_termination_without_publishing_it() -> None:
    stats = NetworkStats()
    published: list[PropagationProgress] = []

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        progress_send, progress = trio.open_memory_channel[PropagationProgress](16)
        manager = NetworkManager(
            clock=clock,
            rng=random.Random(1),
            config=NetworkManagerConfig(),
            stats=stats,
            trace=Trace(clock, 1),
            progress=[progress_send],
        )
        await nursery.start(manager.run)
        manager.inbox.send_nowait(InstanceTerminated(-1, az=1, droplet=4, at=0.0))
        await clock.sleep(30.0)
        while True:
            try:
                published.append(progress.receive_nowait())
            except trio.WouldBlock:
                break

    run_with_clock(body)
    assert published == []
    assert stats.latency_count == 1 and stats.backlog == 0


def test_propagation_latency_quantiles_are_within_half_a_percent_in_bounded_memory() -> None:
    stats = NetworkStats(bucket_bounds=(1.0, 10.0))
    draw = random.Random(7)
    latencies = [0.0] * 50 + [draw.lognormvariate(1.0, 2.0) for _ in range(100_000)]
    for latency in latencies:
        stats.observe(latency)
    ordered = sorted(latencies)
    for q in (0.0001, 0.5, 0.9, 0.99, 0.999):
        exact = ordered[int(q * len(ordered))]
        assert stats.quantile(q) == pytest.approx(exact, rel=SKETCH_ACCURACY, abs=1e-9), q
    assert len(stats.latency_sketch) < 5_000, "buckets grow with the log of the range, not with the count"
