"""Network Manager, the NLB's health checkers and load balancers, each alone: channels in, channels out."""

from __future__ import annotations

import math
import random
from typing import Any

import attrs
import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

from actors.ec2.messages import InstanceLaunched, InstanceTerminated, LeaseChanges
from actors.network.config import NetworkManagerConfig
from actors.network.manager import NetworkManager
from actors.network.messages import FULLY_PROPAGATED, PropagationProgress, checker_bit
from actors.network.stats import SKETCH_ACCURACY, NetworkStats
from actors.nlb.config import NlbConfig, VelocityControlConfig
from actors.nlb.health_checker import CheckerMessage, HealthChecker
from actors.nlb.load_balancer import LoadBalancer, LoadBalancerMessage
from actors.nlb.messages import CheckRequest, CheckResults, LoadBalancerTick, SetAutomaticFailover
from actors.nlb.reachable import ReachableInstances
from actors.nlb.stats import NlbStats
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


def _checker(
    clock: VirtualClock, stats: NlbStats
) -> tuple[HealthChecker, trio.MemorySendChannel[CheckerMessage], trio.MemoryReceiveChannel[CheckResults]]:
    inbox_send, inbox = trio.open_memory_channel[CheckerMessage](16)
    results_send, results = trio.open_memory_channel[CheckResults](16)
    checker = HealthChecker(
        0,
        clock=clock,
        config=NlbConfig(),
        stats=stats,
        trace=Trace(clock, 1),
        inbox=inbox,
        results=[results_send],
        peers=[None],
        reachable=[100],
    )
    return checker, inbox_send, results


def test_a_health_checker_passes_checks_of_propagated_targets_and_fails_the_others() -> None:
    answers: dict[int, bool] = {}

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        checker, inbox, results = _checker(clock, NlbStats(azs=1, load_balancers=1))
        await nursery.start(checker.run)
        # Instance 1 has reached this AZ's checkers; 2 only another AZ's; 3 nowhere; 100 was there from the start.
        inbox.send_nowait(PropagationProgress(((1, checker_bit(0)), (2, checker_bit(1)))))
        targets = ((1, None), (2, None), (3, None), (100, None))
        inbox.send_nowait(CheckRequest(lb=0, tick=0, targets=targets, candidates=(False,)))
        answer = await results.receive()
        answers.update(answer.results)
        assert clock.now() == NlbConfig().tick_s and answer.tick == 0

    run_with_clock(body)
    assert answers == {1: True, 2: False, 3: False, 100: True}


def test_a_loaded_health_checker_fails_the_checks_it_can_only_make_too_late() -> None:
    stats = NlbStats(azs=1, load_balancers=1)
    answers: list[bool] = []

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        checker, inbox, results = _checker(clock, stats)
        await nursery.start(checker.run)
        # 8 checks/s and a 10 s timeout: the 82nd check in a row would start 10.1 s late.
        inbox.send_nowait(CheckRequest(lb=0, tick=0, targets=((100, None),) * 100, candidates=(False,)))
        answers.extend(passed for _, passed in (await results.receive()).results)

    run_with_clock(body)
    assert answers == [True] * 81 + [False] * 19
    assert stats.checks == {"healthy": 81, "unhealthy": 0, "timeout": 19}


@attrs.define
class _LoadBalancerRun:
    failovers: list[tuple[int, int]]  # (tick, az)
    stats: NlbStats
    in_service: list[list[int]]


def _fail_azs(config: NlbConfig, failing: set[int], ticks: int, control: list[Any] | None = None) -> _LoadBalancerRun:
    """One load balancer over ``ticks`` ticks, its checkers played here: AZs in ``failing`` fail every check."""
    azs, per_az = 3, 4
    stats = NlbStats(azs=azs, load_balancers=1)
    initial = [[(-(az * per_az + k + 1), az) for k in range(per_az)] for az in range(azs)]
    az_of = {instance: az for az, group in enumerate(initial) for instance, _ in group}
    run = _LoadBalancerRun([], stats, [])

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        _, inbox = trio.open_memory_channel[LoadBalancerMessage](16)
        control_send, control_receive = trio.open_memory_channel[SetAutomaticFailover](4)
        results_send, results = trio.open_memory_channel[CheckResults](2 * azs)
        checkers = [trio.open_memory_channel[CheckRequest](4) for _ in range(azs)]
        terminations, _ = trio.open_memory_channel[InstanceTerminated](math.inf)
        monitor_send, monitor = trio.open_memory_channel[LoadBalancerTick](4)
        lb = LoadBalancer(
            0,
            clock=clock,
            rng=random.Random(3),
            config=config,
            stats=stats,
            trace=Trace(clock, 3),
            targets=initial,
            inbox=inbox,
            control=control_receive,
            results=results,
            checkers=[send for send, _ in checkers],
            terminations=terminations,
            monitor=monitor_send,
        )
        await nursery.start(lb.run)
        for tick in range(ticks):
            await clock.sleep_until((tick + 1) * config.tick_s)
            if control and tick == ticks // 2:
                control_send.send_nowait(control[0])
            for checker, (_, requests) in enumerate(checkers):
                request = requests.receive_nowait()
                answers = tuple((instance, az_of[instance] not in failing) for instance, _ in request.targets)
                results_send.send_nowait(CheckResults(checker, tick, answers))
            report = await monitor.receive()
            run.failovers.extend((report.tick, az) for az, _ in report.failovers)
            run.in_service.append(list(stats.nodes_in_dns))

    run_with_clock(body)
    return run


