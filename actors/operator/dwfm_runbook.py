"""The operator's DWFM runbook: what AWS improvised at 04:14 (none existed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.operator.actions import act

if TYPE_CHECKING:
    from collections.abc import Sequence

    from actors.control import ControlPlane
    from actors.ec2.dwfm_host import DwfmHost
    from actors.ec2.messages import DwfmStats
    from actors.operator.config import OperatorConfig
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["run_dwfm_runbook"]


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
