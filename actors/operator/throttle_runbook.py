"""The operator's throttle runbook: relaxing EC2's throttles once leases are back.

It sees what Prometheus would: its own team's actions
(``operator_actions_total``: throttles applied by the DWFM runbook and not
lifted yet) and the leases still missing (``dwfm_leases``). Once every lease
is back, the operator waits ``relax_throttles_delay_s`` (11:23) and then
doubles the launch rate limit every ``relax_stage_interval_s`` until it is
lifted, when admission control returns to its configured setting (EC2 fully
recovered, 13:50). It acts by messages: :class:`SetLaunchThrottle` to the
launcher, :class:`SetAdmission` to every DWFM host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from actors.ec2.messages import HostControl, LauncherControl, SetAdmission, SetLaunchThrottle
from actors.operator.actions import act
from actors.operator.scrape import leases_not_active, series

if TYPE_CHECKING:
    import trio

    from actors.operator.config import OperatorConfig
    from actors.operator.scrape import Scrape
    from actors.operator.stats import OperatorStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["run_throttle_relaxation"]


def _throttles_in_place(sample: Mapping[str, object]) -> bool:
    actions = {labels[0]: n for labels, n in series(sample, "operator_actions_total").items()}
    return actions.get("throttled_dwfm", 0) > actions.get("lifted_throttles", 0)


async def run_throttle_relaxation(
    *,
    clock: Clock,
    operator: OperatorConfig,
    configured_admission: tuple[bool, int],
    launch_ceiling_per_s: float,
    scrape: Scrape,
    hosts: Mapping[str, trio.MemorySendChannel[HostControl]],
    launcher: trio.MemorySendChannel[LauncherControl],
    actions: OperatorStats,
    trace: Trace,
) -> None:
    """``configured_admission`` is DWFM's own (enabled, max_queue), restored at the end."""
    admission_enabled, admission_max_queue = configured_admission
    while True:
        await clock.sleep(operator.poll_s)
        sample = scrape()
        if not _throttles_in_place(sample) or leases_not_active(sample):
            continue
        await clock.sleep(operator.relax_throttles_delay_s)
        limit = operator.launch_throttle_per_s  # what the DWFM runbook set
        trace.milestone("operator_relaxing_throttles", "operator", launch_limit_per_s=limit)
        while 0 < limit < launch_ceiling_per_s:
            await clock.sleep(operator.relax_stage_interval_s)
            limit *= 2
            await launcher.send(SetLaunchThrottle(limit))
            actions.note("relaxed_launch_throttle")
            trace.record("launch_throttle_relaxed", "operator", limit=limit)
        await launcher.send(SetLaunchThrottle(0.0))
        for channel in hosts.values():
            await channel.send(SetAdmission(enabled=admission_enabled, max_queue=admission_max_queue))
        act(trace, actions, "lifted_throttles")
