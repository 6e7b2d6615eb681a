"""One DNS Enactor in isolation, against Route 53 and the plan store run as tasks.

No world: the stores run on their channels (tests.dns_harness), one Enactor
runs against them, and the test plays the other Enactor, or the controls
that switch it off and stall it.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

import trio

from actors.dns.config import DnsConfig, EnactorConfig, Route53Config
from actors.dns.enactor import DnsEnactor
from actors.dns.messages import EnactorControl, PutPlan, RestoreRecords, SetAutomation, StallEnactor, TransactionResult
from tests.dns_harness import OTHER, REGIONAL, Dns, plan, run_with

STEADY = EnactorConfig(stall_probability=0.0)
STEADY_ROUTE53 = Route53Config(transaction_median_s=1.0, transaction_sigma=0.0, regional_record_set_factor=1.0)


def run_enactor(
    config: DnsConfig, body: Callable[[Dns, trio.MemorySendChannel[EnactorControl]], Awaitable[None]]
) -> Dns:
    """The stores hold generations 1 (applied) and 2; one Enactor runs from t=0."""

    async def with_enactor(dns: Dns) -> None:
        await dns.route53.send(RestoreRecords(plan(1)))
        for generation in (1, 2):
            await dns.plans.send(PutPlan(plan(generation)))
        controls, control_inbox = trio.open_memory_channel[EnactorControl](4)
        enactor = DnsEnactor(
            "enactor",
            clock=dns.clock,
            rng=random.Random(0),
            config=config,
            plan_store=dns.plans,
            route53=dns.route53,
            cleanup=dns.cleanup,
            control=control_inbox,
            stats=dns.stats,
            trace=dns.trace,
            regional_endpoint=REGIONAL,
        )
        async with trio.open_nursery() as nursery:
            nursery.start_soon(enactor.run)
            await body(dns, controls)
            nursery.cancel_scope.cancel()

    return run_with(config, with_enactor)


async def _overtake(dns: Dns) -> None:
    """At t=0.5, while the Enactor's first batch is in flight, another applies generation 20 to OTHER."""
    await dns.clock.sleep(0.5)
    for generation in range(3, 21):
        await dns.plans.send(PutPlan(plan(generation)))
    assert await dns.apply(OTHER, 20, "fast") is TransactionResult.APPLIED


def test_an_enactor_checks_freshness_once_so_it_overwrites_a_newer_plan_applied_meanwhile() -> None:
    seen: dict[str, object] = {}

    async def body(dns: Dns, controls: trio.MemorySendChannel[EnactorControl]) -> None:
        await _overtake(dns)
        await dns.clock.sleep(2.0)  # the Enactor commits REGIONAL at t=1 and OTHER at t=2
        seen["other"] = await dns.resolve(OTHER)

    dns = run_enactor(DnsConfig(route53=STEADY_ROUTE53, enactor=STEADY), body)
    assert seen["other"] == ("10.2.0.1", "10.2.0.2")  # generation 20 overwritten by 2
    # Lag is measured when each batch commits: both land after generation 20 is out.
    assert dns.stats.stale_writes == 2 and dns.stats.enactor_max_lag_generations == 18


def test_with_the_race_fix_the_enactor_abandons_its_pass_instead() -> None:
    seen: dict[str, object] = {}

    async def body(dns: Dns, controls: trio.MemorySendChannel[EnactorControl]) -> None:
        await _overtake(dns)
        await dns.clock.sleep(2.0)
        seen["other"] = await dns.resolve(OTHER)

    dns = run_enactor(DnsConfig(route53=STEADY_ROUTE53, enactor=STEADY, race_fix=True), body)
    assert seen["other"] == ("10.20.0.1", "10.20.0.2")
    assert dns.stats.stale_writes == 1  # REGIONAL's, where nothing newer was there to protect


def test_an_enactor_switched_off_or_stalled_by_its_controls_commits_nothing_until_released() -> None:
    commits: list[tuple[float, object]] = []

    async def body(dns: Dns, controls: trio.MemorySendChannel[EnactorControl]) -> None:
        controls.send_nowait(SetAutomation(False))
        await dns.clock.sleep(20.0)
        commits.append((dns.clock.now(), await dns.resolve(REGIONAL)))
        controls.send_nowait(StallEnactor(until=50.0))
        controls.send_nowait(SetAutomation(True))  # on again, but paused until t=50
        await dns.clock.sleep(20.0)
        commits.append((dns.clock.now(), await dns.resolve(REGIONAL)))
        await dns.clock.sleep(20.0)
        commits.append((dns.clock.now(), await dns.resolve(REGIONAL)))

    run_enactor(DnsConfig(route53=STEADY_ROUTE53, enactor=STEADY), body)
    assert commits == [
        (20.0, ("10.1.0.1", "10.1.0.2")),
        (40.0, ("10.1.0.1", "10.1.0.2")),
        (60.0, ("10.2.0.1", "10.2.0.2")),  # applied once the stall ended at t=50
    ]
