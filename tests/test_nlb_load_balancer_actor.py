"""One NLB load balancer in isolation, its health checkers played by the test.

The checkers' results fail chosen AZs; the test reads which AZs the load
balancer fails out of DNS, which nodes stay in service, and what velocity
control and switching automatic failover off change about it.
"""

from __future__ import annotations

import math
import random
from typing import Any

import attrs
import trio

from actors.ec2.messages import InstanceTerminated
from actors.nlb.config import NlbConfig, VelocityControlConfig
from actors.nlb.load_balancer import LoadBalancer, LoadBalancerMessage
from actors.nlb.messages import CheckRequest, CheckResults, LoadBalancerTick, SetAutomaticFailover
from actors.nlb.stats import NlbStats
from emulator.kernel.clock import VirtualClock
from emulator.kernel.trace import Trace
from tests.actor_harness import run_with_clock


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
