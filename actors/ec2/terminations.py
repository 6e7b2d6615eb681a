"""Customers terminating instances: each termination is network work too.

Terminations arrive as a Poisson stream (``ec2.termination_rate_per_s``) on
random droplets. Like launches, the arrivals of one ``ec2.tick_s`` are
handled together at its end (each keeps its arrival time), published as
:class:`InstanceTerminated` and traced per tick.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

from actors.ec2.messages import InstanceTerminated
from actors.ec2.publish import publish

if TYPE_CHECKING:
    import trio

    from actors.ec2.config import Ec2Config
    from actors.ec2.stats import Ec2Stats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["run_terminations"]


async def run_terminations(
    *,
    clock: Clock,
    rng: random.Random,
    config: Ec2Config,
    droplet_azs: Sequence[int],
    subscribers: Sequence[trio.MemorySendChannel[InstanceTerminated]],
    stats: Ec2Stats,
    trace: Trace,
) -> None:
    rate = config.termination_rate_per_s
    if rate <= 0 or not droplet_azs:
        return
    start = clock.now()
    next_at = start + rng.expovariate(rate)
    tick = terminated = 0
    while True:
        tick += 1
        await clock.sleep_until(start + tick * config.tick_s)
        now = clock.now()
        count = 0
        while next_at <= now:
            droplet = rng.randrange(len(droplet_azs))
            terminated += 1
            count += 1
            stats.terminations = terminated
            # Negative ids: terminated instances the emulator did not launch itself.
            await publish(subscribers, InstanceTerminated(-terminated, droplet_azs[droplet], droplet, next_at))
            next_at += rng.expovariate(rate)
        if count:
            trace.record("terminations", "ec2-terminations", count=count)
