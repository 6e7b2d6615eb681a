"""A load balancer's targets: who is in service, in which AZ, checked at which tick.

The load balancer owns one of these. Autoscaling puts a new instance in
place of its AZ's oldest target, which is retired (the caller terminates
it). Under ``nlb.wait_for_propagation`` (the fix) the new instance first
waits out of service, and the target it will replace stays in, until
Network Manager reports its state fully propagated: make before break, so
the fix never sends traffic to an instance that cannot take it, nor takes
capacity away while it waits.
"""

from __future__ import annotations

from actors.nlb.targets import Target, TargetGroup

__all__ = ["Membership", "Retired"]

Retired = tuple[int, Target]  # (az, target) taken out of service, for the caller to terminate


class Membership:
    __slots__ = ("_wait", "by_id", "due", "groups", "waiting")

    def __init__(self, azs: int, slots: int, *, wait_for_propagation: bool) -> None:
        self.groups = [TargetGroup() for _ in range(azs)]
        self.by_id: dict[int, tuple[int, Target]] = {}  # instance id -> (az, target), in service
        self.waiting: dict[int, tuple[int, Target]] = {}  # under the fix: launched, not yet propagated
        # [slot][az] -> targets checked at that tick of each interval, oldest first
        self.due: list[list[dict[int, Target]]] = [[{} for _ in range(azs)] for _ in range(slots)]
        self._wait = wait_for_propagation

    def join(self, az: int, target: Target) -> None:
        """Into service at once (the targets a run starts with, or a replacement)."""
        self.groups[az].add(target)
        self.by_id[target.instance_id] = (az, target)
        self.due[target.check_slot][az][target.instance_id] = target

    def launched(self, az: int, target: Target) -> Retired | None:
        """A new instance for ``az``: it replaces the oldest target now, or (the fix) once propagated."""
        if self._wait:
            self.waiting[target.instance_id] = (az, target)
            return None
        return self._replace_oldest(az, target)

    def propagated(self, instance_id: int, bits: int) -> Retired | None:
        """Network Manager's news of one instance: a target's connectivity, or a waiting one ready."""
        entry = self.by_id.get(instance_id)
        if entry is not None:
            az, target = entry
            self.groups[az].set_propagated(target, target.propagated | bits)
            return None
        waiting = self.waiting.get(instance_id)
        if waiting is None:
            return None
        az, target = waiting
        target.propagated |= bits
        if not target.fully_propagated:
            return None
        del self.waiting[instance_id]
        return self._replace_oldest(az, target)

    def _replace_oldest(self, az: int, target: Target) -> Retired | None:
        group = self.groups[az]
        retired = None
        if group.targets:
            oldest = group.retire_oldest()
            del self.by_id[oldest.instance_id]
            del self.due[oldest.check_slot][az][oldest.instance_id]
            retired = (az, oldest)
        self.join(az, target)
        return retired
