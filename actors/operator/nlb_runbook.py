"""The operator's NLB runbook: disable automatic AZ failover, re-enable it later.

The operator sees what Prometheus would see (``scrape`` returns the metric
snapshot). Health checks count as flapping while targets change state
faster than ``nlb_page_transitions_per_s`` over the last
``nlb_page_window_s`` (the increase of ``nlb_health_transitions_total``, as
a ``rate()`` rule would compute it; 06:52 in the incident). The operator
pages, takes ``disable_failover_delay_s`` to disable automatic AZ failover
on every load balancer (09:36), which puts every node back in DNS and so
returns all healthy capacity, then re-enables it
``reenable_failover_delay_s`` later (14:09).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from actors.nlb.messages import SetAutomaticFailover
from actors.operator.actions import act

if TYPE_CHECKING:
    import trio

    from actors.operator.config import OperatorConfig
    from actors.operator.stats import OperatorStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["run_nlb_runbook"]

TRANSITIONS = "nlb_health_transitions_total"


async def run_nlb_runbook(
    *,
    clock: Clock,
    operator: OperatorConfig,
    configured_failover: bool,
    scrape: Callable[[], Mapping[str, object]],
    failover: Sequence[trio.MemorySendChannel[SetAutomaticFailover]],
    actions: OperatorStats,
    trace: Trace,
) -> None:
    window = operator.nlb_page_window_s
    samples: deque[tuple[float, float]] = deque()  # (time, nlb_health_transitions_total)
    while True:
        await clock.sleep(operator.poll_s)
        now, total = clock.now(), scrape().get(TRANSITIONS, 0.0)
        assert isinstance(total, float | int)
        samples.append((now, float(total)))
        while now - samples[0][0] > window:
            samples.popleft()
        if (total - samples[0][1]) / window < operator.nlb_page_transitions_per_s:
            continue
        act(trace, actions, "paged_nlb", transitions=int(total - samples[0][1]))
        await clock.sleep(operator.disable_failover_delay_s)
        for channel in failover:
            await channel.send(SetAutomaticFailover(False))
        act(trace, actions, "disabled_failover")
        await clock.sleep(operator.reenable_failover_delay_s)
        for channel in failover:
            await channel.send(SetAutomaticFailover(configured_failover))
        act(trace, actions, "reenabled_failover")
