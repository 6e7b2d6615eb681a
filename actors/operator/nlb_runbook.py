"""The operator's NLB runbook: disable automatic AZ failover, re-enable it later.

Once health checks are seen flapping (06:52 in the incident), the operator
takes ``disable_failover_delay_s`` to disable automatic AZ failover (09:36),
which puts every node back in DNS and so returns all healthy capacity, then
re-enables it ``reenable_failover_delay_s`` later (14:09).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.operator.actions import act

if TYPE_CHECKING:
    from actors.control import ControlPlane
    from actors.nlb.load_balancers import NlbStats
    from actors.operator.config import OperatorConfig
    from actors.operator.stats import OperatorStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["run_nlb_runbook"]


async def run_nlb_runbook(
    *,
    clock: Clock,
    operator: OperatorConfig,
    configured_failover: bool,
    stats: NlbStats,
    control: ControlPlane,
    actions: OperatorStats,
    trace: Trace,
) -> None:
    while True:
        await clock.sleep(operator.poll_s)
        if not stats.flapping:
            continue
        act(trace, actions, "paged_nlb")
        await clock.sleep(operator.disable_failover_delay_s)
        control.nlb_automatic_failover = False
        act(trace, actions, "disabled_failover")
        await clock.sleep(operator.reenable_failover_delay_s)
        control.nlb_automatic_failover = configured_failover
        act(trace, actions, "reenabled_failover")
