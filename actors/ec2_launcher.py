"""EC2's RunInstances: customer launches that need a droplet with a lease.

Launch requests arrive as a Poisson stream. A launch is placed on a droplet
with an active lease (it tries a few at random); if none is found it fails
with ``InsufficientCapacity``. While the operator throttles launches (a token
bucket) the excess fails with ``RequestLimitExceeded``. Running instances are
not affected by lapsed leases, only new launches are.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import attrs

from actors.dwfm_types import Lease, LeaseState

if TYPE_CHECKING:
    from actors.control import ControlPlane
    from emulator.clock import Clock
    from emulator.config import Ec2Config
    from emulator.trace import Trace

__all__ = ["Ec2Stats", "Instance", "run_launcher"]

# Launches count as succeeding again after this long without InsufficientCapacity.
QUIET_S = 300.0


@attrs.frozen
class Instance:
    instance_id: int
    az: int
    droplet_id: int
    launched_at: float


@attrs.define
class Ec2Stats:
    launches_ok: int = 0
    launches_insufficient_capacity: int = 0
    launches_throttled: int = 0
    instances_running: int = 0
    failing: bool = False
    last_failure_at: float = float("-inf")


async def run_launcher(
    *,
    clock: Clock,
    rng: random.Random,
    config: Ec2Config,
    leases: Sequence[Lease],
    control: ControlPlane,
    stats: Ec2Stats,
    trace: Trace,
    on_launch: Callable[[Instance], None] = lambda instance: None,
) -> None:
    if config.launch_rate_per_s <= 0 or not leases:
        return
    tokens, refilled_at = 1.0, clock.now()
    next_id = 0
    while True:
        await clock.sleep(rng.expovariate(config.launch_rate_per_s))
        now = clock.now()
        limit = control.launch_throttle_per_s or config.launch_throttle_per_s
        if limit > 0:
            tokens = min(1.0, tokens + (now - refilled_at) * limit)
            refilled_at = now
            if tokens < 1.0:
                stats.launches_throttled += 1
                continue
            tokens -= 1.0
        placed = None
        for _ in range(config.placement_attempts):
            candidate = leases[rng.randrange(len(leases))]
            if candidate.state is LeaseState.ACTIVE:
                placed = candidate
                break
        if placed is None:
            stats.launches_insufficient_capacity += 1
            stats.last_failure_at = now
            if not stats.failing:
                stats.failing = True
                trace.milestone("ec2_insufficient_capacity_start", "ec2-launcher")
            continue
        if stats.failing and now - stats.last_failure_at >= QUIET_S:
            stats.failing = False
            trace.milestone("ec2_launches_succeeding_again", "ec2-launcher")
        stats.launches_ok += 1
        stats.instances_running += 1
        next_id += 1
        on_launch(Instance(next_id, placed.az, placed.droplet_id, now))
