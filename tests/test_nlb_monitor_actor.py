"""The NLB monitor in isolation: each load balancer's tick reports in, the fleet's milestones out.

Its error alarm is instrumentation with configured thresholds: errors start
when a tick's fleet-wide rate is over ``nlb.errors_start_rate``, and end once
the rate has stayed under ``nlb.errors_quiet_rate`` for ``nlb.errors_quiet_s``.
"""

from __future__ import annotations

import trio
import trio.testing

from actors.nlb.config import NlbConfig
from actors.nlb.messages import LoadBalancerTick
from actors.nlb.monitor import NlbMonitor
from actors.nlb.stats import NlbStats
from emulator.kernel.clock import VirtualClock
from emulator.kernel.trace import Trace
from tests.actor_harness import run_with_clock

TICK_S = 5.0


def _milestones(
    config: NlbConfig, error_rates: list[float], flapping: list[int] | None = None
) -> list[tuple[float, str]]:
    """Two load balancers report each rate (and flapping count) in turn, one tick every ``TICK_S``, half each."""
    seen: list[tuple[float, str]] = []

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        trace = Trace(clock, 1)
        send, receive = trio.open_memory_channel[LoadBalancerTick](8)
        monitor = NlbMonitor(
            clock=clock, config=config, stats=NlbStats(), trace=trace, reports=receive, load_balancers=2
        )
        await nursery.start(monitor.run)
        for tick, rate in enumerate(error_rates):
            await clock.sleep_until(tick * TICK_S)
            transitions = flapping[tick] // 2 if flapping else 0
            for lb in (1, 0):  # out of order: the monitor waits for the whole tick
                await send.send(
                    LoadBalancerTick(lb, tick, offered=500.0, errors=500.0 * rate, flapping=transitions, failovers=())
                )
            await trio.testing.wait_all_tasks_blocked()
        seen.extend((entry["t"], entry["event"]) for entry in trace.timeline)

    run_with_clock(body)
    return seen


def test_connection_errors_start_over_the_start_rate_and_end_after_the_quiet_time_under_the_quiet_rate() -> None:
    config = NlbConfig(errors_start_rate=0.10, errors_quiet_rate=0.01, errors_quiet_s=60.0)
    # 5 % for a minute (under the start rate), 20 % for a minute, 2 % for two minutes, then 0.
    rates = [0.05] * 12 + [0.20] * 12 + [0.02] * 24 + [0.0] * 24
    start_at, end_at = 12 * TICK_S, (12 + 12 + 24 - 1) * TICK_S + 60.0
    assert _milestones(config, rates) == [
        (start_at, "nlb_connection_errors_start"),
        (end_at, "nlb_connection_errors_end"),
    ]


def test_a_rate_under_the_configured_start_rate_raises_no_alarm() -> None:
    rates = [0.20] * 12
    assert _milestones(NlbConfig(errors_start_rate=0.25), rates) == []
    assert [event for _, event in _milestones(NlbConfig(), rates)] == ["nlb_connection_errors_start"]


def test_flapping_starts_at_the_configured_transitions_and_ends_under_the_configured_fraction_of_them() -> None:
    # 4 transitions a tick for 10 ticks: 40 in the 300 s window at tick 9; then none, so from tick 61
    # on one tick's 4 leave the window each tick: 40 - 4k remain at tick 60 + k.
    flapping = [4] * 10 + [0] * 70
    rates = [0.0] * len(flapping)
    start = (9 * TICK_S, "nlb_flapping_start")
    quarter = NlbConfig(flapping_transitions=40, flapping_window_s=300.0)
    assert _milestones(quarter, rates, flapping) == [start, (68 * TICK_S, "nlb_flapping_end")]  # 8 < 10
    half = NlbConfig(flapping_transitions=40, flapping_window_s=300.0, flapping_end_fraction=0.5)
    assert _milestones(half, rates, flapping) == [start, (66 * TICK_S, "nlb_flapping_end")]  # 16 < 20
