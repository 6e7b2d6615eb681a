"""The DNS automation's actors in isolation: tasks fed messages on their channels.

No world: Route 53, the plan store and clean-up run as tasks; the tests play
the Enactors' part by sending the messages they would send and reading the
answers off the replies, or run one Enactor against them and play the other.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from actors.dns.asking import Request, ask
from actors.dns.cleanup import run_cleanup
from actors.dns.config import DnsConfig, EnactorConfig, Route53Config
from actors.dns.enactor import DnsEnactor
from actors.dns.messages import (
    CleanupRequest,
    EnactorControl,
    GetRollbackState,
    ListGenerations,
    Plan,
    PlanStoreRequest,
    PutPlan,
    Resolve,
    RestoreRecords,
    RollbackState,
    Route53Request,
    SetAutomation,
    StallEnactor,
    Transact,
    TransactionResult,
    WeightedRecord,
)
from actors.dns.plan_store import PlanStore
from actors.dns.route53 import DnsStore
from actors.dns.stats import DnsStats
from emulator.kernel.clock import VirtualClock
from emulator.kernel.mailbox import Reply
from emulator.kernel.trace import Trace

REGIONAL = "dynamodb.us-east-1.amazonaws.com"
OTHER = "dynamodb.us-east-1.api.aws"
ENDPOINTS = (REGIONAL, OTHER)


def plan(generation: int) -> Plan:
    """Generation ``g``'s addresses are 10.g.0.1 and 10.g.0.2 on every endpoint."""
    records = tuple(WeightedRecord(f"10.{generation}.0.{host}", 50) for host in (1, 2))
    return Plan(generation, tuple((endpoint, records) for endpoint in ENDPOINTS))


class Dns:
    """Route 53 and the plan store as tasks, with the ends a test talks to."""

    def __init__(self, clock: VirtualClock, config: DnsConfig) -> None:
        self.clock = clock
        self.config = config
        self.stats = DnsStats()
        self.cleanup_requested_at = 0.0
        self.trace = Trace(clock, seed=0)
        self.route53, route53_inbox = trio.open_memory_channel[Route53Request](64)
        self.plans, plans_inbox = trio.open_memory_channel[PlanStoreRequest](64)
        self.cleanup, self._cleanup_inbox = trio.open_memory_channel[CleanupRequest](4)
        self._store = DnsStore(
            route53_inbox,
            clock=clock,
            trace=self.trace,
            stats=self.stats,
            regional_endpoint=REGIONAL,
            rng=random.Random(0),
            config=config.route53,
        )
        self._plan_store = PlanStore(plans_inbox, stats=self.stats, trace=self.trace)

    def start(self, nursery: trio.Nursery) -> None:
        nursery.start_soon(self._store.run)
        nursery.start_soon(self._plan_store.run)
        nursery.start_soon(self._run_cleanup)

    async def _run_cleanup(self) -> None:
        await run_cleanup(
            clock=self.clock,
            config=self.config,
            requests=self._cleanup_inbox,
            plan_store=self.plans,
            route53=self.route53,
            stats=self.stats,
            trace=self.trace,
        )

    async def ask_route53(self, message: Request[Any]) -> object:
        return await ask(self.clock, self.route53, message, 5.0)

    def transact(self, endpoint: str, generation: int, holder: str, *, race_fix: bool = False) -> Transact:
        """Send one endpoint's transaction without waiting for its answer."""
        transaction = Transact(endpoint, plan(generation), holder, race_fix, refuse_empty=False, reply=Reply())
        self.route53.send_nowait(transaction)
        return transaction

    async def apply(self, endpoint: str, generation: int, holder: str, *, race_fix: bool = False) -> object:
        """What an Enactor does for one endpoint: one transaction, its answer."""
        return await self.transact(endpoint, generation, holder, race_fix=race_fix).reply.wait_until(
            self.clock, self.clock.now() + 60.0
        )

    async def resolve(self, endpoint: str) -> object:
        return await self.ask_route53(Resolve(endpoint, Reply()))

    async def rollback_state(self) -> RollbackState:
        state = await self.ask_route53(GetRollbackState(Reply()))
        assert isinstance(state, RollbackState)
        return state


def run_with(config: DnsConfig, body: Callable[[Dns], Awaitable[None]]) -> Dns:
    clock = VirtualClock()
    dns = Dns(clock, config)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(clock.run)
            dns.start(nursery)
            await body(dns)
            nursery.cancel_scope.cancel()

    trio.run(main)
    return dns


# Every batch takes exactly 1 s here (2 s on the regional endpoint): no jitter.
FIXED = Route53Config(transaction_median_s=1.0, transaction_sigma=0.0, regional_record_set_factor=2.0)


