"""The operators' NLB runbook in isolation: a scraped transition rate in, failover switches out.

The runbook pages when health-check transitions flap past its rate, then
switches automatic failover off, and later on again, on every load balancer.
"""

from __future__ import annotations

import trio

from actors.nlb.messages import SetAutomaticFailover
from emulator.kernel.clock import VirtualClock
from emulator.kernel.trace import Trace
from tests.actor_harness import run_with_clock


def test_the_nlb_runbook_pages_on_the_transition_rate_and_switches_failover_on_every_load_balancer() -> None:
    from actors.operator.config import OperatorConfig
    from actors.operator.nlb_runbook import run_nlb_runbook
    from actors.operator.stats import OperatorStats

    operator = OperatorConfig(disable_failover_delay_s=120.0, reenable_failover_delay_s=600.0)
    received: list[tuple[float, int, bool]] = []
    milestones: list[tuple[float, str]] = []

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        trace = Trace(clock, 1)
        channels = [trio.open_memory_channel[SetAutomaticFailover](4) for _ in range(2)]

        def scrape() -> dict[str, object]:
            # Quiet for an hour, then a target changes state every two seconds.
            return {"nlb_health_transitions_total": max(0.0, clock.now() - 3600.0) / 2}

        nursery.start_soon(
            lambda: run_nlb_runbook(
                clock=clock,
                operator=operator,
                configured_failover=True,
                scrape=scrape,
                failover=[send for send, _ in channels],
                actions=OperatorStats(),
                trace=trace,
            )
        )

        async def read(index: int, receive: trio.MemoryReceiveChannel[SetAutomaticFailover]) -> None:
            async for message in receive:
                received.append((clock.now(), index, message.enabled))

        for index, (_, receive) in enumerate(channels):
            nursery.start_soon(read, index, receive)
        await clock.sleep(4 * 3600.0)
        milestones.extend((entry["t"], entry["event"]) for entry in trace.timeline)

    run_with_clock(body)
    paged = milestones[0][0]
    # 0.5 transitions/s reach the 0.35/s paging rate over 15 minutes about 10.5 minutes in.
    assert milestones[0][1] == "operator_paged_nlb" and 3600 + 600 <= paged <= 3600 + 700
    # Still flapping once re-enabled: it pages again, as it would.
    assert received[:4] == [
        (paged + 120, 0, False),
        (paged + 120, 1, False),
        (paged + 720, 0, True),
        (paged + 720, 1, True),
    ]
