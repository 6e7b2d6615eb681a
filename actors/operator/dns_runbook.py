"""The operator's DNS runbook: AWS's engineers repairing the DNS records by hand.

It watches the regional endpoint and the automation's consistency the way an
alarm would (polling, so its reaction time has the granularity of ``poll_s``),
takes ``detect_delay_s`` to identify DNS as the cause (23:48 to 00:38 in the
incident) and another ``dns_repair_delay_s`` to restore the records (02:25),
after which it pauses the DNS automation, as AWS did worldwide, unless told not to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.operator.actions import act

if TYPE_CHECKING:
    from actors.control import ControlPlane
    from actors.dns.plan_store import PlanStore
    from actors.dns.route53 import DnsStore
    from actors.operator.config import OperatorConfig
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["run_dns_runbook"]


async def run_dns_runbook(
    *,
    clock: Clock,
    config: OperatorConfig,
    dns_store: DnsStore,
    plan_store: PlanStore,
    control: ControlPlane,
    trace: Trace,
) -> None:
    regional = dns_store.regional_endpoint
    broken_since: float | None = None
    while True:
        await clock.sleep(config.poll_s)
        # The alarm: the regional endpoint answers empty, or the automation
        # is stuck (an endpoint's active plan is gone) even if regional is fine.
        empty = not dns_store.resolve(regional)
        if not empty and not dns_store.inconsistent_endpoints():
            broken_since = None
            continue
        now = clock.now()
        if broken_since is None:
            broken_since = now
            trace.milestone(
                "operator_paged", "operator", why="regional endpoint empty" if empty else "automation stuck"
            )
            control.note_operator_action("paged")
        if now - broken_since < config.detect_delay_s:
            continue
        act(trace, control, "identified_dns", endpoint=regional)
        await clock.sleep(config.dns_repair_delay_s)
        plan = plan_store.newest()
        if plan is not None:
            dns_store.restore(plan)
            control.dns_automation_enabled = not config.pause_dns_automation_after_repair
            act(
                trace,
                control,
                "restored_dns",
                generation=plan.generation,
                automation="paused" if config.pause_dns_automation_after_repair else "on",
            )
        broken_since = None
