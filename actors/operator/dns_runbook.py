"""The operator's DNS runbook: AWS's engineers repairing the DNS records by hand.

It sees only what Prometheus would see: ``scrape()`` returns the metrics,
and it pages on the bundled alert rules' conditions (the regional endpoint
resolves to no address, ``dns_regional_endpoint_addresses == 0``; or the
automation is stuck, ``dns_automation_stuck == 1``), polling every ``poll_s``,
so its reaction time has that granularity. It takes ``detect_delay_s`` to
identify DNS as the cause (23:48 to 00:38 in the incident) and another
``dns_repair_delay_s`` to restore the records (02:25). It acts as any actor
would, by messages: the newest plan from the plan store, the records
restored to it in Route 53, then the automation paused (the Planner and every
Enactor), as AWS did worldwide, unless told not to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from actors.dns.messages import (
    GetNewestPlan,
    PlanStoreRequest,
    RestoreRecords,
    Route53Request,
    SetAutomation,
)
from actors.operator.actions import act
from emulator.kernel.mailbox import Reply

if TYPE_CHECKING:
    import trio

    from actors.operator.config import OperatorConfig
    from actors.operator.stats import OperatorStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["run_dns_runbook"]


async def run_dns_runbook(
    *,
    clock: Clock,
    config: OperatorConfig,
    scrape: Callable[[], Mapping[str, object]],
    regional_endpoint: str,
    plan_store: trio.MemorySendChannel[PlanStoreRequest],
    route53: trio.MemorySendChannel[Route53Request],
    automation: Sequence[trio.MemorySendChannel[SetAutomation]],
    actions: OperatorStats,
    trace: Trace,
) -> None:
    broken_since: float | None = None
    while True:
        await clock.sleep(config.poll_s)
        metrics = scrape()
        empty = metrics.get("dns_regional_endpoint_addresses") == 0
        stuck = metrics.get("dns_automation_stuck") == 1
        if not empty and not stuck:
            broken_since = None
            continue
        now = clock.now()
        if broken_since is None:
            broken_since = now
            trace.milestone(
                "operator_paged", "operator", why="regional endpoint empty" if empty else "automation stuck"
            )
            actions.note("paged")
        if now - broken_since < config.detect_delay_s:
            continue
        act(trace, actions, "identified_dns", endpoint=regional_endpoint)
        await clock.sleep(config.dns_repair_delay_s)
        request = GetNewestPlan(Reply())
        await plan_store.send(request)
        plan = await request.reply.wait_until(clock, clock.now() + config.plan_store_timeout_s)
        if plan is not None:
            await route53.send(RestoreRecords(plan))
            enabled = not config.pause_dns_automation_after_repair
            for switch in automation:
                await switch.send(SetAutomation(enabled))
            act(
                trace,
                actions,
                "restored_dns",
                generation=plan.generation,
                automation="paused" if config.pause_dns_automation_after_repair else "on",
            )
        broken_since = None
