"""The operators' DNS runbook in isolation: scraped DNS metrics in, a repair out by messages.

It pages when the regional endpoint has no address, takes ``detect_delay_s``
to find DNS the cause and ``dns_repair_delay_s`` to repair it, asks the plan
store for the newest plan (waiting at most ``plan_store_timeout_s``, its own
timeout) and restores Route 53's records to it, then pauses the automation.
"""

from __future__ import annotations

from typing import Any

import attrs
import trio

from actors.dns.messages import GetNewestPlan, Plan, PlanStoreRequest, RestoreRecords, Route53Request, SetAutomation
from actors.operator.config import OperatorConfig
from emulator.kernel.clock import VirtualClock
from emulator.kernel.trace import Trace
from tests.actor_harness import run_with_clock

PLAN = Plan(7, ())


def _run_runbook(operator: OperatorConfig, *, plan_store_answers_after_s: float | None) -> dict[str, list[Any]]:
    """An hour-long run with the endpoint empty from 600 s on; what the runbook did and sent."""
    from actors.operator.dns_runbook import run_dns_runbook
    from actors.operator.stats import OperatorStats

    seen: dict[str, list[Any]] = {"asked": [], "route53": [], "automation": [], "milestones": []}

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        trace = Trace(clock, 1)
        plan_store_send, plan_store_receive = trio.open_memory_channel[PlanStoreRequest](4)
        route53_send, route53_receive = trio.open_memory_channel[Route53Request](4)
        switch_send, switch_receive = trio.open_memory_channel[SetAutomation](4)

        def scrape() -> dict[str, object]:
            # Empty from 600 s on, until Route 53 has been told to restore the records.
            empty = clock.now() >= 600.0 and not seen["route53"]
            return {"dns_regional_endpoint_addresses": 0 if empty else 4}

        nursery.start_soon(
            lambda: run_dns_runbook(
                clock=clock,
                config=operator,
                scrape=scrape,
                regional_endpoint="dynamodb.us-east-1",
                plan_store=plan_store_send,
                route53=route53_send,
                automation=[switch_send],
                actions=OperatorStats(),
                trace=trace,
            )
        )

        async def plan_store() -> None:
            async for request in plan_store_receive:
                assert isinstance(request, GetNewestPlan)
                seen["asked"].append(clock.now())
                if plan_store_answers_after_s is not None:
                    await clock.sleep(plan_store_answers_after_s)
                    request.reply.send(PLAN)

        async def record(key: str, receive: trio.MemoryReceiveChannel[Any]) -> None:
            async for message in receive:
                seen[key].append((clock.now(), message))

        nursery.start_soon(plan_store)
        nursery.start_soon(record, "route53", route53_receive)
        nursery.start_soon(record, "automation", switch_receive)
        await clock.sleep(3600.0)
        seen["milestones"].extend((entry["t"], entry["event"]) for entry in trace.timeline)

    run_with_clock(body)
    return seen


OPERATOR = OperatorConfig(poll_s=60.0, detect_delay_s=300.0, dns_repair_delay_s=600.0, plan_store_timeout_s=120.0)


def test_the_dns_runbook_restores_the_newest_plan_and_pauses_the_automation() -> None:
    seen = _run_runbook(OPERATOR, plan_store_answers_after_s=30.0)
    # Paged at the first poll that sees the empty endpoint, identified after detect_delay_s,
    # asked the plan store after dns_repair_delay_s more.
    assert seen["milestones"] == [
        (600.0, "operator_paged"),
        (900.0, "operator_identified_dns"),
        (1530.0, "operator_restored_dns"),
    ]
    assert seen["asked"] == [1500.0]
    assert seen["route53"] == [(1530.0, RestoreRecords(PLAN))]
    assert seen["automation"] == [(1530.0, SetAutomation(False))]


def test_a_plan_store_that_does_not_answer_fails_the_repair_after_the_operators_timeout_and_pages_again() -> None:
    seen = _run_runbook(OPERATOR, plan_store_answers_after_s=None)
    assert seen["asked"][0] == 1500.0
    assert seen["route53"] == [] and seen["automation"] == []
    # The repair gave up at 1500 + plan_store_timeout_s; the next poll still sees the endpoint
    # empty and starts over from the page.
    assert (1680.0, "operator_paged") in seen["milestones"]
    assert "operator_restored_dns" not in [event for _, event in seen["milestones"]]
    # And the timeout is the configured one: a longer wait pages again later.
    longer = _run_runbook(attrs.evolve(OPERATOR, plan_store_timeout_s=300.0), plan_store_answers_after_s=None)
    assert (1860.0, "operator_paged") in longer["milestones"]
