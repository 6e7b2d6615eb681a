"""Network Load Balancers: nodes per AZ in DNS, targets, traffic, errors.

Each load balancer has a node in each AZ; a node is in DNS unless automatic
AZ failover took it out. Each node fronts that AZ's targets (EC2 instances)
and fails open (uses every target) when none is healthy, so it is failover,
not target health alone, that takes a whole AZ of capacity away.
Autoscaling churns targets: a share of newly launched instances join a target
group, replacing its oldest target (terminated). Client traffic is carried
by the targets of the nodes in DNS; traffic beyond their capacity, and traffic
sent to a target that has no connectivity yet, fails.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from actors.network.messages import NetworkedInstance

if TYPE_CHECKING:
    from actors.nlb.config import NlbConfig
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["LoadBalancer", "NlbFleet", "NlbStats", "Target"]


class Target:
    __slots__ = ("check_slot", "consecutive", "healthy", "instance", "last_result", "transitions")

    def __init__(self, instance: NetworkedInstance, healthy: bool, check_slot: int) -> None:
        self.instance = instance
        self.healthy = healthy
        self.last_result = healthy
        self.consecutive = 0
        self.check_slot = check_slot  # which health-check tick of each interval
        self.transitions = 0


@attrs.define
class LoadBalancer:
    name: str
    targets: list[list[Target]]  # [az] -> targets, oldest first
    in_dns: list[bool]
    removals: list[float] = attrs.Factory(list)  # failover times, for velocity control


@attrs.define
class NlbStats:
    health_flaps: int = 0
    transitions_recent: list[float] = attrs.Factory(list)
    az_failovers: int = 0
    failovers_refused: int = 0
    min_capacity_fraction: float = 1.0
    connection_errors: float = 0.0
    healthcheck_delay_s: float = 0.0
    healthcheck_max_delay_s: float = 0.0
    checks: dict[str, int] = attrs.Factory(lambda: {"healthy": 0, "unhealthy": 0, "timeout": 0})
    erroring: bool = False
    last_errors_at: float = float("-inf")
    flapping: bool = False


class NlbFleet:
    def __init__(
        self,
        *,
        clock: Clock,
        rng: random.Random,
        config: NlbConfig,
        azs: int,
        stats: NlbStats,
        trace: Trace,
        existing_instance: Callable[[int], NetworkedInstance],
        terminate: Callable[[NetworkedInstance], None],
    ) -> None:
        self._clock = clock
        self._rng = rng
        self._config = config
        self.stats = stats
        self._trace = trace
        self._terminate = terminate
        self.azs = azs
        self._config = config
        self.load_balancers = [
            LoadBalancer(
                f"nlb-{index}",
                [
                    [Target(existing_instance(az), True, self._slot()) for _ in range(config.targets_per_az)]
                    for az in range(azs)
                ],
                [True] * azs,
            )
            for index in range(config.load_balancers)
        ]

    def on_launch(self, instance: NetworkedInstance) -> None:
        """Autoscaling: some new instances replace the oldest target of a group."""
        if self._rng.random() >= self._config.new_target_fraction:
            return
        lb = self.load_balancers[self._rng.randrange(len(self.load_balancers))]
        group = lb.targets[instance.az]
        retired = group.pop(0)
        # Registered as healthy, as NLB put new targets into service before
        # their network state had fully propagated (unless the fix is on).
        group.append(Target(instance, True, self._slot()))
        self._terminate(retired.instance)

    @property
    def check_slots(self) -> int:
        return max(1, round(self._config.health_check_interval_s / self._config.tick_s))

    def _slot(self) -> int:
        return self._rng.randrange(self.check_slots)

    def capacity_fraction(self, lb: LoadBalancer) -> float:
        return sum(lb.in_dns) / self.azs

    def account_traffic(self, seconds: float) -> None:
        """Connection errors over the last ``seconds``, and the capacity floor.

        DNS spreads a load balancer's traffic evenly over its nodes in DNS.
        A node sends its share to its healthy targets, or to all of them when
        none is healthy (NLB fails open). Each target carries one unit; a
        target without connectivity fails what it is sent; traffic beyond the
        node's working targets fails.
        """
        stats = self.stats
        errors = offered = 0.0
        for lb in self.load_balancers:
            stats.min_capacity_fraction = min(stats.min_capacity_fraction, self.capacity_fraction(lb))
            traffic = self._config.traffic_fraction * sum(len(group) for group in lb.targets)
            offered += traffic * seconds
            nodes = [az for az in range(self.azs) if lb.in_dns[az]]
            if not nodes:
                errors += traffic * seconds
                continue
            share = traffic / len(nodes)
            for az in nodes:
                group = lb.targets[az]
                serving = [target for target in group if target.healthy] or group
                working = sum(1 for target in serving if target.instance.connected)
                sent_to_dead = share * (len(serving) - working) / len(serving)
                overflow = max(0.0, share - sent_to_dead - working)
                errors += (sent_to_dead + overflow) * seconds
        stats.connection_errors += errors
        # Milestones for customer-visible error rates only: over 5 %, then
        # under 0.5 % for five quiet minutes.
        error_rate = errors / offered if offered else 0.0
        now = self._clock.now()
        if error_rate >= 0.005:
            stats.last_errors_at = now
        if error_rate > 0.05 and not stats.erroring:
            stats.erroring = True
            self._trace.milestone("nlb_connection_errors_start", "nlb", error_rate=round(error_rate, 3))
        elif stats.erroring and now - stats.last_errors_at >= 300.0:
            stats.erroring = False
            self._trace.milestone("nlb_connection_errors_end", "nlb")
