"""A load balancer's targets in one AZ, with the counts traffic accounting needs.

Kept incrementally (every change of health, connectivity or membership
updates the counts), so a load balancer's tick costs the same whatever the
size of its target groups.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from actors.network.messages import DATA_PLANE, FULLY_PROPAGATED

if TYPE_CHECKING:
    from actors.nlb.stats import NlbStats

__all__ = ["Target", "TargetGroup", "account_traffic", "route_traffic"]


class Target:
    __slots__ = (
        "check_slot",
        "consecutive",
        "droplet",
        "healthy",
        "instance_id",
        "last_result",
        "propagated",
        "transitions",
    )

    def __init__(self, instance_id: int, droplet: int, check_slot: int, propagated: int = 0) -> None:
        self.instance_id = instance_id
        self.droplet = droplet
        # Registered as healthy, as NLB put new targets into service before
        # their network state had fully propagated (unless the fix is on).
        self.healthy = True
        self.last_result = True
        self.consecutive = 0
        self.check_slot = check_slot  # which health-check tick of each interval
        self.transitions = 0
        self.propagated = propagated  # places that know it, as Network Manager reported

    @property
    def connected(self) -> bool:
        return bool(self.propagated & DATA_PLANE)

    @property
    def fully_propagated(self) -> bool:
        return self.propagated == FULLY_PROPAGATED


class TargetGroup:
    """One AZ's targets, oldest first, and how many are healthy / connected."""

    __slots__ = ("connected", "healthy", "healthy_connected", "targets")

    def __init__(self) -> None:
        self.targets: deque[Target] = deque()
        self.healthy = 0
        self.connected = 0
        self.healthy_connected = 0

    def __len__(self) -> int:
        return len(self.targets)

    def add(self, target: Target) -> None:
        self.targets.append(target)
        self._count(target, 1)

    def retire_oldest(self) -> Target:
        target = self.targets.popleft()
        self._count(target, -1)
        return target

    def set_healthy(self, target: Target, healthy: bool) -> None:
        self._count(target, -1)
        target.healthy = healthy
        self._count(target, 1)

    def set_propagated(self, target: Target, propagated: int) -> None:
        self._count(target, -1)
        target.propagated = propagated
        self._count(target, 1)

    def _count(self, target: Target, sign: int) -> None:
        connected = target.propagated & DATA_PLANE
        if target.healthy:
            self.healthy += sign
            if connected:
                self.healthy_connected += sign
        if connected:
            self.connected += sign

    def serving(self) -> tuple[int, int]:
        """(targets sent traffic, of which connected): the healthy ones, or all when none is (fail open)."""
        if self.healthy:
            return self.healthy, self.healthy_connected
        return len(self.targets), self.connected


def route_traffic(groups: Sequence[TargetGroup], answered: Sequence[bool], traffic: float) -> tuple[float, float]:
    """Where ``traffic`` fails: (sent to targets without connectivity, beyond the working targets).

    DNS spreads it evenly over the nodes it answers with (``answered``, at
    least one: it fails open). A node sends its share to its healthy targets,
    or to all of them when none is healthy (NLB fails open too). Each target
    carries one unit; a target without connectivity fails what it is sent;
    traffic beyond the node's working targets fails.
    """
    share = traffic / sum(answered)
    dead = over = 0.0
    for group, in_answer in zip(groups, answered, strict=True):
        if not in_answer:
            continue
        serving, working = group.serving()
        sent_to_dead = share * (serving - working) / serving if serving else share
        dead += sent_to_dead
        over += max(0.0, share - sent_to_dead - working)
    return dead, over


def account_traffic(
    groups: Sequence[TargetGroup], answered: Sequence[bool], traffic_fraction: float, seconds: float, stats: NlbStats
) -> tuple[float, float]:
    """A load balancer's connections offered and failed over the last ``seconds``, into its ``stats``.

    Counts the failures by cause and keeps the lowest share of its nodes DNS answered with (the
    capacity floor). Its traffic is ``traffic_fraction`` of what its targets can carry.
    """
    capacity = sum(answered) / len(answered)
    if capacity < stats.min_capacity_fraction:
        stats.min_capacity_fraction = capacity
    traffic = traffic_fraction * sum(len(group) for group in groups)
    dead, over = route_traffic(groups, answered, traffic)
    causes = stats.connection_errors_by_cause
    causes["no_connectivity"] += dead * seconds
    causes["overflow"] += over * seconds
    errors = dead + over
    stats.connection_errors += errors * seconds
    return traffic * seconds, errors * seconds