def test_a_load_balancer_fed_failing_results_fails_those_azs_out_of_dns() -> None:
    config = NlbConfig(load_balancers=1, health_check_interval_s=5.0)  # every target checked every tick
    run = _fail_azs(config, failing={0, 1}, ticks=4)
    # Two failures in a row take every target of AZs 0 and 1 out, then their nodes.
    assert run.failovers == [(1, 0), (1, 1)]
    assert run.in_service == [[1, 1, 1], [0, 0, 1], [0, 0, 1], [0, 0, 1]]


def test_when_every_az_fails_dns_fails_open_and_answers_with_every_node() -> None:
    config = NlbConfig(load_balancers=1, health_check_interval_s=5.0)
    run = _fail_azs(config, failing={0, 1, 2}, ticks=4)
    assert run.failovers == [(1, 0), (1, 1), (1, 2)], "each AZ's record is still marked unhealthy"
    # Route 53 answers with all of a name's records when none is healthy: capacity never reaches zero.
    assert run.in_service == [[1, 1, 1]] * 4
    assert run.stats.min_capacity_fraction == 1.0


def test_velocity_control_refuses_a_failover_past_its_limit() -> None:
    velocity = VelocityControlConfig(enabled=True, max_removal_fraction=0.34)
    config = NlbConfig(load_balancers=1, health_check_interval_s=5.0, velocity_control=velocity)
    run = _fail_azs(config, failing={0, 1}, ticks=4)
    assert run.failovers == [(1, 0)]
    assert run.in_service[-1] == [0, 1, 1]
    assert run.stats.failovers_refused == 3  # AZ 1, at each tick from the second on


def test_disabling_automatic_failover_puts_every_node_back_in_dns() -> None:
    config = NlbConfig(load_balancers=1, health_check_interval_s=5.0)
    run = _fail_azs(config, failing={0, 1}, ticks=6, control=[SetAutomaticFailover(False)])
    assert run.in_service[2] == [0, 0, 1]
    assert run.in_service[-1] == [1, 1, 1] and run.stats.automatic_failover == [False]


def test_the_nlb_runbook_pages_on_the_transition_rate_and_switches_failover_on_every_load_balancer() -> None:
    from actors.operator.config import OperatorConfig
    from actors.operator.nlb_runbook import run_nlb_runbook
    from actors.operator.stats import OperatorStats

    operator = OperatorConfig(disable_failover_delay_s=120.0, reenable_failover_delay_s=600.0)
    received: list[tuple[float, int, bool]] = []
    milestones: list[tuple[float, str]] = []

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        trace = Trace(clock, 1)
        channels = [trio.open_memory_channel[SetAutomaticFailover](4) for _ in range(2)]

        def scrape() -> dict[str, object]:
            # Quiet for an hour, then a target changes state every two seconds.
            return {"nlb_health_transitions_total": max(0.0, clock.now() - 3600.0) / 2}

        nursery.start_soon(
            lambda: run_nlb_runbook(
                clock=clock,
                operator=operator,
                configured_failover=True,
                scrape=scrape,
                failover=[send for send, _ in channels],
                actions=OperatorStats(),
                trace=trace,
            )
        )

        async def read(index: int, receive: trio.MemoryReceiveChannel[SetAutomaticFailover]) -> None:
            async for message in receive:
                received.append((clock.now(), index, message.enabled))

        for index, (_, receive) in enumerate(channels):
            nursery.start_soon(read, index, receive)
        await clock.sleep(4 * 3600.0)
        milestones.extend((entry["t"], entry["event"]) for entry in trace.timeline)

    run_with_clock(body)
    paged = milestones[0][0]
    # 0.5 transitions/s reach the 0.35/s paging rate over 15 minutes about 10.5 minutes in.
    assert milestones[0][1] == "operator_paged_nlb" and 3600 + 600 <= paged <= 3600 + 700
    # Still flapping once re-enabled: it pages again, as it would.
    assert received[:4] == [
        (paged + 120, 0, False),
        (paged + 120, 1, False),
        (paged + 720, 0, True),
        (paged + 720, 1, True),
    ]


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


@given(ids=st.lists(st.integers(min_value=-50, max_value=400), max_size=300), probes=st.lists(st.integers(-60, 420)))
def test_the_reachable_instances_of_a_checker_are_exactly_a_set_of_what_it_was_told(
    ids: list[int], probes: list[int]
) -> None:
    reachable = ReachableInstances(ids[:10])
    reachable.update(ids[10:])
    told = set(ids)
    assert len(reachable) == len(told)
    assert all((probe in reachable) == (probe in told) for probe in [*probes, *ids])


def test_instances_reachable_in_launch_order_cost_no_memory_each() -> None:
    reachable = ReachableInstances(range(-40, 0))
    draw = random.Random(5)
    pending: list[int] = []
    for instance in range(1, 200_001):  # each reaches the checker within 50 launches of its own
        pending.append(instance)
        if len(pending) > 50:
            reachable.add(pending.pop(draw.randrange(len(pending))))
    assert len(reachable) == 200_000 - 50 + 40
    # Only the ids past the floor (a straggler holds it back a few hundred ids at most) and
    # the initial ones are stored: not 200,000.
    assert reachable.held < 1_000
