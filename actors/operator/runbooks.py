"""The operator: AWS's engineers as an automated runbook.

It watches the regional endpoint and the automation's consistency the way an
alarm would (polling, so its reaction time has the granularity of ``poll_s``), takes ``detect_delay_s`` to
identify DNS as the cause (23:48 to 00:38 in the incident) and another
``dns_repair_delay_s`` to restore the records (02:25), after which it
pauses the DNS automation, as AWS did worldwide, unless told not to.
It acts only through the stores and switches any actor could reach.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from actors.control import ControlPlane
    from actors.dns.plan_store import PlanStore
    from actors.dns.route53 import DnsStore
    from actors.ec2.dwfm_host import DwfmHost
    from actors.ec2.messages import DwfmStats
    from actors.operator.config import OperatorConfig
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["act", "run_dwfm_runbook", "run_operator"]


def act(trace: Trace, control: ControlPlane, action: str, **fields: object) -> None:
    """One runbook step: a timeline milestone ``operator_<action>`` and its count."""
    trace.milestone(f"operator_{action}", "operator", **fields)
    control.note_operator_action(action)


async def run_operator(
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


async def run_dwfm_runbook(
    *,
    clock: Clock,
    config: OperatorConfig,
    hosts: Sequence[DwfmHost],
    stats: DwfmStats,
    control: ControlPlane,
    trace: Trace,
) -> None:
    """What AWS improvised at 04:14: throttle incoming work, restart hosts.

    Once DWFM is seen collapsed, wait ``dwfm_action_delay_s``; then turn on
    admission control by queue size and a launch rate limit, and restart the
    congested hosts (queue over the limit) one at a time, most congested
    first, every ``dwfm_restart_interval_s``. A restart empties its queue.
    """
    while True:
        await clock.sleep(config.poll_s)
        if not stats.collapsed:
            continue
        act(trace, control, "paged_dwfm")
        await clock.sleep(config.dwfm_action_delay_s)
        if not stats.collapsed and not stats.not_active():
            continue  # it sorted itself out meanwhile
        control.dwfm_throttle_enabled = True
        control.dwfm_throttle_max_queue = config.dwfm_throttle_max_queue
        control.launch_throttle_per_s = config.launch_throttle_per_s
        act(trace, control, "throttled_dwfm", max_queue=config.dwfm_throttle_max_queue)
        while True:
            congested = [host for host in hosts if host.queue_depth > config.dwfm_throttle_max_queue]
            if not congested:
                break
            max(congested, key=lambda host: host.queue_depth).restart()
            control.note_operator_action("restarted_dwfm_host")
            await clock.sleep(config.dwfm_restart_interval_s)
        while stats.not_active():
            await clock.sleep(config.poll_s)
