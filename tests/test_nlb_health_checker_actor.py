"""The NLB's health checkers in isolation: check requests in, check results out.

A checker passes a target only once the target's propagation has reached its
AZ, and fails the checks it can only make too late; the set of instances
reachable from it must hold exactly what it was told, in little memory.
"""

from __future__ import annotations

import random

import trio
from hypothesis import given
from hypothesis import strategies as st

from actors.network.messages import PropagationProgress, checker_bit
from actors.nlb.config import NlbConfig
from actors.nlb.health_checker import CheckerMessage, HealthChecker
from actors.nlb.messages import CheckRequest, CheckResults
from actors.nlb.reachable import ReachableInstances
from actors.nlb.stats import NlbStats
from emulator.kernel.clock import VirtualClock
from emulator.kernel.trace import Trace
from tests.actor_harness import run_with_clock


def _checker(
    clock: VirtualClock, stats: NlbStats, config: NlbConfig | None = None
) -> tuple[HealthChecker, trio.MemorySendChannel[CheckerMessage], trio.MemoryReceiveChannel[CheckResults]]:
    inbox_send, inbox = trio.open_memory_channel[CheckerMessage](16)
    results_send, results = trio.open_memory_channel[CheckResults](16)
    checker = HealthChecker(
        0,
        clock=clock,
        config=config or NlbConfig(),
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


def _passed_after_one_target_back_in_service(config: NlbConfig) -> int:
    """One check that puts a target back in service, then 100 plain checks: how many pass in time."""
    answers: list[bool] = []

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        checker, inbox, results = _checker(clock, NlbStats(azs=1, load_balancers=1), config)
        await nursery.start(checker.run)
        targets = ((100, True), *((100, None),) * 100)
        inbox.send_nowait(CheckRequest(lb=0, tick=0, targets=targets, candidates=(False,)))
        answers.extend(passed for _, passed in (await results.receive()).results)

    run_with_clock(body)
    return sum(answers)


def test_putting_a_target_back_in_service_costs_the_checker_the_configured_share_of_a_transition() -> None:
    # 8 checks/s, a 10 s timeout, a transition of 25 units. Back in service at 0.2 of it: 1 + 5 units
    # are queued before check 1, so checks 1..75 start within 10 s (76 pass with the first); at the
    # full 25 units, checks 1..55 (56 pass).
    assert _passed_after_one_target_back_in_service(NlbConfig()) == 76
    assert _passed_after_one_target_back_in_service(NlbConfig(back_in_service_cost_fraction=1.0)) == 56


@given(ids=st.lists(st.integers(min_value=-50, max_value=400), max_size=300), probes=st.lists(st.integers(-60, 420)))
def test_the_reachable_instances_of_a_checker_are_exactly_a_set_of_what_it_was_told(
    ids: list[int], probes: list[int]
) -> None:
    reachable = ReachableInstances(ids[:10])
    reachable.update(ids[10:])
    told = set(ids)
    assert len(reachable) == len(told)
    assert all((probe in reachable) == (probe in told) for probe in [*probes, *ids])
    floor, above, others = reachable.as_test()  # the checker's written-out test says the same
    assert all(((p <= floor or p in above) if p >= 1 else p in others) == (p in told) for p in [*probes, *ids])


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
