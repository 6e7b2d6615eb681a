"""EC2's RunInstances: customer launches that need a droplet with a lease.

Launch requests arrive as a Poisson stream. A launch is placed on a droplet
with an active lease (it tries a few at random); if none is found it fails
with ``InsufficientCapacity``. While the operator throttles launches (a token
bucket), or Network Manager's backlog is over its limit (queue-size
throttling), the excess fails with ``RequestLimitExceeded``. Customers retry
failed launches: that pending demand comes back at up to
``ec2.retry_rate_per_s`` once launches succeed again. Running instances are
not affected by lapsed leases, only new launches are.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import attrs

from actors.ec2.messages import Lease, LeaseState
from actors.network.messages import NetworkedInstance

if TYPE_CHECKING:
    from actors.control import ControlPlane
    from actors.ec2.config import Ec2Config
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["Ec2Stats", "run_launcher", "run_terminations"]

# Launches count as succeeding again after this long without InsufficientCapacity.
QUIET_S = 300.0
# Customers give up beyond this many pending retries.
MAX_PENDING = 5000


@attrs.define
class Ec2Stats:
    launches_ok: int = 0
    launches_insufficient_capacity: int = 0
    launches_throttled: int = 0
    instances_running: int = 0
    failing: bool = False
    last_failure_at: float = float("-inf")
    pending_retries: int = 0
    terminations: int = 0


async def run_launcher(
    *,
    clock: Clock,
    rng: random.Random,
    config: Ec2Config,
    leases: Sequence[Lease],
    control: ControlPlane,
    stats: Ec2Stats,
    trace: Trace,
    on_launch: Callable[[NetworkedInstance], None] = lambda instance: None,
    admit: Callable[[], bool] = lambda: True,
) -> None:
    if config.launch_rate_per_s <= 0 or not leases:
        return
    tokens, refilled_at = 1.0, clock.now()
    next_id = 0
    while True:
        retry_rate = config.retry_rate_per_s if stats.pending_retries else 0.0
        await clock.sleep(rng.expovariate(config.launch_rate_per_s + retry_rate))
        if retry_rate and rng.random() < retry_rate / (config.launch_rate_per_s + retry_rate):
            stats.pending_retries -= 1
        now = clock.now()
        limit = control.launch_throttle_per_s or config.launch_throttle_per_s
        if limit > 0:
            tokens = min(1.0, tokens + (now - refilled_at) * limit)
            refilled_at = now
        if (limit > 0 and tokens < 1.0) or not admit():
            stats.launches_throttled += 1
            stats.pending_retries = min(MAX_PENDING, stats.pending_retries + 1)
            continue
        if limit > 0:
            tokens -= 1.0
        placed = None
        for _ in range(config.placement_attempts):
            candidate = leases[rng.randrange(len(leases))]
            if candidate.state is LeaseState.ACTIVE:
                placed = candidate
                break
        if placed is None:
            stats.launches_insufficient_capacity += 1
            stats.pending_retries = min(MAX_PENDING, stats.pending_retries + 1)
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
        on_launch(NetworkedInstance(next_id, placed.az, placed, now))


async def run_terminations(
    *,
    clock: Clock,
    rng: random.Random,
    config: Ec2Config,
    leases: Sequence[Lease],
    stats: Ec2Stats,
    on_terminate: Callable[[NetworkedInstance], None],
) -> None:
    """Customers terminate running instances; their network state must go too."""
    if config.termination_rate_per_s <= 0 or not leases:
        return
    while True:
        await clock.sleep(rng.expovariate(config.termination_rate_per_s))
        lease = leases[rng.randrange(len(leases))]
        stats.terminations += 1
        on_terminate(NetworkedInstance(-stats.terminations, lease.az, lease, clock.now()))
