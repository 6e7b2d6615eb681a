"""The DWFM and throttle runbooks in isolation: they see a metrics scrape and act by messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import trio

from actors.ec2.messages import HostControl, LauncherControl, RestartHost, SetAdmission, SetLaunchThrottle
from actors.operator.config import OperatorConfig
from actors.operator.dwfm_runbook import run_dwfm_runbook
from actors.operator.stats import OperatorStats
from actors.operator.throttle_runbook import run_throttle_relaxation
from emulator.kernel.clock import VirtualClock
from emulator.kernel.trace import Trace

HOSTS = ("dwfm-a", "dwfm-b", "dwfm-c")


class _Metrics:
    """What Prometheus would scrape, as the test sets it."""

    def __init__(self, stats: OperatorStats) -> None:
        self.collapsed = 0.0
        self.depths = dict.fromkeys(HOSTS, 0.0)
        self.expired = 0.0
        self.actions = stats.actions  # served as operator_actions_total, as the world does

    def scrape(self) -> Mapping[str, object]:
        return {
            "dwfm_collapsed": self.collapsed,
            "dwfm_queue_depth": {(host,): depth for host, depth in self.depths.items()},
            "dwfm_leases": {("az", "active"): 100.0, ("az", "expired"): self.expired, ("az", "reestablishing"): 0.0},
            "operator_actions_total": {(action,): float(n) for action, n in self.actions.items()},
        }


def _taken(stats: OperatorStats) -> dict[str, int]:
    """The runbook steps taken (every declared one is counted from 0)."""
    return {action: n for action, n in stats.actions.items() if n}


def _drain(channel: trio.MemoryReceiveChannel[Any]) -> list[Any]:
    received = []
    while True:
        try:
            received.append(channel.receive_nowait())
        except trio.WouldBlock:
            return received


def test_the_dwfm_runbook_pages_on_collapse_then_throttles_and_restarts_the_most_congested_host_first() -> None:
    stats = OperatorStats()
    metrics = _Metrics(stats)
    config = OperatorConfig(poll_s=60.0, dwfm_action_delay_s=600.0, dwfm_restart_interval_s=120.0)
    seen: dict[str, list[Any]] = {}

    async def main() -> None:
        clock = VirtualClock()
        channels = {host: trio.open_memory_channel[HostControl](16) for host in HOSTS}
        launcher_send, launcher_receive = trio.open_memory_channel[LauncherControl](16)
        async with trio.open_nursery() as nursery:
            await nursery.start(clock.run)
            nursery.start_soon(
                lambda: run_dwfm_runbook(
                    clock=clock,
                    config=config,
                    scrape=metrics.scrape,
                    hosts={host: send for host, (send, _) in channels.items()},
                    launcher=launcher_send,
                    actions=stats,
                    trace=Trace(clock, 0),
                )
            )
            metrics.collapsed, metrics.expired = 1.0, 50.0
            metrics.depths.update({"dwfm-a": 100.0, "dwfm-b": 500.0, "dwfm-c": 10.0})
            await clock.sleep(60.0 + 600.0 + 1.0)  # paged at the first poll, acted after the delay
            for host, (_, receive) in channels.items():
                seen[f"first {host}"] = _drain(receive)
            metrics.depths["dwfm-b"] = 0.0  # the restart emptied it
            await clock.sleep(120.0)
            metrics.depths["dwfm-a"] = 0.0
            await clock.sleep(600.0)
            for host, (_, receive) in channels.items():
                seen[f"then {host}"] = _drain(receive)
            seen["launcher"] = _drain(launcher_receive)
            nursery.cancel_scope.cancel()

    trio.run(main)
    admission = SetAdmission(enabled=True, max_queue=config.dwfm_throttle_max_queue)
    assert seen == {
        "first dwfm-a": [admission],
        "first dwfm-b": [admission, RestartHost()],  # the most congested first
        "first dwfm-c": [admission],
        "then dwfm-a": [RestartHost()],  # one restart interval later
        "then dwfm-b": [],
        "then dwfm-c": [],  # under the limit: left alone
        "launcher": [SetLaunchThrottle(config.launch_throttle_per_s)],
    }
    assert _taken(stats) == {"paged_dwfm": 1, "throttled_dwfm": 1, "restarted_dwfm_host": 2}


def test_the_throttle_runbook_relaxes_the_launch_limit_in_stages_once_every_lease_is_back() -> None:
    stats = OperatorStats()
    metrics = _Metrics(stats)
    operator = OperatorConfig(
        poll_s=60.0, launch_throttle_per_s=0.5, relax_throttles_delay_s=300.0, relax_stage_interval_s=100.0
    )
    sent: dict[str, list[object]] = {}

    async def main() -> None:
        clock = VirtualClock()
        host_send, host_receive = trio.open_memory_channel[HostControl](16)
        launcher_send, launcher_receive = trio.open_memory_channel[LauncherControl](16)
        async with trio.open_nursery() as nursery:
            await nursery.start(clock.run)
            nursery.start_soon(
                lambda: run_throttle_relaxation(
                    clock=clock,
                    operator=operator,
                    configured_admission=(False, 16),
                    launch_ceiling_per_s=3.0,
                    scrape=metrics.scrape,
                    hosts={"dwfm-a": host_send},
                    launcher=launcher_send,
                    actions=stats,
                    trace=Trace(clock, 0),
                )
            )
            stats.actions["throttled_dwfm"] = 1  # the DWFM runbook throttled
            metrics.expired = 10.0
            await clock.sleep(600.0)
            sent["while_leases_missing"] = _drain(launcher_receive)
            metrics.expired = 0.0
            await clock.sleep(2000.0)
            sent["launcher"] = _drain(launcher_receive)
            sent["host"] = _drain(host_receive)
            nursery.cancel_scope.cancel()

    trio.run(main)
    assert sent["while_leases_missing"] == []
    assert sent["launcher"] == [
        SetLaunchThrottle(1.0),
        SetLaunchThrottle(2.0),
        SetLaunchThrottle(4.0),
        SetLaunchThrottle(0.0),
    ]
    assert sent["host"] == [SetAdmission(enabled=False, max_queue=16)], "admission back to its configured setting"
    assert _taken(stats) == {"throttled_dwfm": 1, "relaxed_launch_throttle": 3, "lifted_throttles": 1}
