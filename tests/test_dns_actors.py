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
from actors.dns.config import DnsConfig, EnactorConfig
from actors.dns.enactor import DnsEnactor
from actors.dns.messages import (
    AcquireLock,
    CleanupRequest,
    CommitBatch,
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
        self.trace = Trace(clock, seed=0)
        self.route53, route53_inbox = trio.open_memory_channel[Route53Request](64)
        self.plans, plans_inbox = trio.open_memory_channel[PlanStoreRequest](64)
        self.cleanup, self._cleanup_inbox = trio.open_memory_channel[CleanupRequest](4)
        self._store = DnsStore(
            route53_inbox, clock=clock, trace=self.trace, stats=self.stats, regional_endpoint=REGIONAL
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

    async def lock(self, endpoint: str, holder: str) -> object:
        return await self.ask_route53(AcquireLock(endpoint, holder, 30.0, Reply()))

    async def commit(self, endpoint: str, generation: int, holder: str, *, race_fix: bool = False) -> object:
        batch = CommitBatch(endpoint, plan(generation), holder, race_fix, refuse_empty=False, reply=Reply())
        return await self.ask_route53(batch)

    async def apply(self, endpoint: str, generation: int, holder: str) -> object:
        """What an Enactor does for one endpoint: take the lock, then commit."""
        assert await self.lock(endpoint, holder) is True
        return await self.commit(endpoint, generation, holder)

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


def test_route53_answers_a_lock_conflict_and_applies_the_holders_batch_whole() -> None:
    seen: dict[str, object] = {}

    async def body(dns: Dns) -> None:
        await dns.route53.send(RestoreRecords(plan(1)))
        seen["a_locks"] = await dns.lock(REGIONAL, "enactor-a")
        seen["b_locks"] = await dns.lock(REGIONAL, "enactor-b")
        seen["b_commits_without_the_lock"] = await dns.commit(REGIONAL, 3, "enactor-b")
        # The batch and a query sent back to back: the query sees the batch whole.
        batch = CommitBatch(REGIONAL, plan(2), "enactor-a", False, False, Reply())
        query = Resolve(REGIONAL, Reply())
        dns.route53.send_nowait(batch)
        dns.route53.send_nowait(query)
        seen["a_commits"] = await batch.reply.wait_until(dns.clock, 5.0)
        seen["answer"] = await query.reply.wait_until(dns.clock, 5.0)
        seen["rollback"] = (await dns.rollback_state()).rollback_generation
        seen["b_locks_after_release"] = await dns.lock(REGIONAL, "enactor-b")

    dns = run_with(DnsConfig(), body)
    assert seen == {
        "a_locks": True,
        "b_locks": False,
        "b_commits_without_the_lock": TransactionResult.LOCK_CONFLICT,
        "a_commits": TransactionResult.APPLIED,
        "answer": ("10.2.0.1", "10.2.0.2"),
        "rollback": 2,
        "b_locks_after_release": True,
    }
    assert dns.stats.transactions == 1
    assert dns.stats.regional_addresses == 2


def test_with_the_race_fix_a_stale_batch_is_refused_and_changes_nothing() -> None:
    seen: dict[str, object] = {}

    async def body(dns: Dns) -> None:
        await dns.route53.send(RestoreRecords(plan(1)))
        assert await dns.apply(REGIONAL, 9, "fast") is TransactionResult.APPLIED
        assert await dns.lock(REGIONAL, "slow") is True
        seen["slow"] = await dns.commit(REGIONAL, 4, "slow", race_fix=True)
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
        assert await dns.lock(OTHER, "fast") is True
        seen["next_batch"] = await dns.commit(OTHER, 16, "fast")

    dns = run_with(DnsConfig(), body)
    state = seen["state"]
    assert isinstance(state, RollbackState)
    assert seen["answer"] == ()
    assert state.rollback_generation == 2 and 2 not in state.record_generations
    assert state.inconsistent_endpoints == 1
    assert seen["next_batch"] is TransactionResult.INCONSISTENT
    assert dns.stats.race_occurred and dns.stats.first_empty_at == 1.0  # clean-up's latency
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

    dns = run_with(DnsConfig(plan_protection=True), body)
    state = seen["state"]
    assert isinstance(state, RollbackState)
    assert seen["answer"] == ("10.2.0.1", "10.2.0.2")
    assert state.inconsistent_endpoints == 0 and state.rollback_generation in state.record_generations
    # Generations 1, 3 and 4 were neither active nor recent; 2 is active again.
    assert seen["stored"] == (2, *range(5, 16))
    assert not dns.stats.race_occurred


# -- one Enactor against the stores -------------------------------------------------------

STEADY = EnactorConfig(stall_probability=0.0, latency_median_s=1.0, latency_sigma=0.0)


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

    dns = run_enactor(DnsConfig(enactor=STEADY), body)
    assert seen["other"] == ("10.2.0.1", "10.2.0.2")  # generation 20 overwritten by 2
    assert dns.stats.stale_writes == 1 and dns.stats.enactor_max_lag_generations == 18


def test_with_the_race_fix_the_enactor_abandons_its_pass_instead() -> None:
    seen: dict[str, object] = {}

    async def body(dns: Dns, controls: trio.MemorySendChannel[EnactorControl]) -> None:
        await _overtake(dns)
        await dns.clock.sleep(2.0)
        seen["other"] = await dns.resolve(OTHER)

    dns = run_enactor(DnsConfig(enactor=STEADY, race_fix=True), body)
    assert seen["other"] == ("10.20.0.1", "10.20.0.2")
    assert dns.stats.stale_writes == 0


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

    run_enactor(DnsConfig(enactor=STEADY), body)
    assert commits == [
        (20.0, ("10.1.0.1", "10.1.0.2")),
        (40.0, ("10.1.0.1", "10.1.0.2")),
        (60.0, ("10.2.0.1", "10.2.0.2")),  # applied once the stall ended at t=50
    ]
