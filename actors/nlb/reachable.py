"""The instances a health checker can reach, held in memory that does not grow with time.

A checker learns from Network Manager which instances' network state has
reached its AZ, and such an instance stays reachable. Over a week-long soak
that is every instance ever launched, most of which no load balancer ever
checks: a plain set grew by about 12 MB a virtual day. Launched instances
are numbered 1, 2, 3 ... by EC2's launcher and nearly all of them become
reachable in launch order, give or take Network Manager's backlog, so the
set is kept as a *floor* (every id from 1 to it is in) plus the ids above
the floor, which are about as many as the backlog. Other ids (the instances
in service at the start are numbered below 0) are few and kept as they are.
Membership is exactly that of a set.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ReachableInstances"]


class ReachableInstances:
    __slots__ = ("_above", "_floor", "_others")

    def __init__(self, instances: Iterable[int] = ()) -> None:
        self._floor = 0  # ids 1..floor are all reachable
        self._above: set[int] = set()  # reachable ids past the floor
        self._others: set[int] = set()  # ids below 1
        self.update(instances)

    def __contains__(self, instance: object) -> bool:
        if not isinstance(instance, int):
            return False
        if instance < 1:
            return instance in self._others
        return instance <= self._floor or instance in self._above

    def __len__(self) -> int:
        return self._floor + len(self._above) + len(self._others)

    def add(self, instance: int) -> None:
        if instance < 1:
            self._others.add(instance)
        elif instance == self._floor + 1:
            floor, above = instance, self._above
            while floor + 1 in above:
                floor += 1
                above.remove(floor)
            self._floor = floor
        elif instance > self._floor:
            self._above.add(instance)

    def update(self, instances: Iterable[int]) -> None:
        for instance in instances:
            self.add(instance)

    def as_test(self) -> tuple[int, set[int], set[int]]:
        """(floor, ids above it, ids below 1): for a caller that tests many ids at once.

        ``id in self`` is a Python call per id; a health checker tests every target
        it checks. The sets stay live, the floor does not: ask again after anything
        may have added an instance.
        """
        return self._floor, self._above, self._others

    @property
    def held(self) -> int:
        """How many ids are stored one by one (the rest are under the floor)."""
        return len(self._above) + len(self._others)
