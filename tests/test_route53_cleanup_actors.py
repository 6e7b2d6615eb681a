"""Route 53 and clean-up in isolation: the lock, the race fix, and clean-up emptying an endpoint.

No world: the stores and clean-up run as tasks (tests.dns_harness); the tests
play the Enactors' part by sending the messages they would send and reading
the answers off the replies, down to the incident's interleaving, played by hand.
"""

from __future__ import annotations

from actors.dns.config import DnsConfig, Route53Config
from actors.dns.messages import (
    CleanupRequest,
    ListGenerations,
    PutPlan,
    RestoreRecords,
    RollbackState,
    TransactionResult,
)
from emulator.kernel.mailbox import Reply
from tests.dns_harness import ENDPOINTS, OTHER, REGIONAL, Dns, plan, run_with

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
