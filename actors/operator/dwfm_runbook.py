"""The operator's DWFM runbook: what AWS improvised at 04:14 (none existed).

It sees what Prometheus would: it pages on ``dwfm_collapsed == 1`` (the
bundled alert rule), finds the congested hosts from ``dwfm_queue_depth{host}``
and the leases still missing from ``dwfm_leases``. It acts by messages:
:class:`SetAdmission` to every DWFM host, :class:`SetLaunchThrottle` to the
launcher, :class:`RestartHost` to the most congested host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from actors.ec2.messages import HostControl, LauncherControl, RestartHost, SetAdmission, SetLaunchThrottle
from actors.operator.actions import act
from actors.operator.scrape import gauge, leases_not_active, series

if TYPE_CHECKING:
    import trio

    from actors.operator.config import OperatorConfig
    from actors.operator.scrape import Scrape
    from actors.operator.stats import OperatorStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["run_dwfm_runbook"]


async def run_dwfm_runbook(
    *,
    clock: Clock,
    config: OperatorConfig,
    scrape: Scrape,
    hosts: Mapping[str, trio.MemorySendChannel[HostControl]],
    launcher: trio.MemorySendChannel[LauncherControl],
    actions: OperatorStats,
    trace: Trace,
) -> None:
    """What AWS improvised at 04:14: throttle incoming work, restart hosts.

    Once DWFM is seen collapsed, wait ``dwfm_action_delay_s``; then turn on
    admission control by queue size and a launch rate limit, and restart the
    congested hosts (queue over the limit) one at a time, most congested
    first, every ``dwfm_restart_interval_s``. A restart empties its queue; it
    takes effect at the host's next step, so a zero interval still waits one
    poll before looking again.
    """
    limit = config.dwfm_throttle_max_queue
    while True:
        await clock.sleep(config.poll_s)
        if gauge(scrape(), "dwfm_collapsed") != 1:
            continue
        act(trace, actions, "paged_dwfm")
        await clock.sleep(config.dwfm_action_delay_s)
        sample = scrape()
        if gauge(sample, "dwfm_collapsed") != 1 and not leases_not_active(sample):
            continue  # it sorted itself out meanwhile
        for channel in hosts.values():
            await channel.send(SetAdmission(enabled=True, max_queue=limit))
        await launcher.send(SetLaunchThrottle(config.launch_throttle_per_s))
        act(trace, actions, "throttled_dwfm", max_queue=limit)
        while True:
            depths = {labels[0]: depth for labels, depth in series(scrape(), "dwfm_queue_depth").items()}
            congested = {host: depth for host, depth in depths.items() if depth > limit and host in hosts}
            if not congested:
                break
            await hosts[max(congested, key=congested.__getitem__)].send(RestartHost())
            actions.note("restarted_dwfm_host")
            await clock.sleep(config.dwfm_restart_interval_s or config.poll_s)
        while leases_not_active(scrape()):
            await clock.sleep(config.poll_s)