def test_route53_refuses_a_second_transaction_while_one_is_in_flight_and_commits_the_first_whole() -> None:
    seen: dict[str, object] = {}

    async def body(dns: Dns) -> None:
        await dns.route53.send(RestoreRecords(plan(1)))
        first = dns.transact(REGIONAL, 2, "enactor-a")
        await dns.clock.sleep(0.5)
        second = dns.transact(REGIONAL, 3, "enactor-b")
        seen["b_conflicts_at_once"] = (await second.reply.wait_until(dns.clock, 10.0), dns.clock.now())
        seen["mid_batch_answer"] = await dns.resolve(REGIONAL)  # nothing of the batch shows yet
        seen["a_commits"] = (await first.reply.wait_until(dns.clock, 10.0), dns.clock.now())
        seen["answer"] = await dns.resolve(REGIONAL)
        seen["rollback"] = (await dns.rollback_state()).rollback_generation
        seen["other_endpoint_meanwhile"] = await dns.apply(OTHER, 2, "enactor-b")
        seen["b_after_release"] = await dns.apply(REGIONAL, 3, "enactor-b")

    dns = run_with(DnsConfig(route53=FIXED), body)
    assert seen == {
        "b_conflicts_at_once": (TransactionResult.LOCK_CONFLICT, 0.5),
        "mid_batch_answer": ("10.1.0.1", "10.1.0.2"),
        "a_commits": (TransactionResult.APPLIED, 2.0),  # the regional batch: twice the others'
        "answer": ("10.2.0.1", "10.2.0.2"),
        "rollback": 2,
        "other_endpoint_meanwhile": TransactionResult.APPLIED,
        "b_after_release": TransactionResult.APPLIED,
    }
    assert dns.stats.transactions == 3


def test_with_the_race_fix_a_stale_batch_is_refused_and_changes_nothing() -> None:
    seen: dict[str, object] = {}

    async def body(dns: Dns) -> None:
        await dns.route53.send(RestoreRecords(plan(1)))
        assert await dns.apply(REGIONAL, 9, "fast") is TransactionResult.APPLIED
        seen["slow"] = await dns.apply(REGIONAL, 4, "slow", race_fix=True)
        seen["answer"] = await dns.resolve(REGIONAL)
        seen["rollback"] = (await dns.rollback_state()).rollback_generation

    run_with(DnsConfig(), body)
    assert seen == {"slow": TransactionResult.STALE, "answer": ("10.9.0.1", "10.9.0.2"), "rollback": 9}


async def _race(dns: Dns) -> None:
    """The incident's interleaving, played by hand.

    A fast Enactor applies generation 15 everywhere; a slow one, whose
    freshness check was made back at generation 2, then writes generation 2
    to the regional endpoint; the fast one's clean-up (keep 10) follows.
    """
    await dns.route53.send(RestoreRecords(plan(1)))
    for generation in range(1, 16):
        await dns.plans.send(PutPlan(plan(generation)))
    for endpoint in ENDPOINTS:
        assert await dns.apply(endpoint, 15, "fast") is TransactionResult.APPLIED
    assert await dns.apply(REGIONAL, 2, "slow") is TransactionResult.APPLIED
    dns.cleanup_requested_at = dns.clock.now()
    request = CleanupRequest(15, "fast")
    await dns.cleanup.send(request)
    assert await request.done.wait_until(dns.clock, dns.clock.now() + 60.0) is not None


def test_cleanup_deleting_the_plan_the_rollback_record_points_at_empties_the_endpoint_and_sticks() -> None:
    seen: dict[str, object] = {}

    async def body(dns: Dns) -> None:
        await _race(dns)
        seen["answer"] = await dns.resolve(REGIONAL)
        seen["state"] = await dns.rollback_state()
        # No later plan can be applied: nothing to roll back from, or diff against.
        seen["next_batch"] = await dns.apply(OTHER, 16, "fast")

    dns = run_with(DnsConfig(route53=FIXED), body)
    state = seen["state"]
    assert isinstance(state, RollbackState)
    assert seen["answer"] == ()
    assert state.rollback_generation == 2 and 2 not in state.record_generations
    assert state.inconsistent_endpoints == 1
    assert seen["next_batch"] is TransactionResult.INCONSISTENT
    # Emptied by clean-up, its latency after it was asked; the slow writer is named.
    assert dns.stats.race_occurred and dns.stats.first_empty_at == dns.cleanup_requested_at + 1.0
    assert dns.stats.race_details[0]["late_enactor"] == "slow"
    assert dns.stats.regional_addresses == 0
    assert [entry["event"] for entry in dns.trace.timeline] == ["dns_race", "regional_endpoint_empty"]


def test_with_plan_protection_cleanup_keeps_the_active_plan_and_the_endpoint_answers() -> None:
    seen: dict[str, object] = {}

    async def body(dns: Dns) -> None:
        await _race(dns)
        seen["answer"] = await dns.resolve(REGIONAL)
        seen["state"] = await dns.rollback_state()
        reply = Reply[tuple[int, ...]]()
        await dns.plans.send(ListGenerations(reply))
        seen["stored"] = await reply.wait_until(dns.clock, dns.clock.now() + 5.0)

    dns = run_with(DnsConfig(plan_protection=True, route53=FIXED), body)
    state = seen["state"]
    assert isinstance(state, RollbackState)
    assert seen["answer"] == ("10.2.0.1", "10.2.0.2")
    assert state.inconsistent_endpoints == 0 and state.rollback_generation in state.record_generations
    # Generations 1, 3 and 4 were neither active nor recent; 2 is active again.
    assert seen["stored"] == (2, *range(5, 16))
    assert not dns.stats.race_occurred


# -- one Enactor against the stores -------------------------------------------------------

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
