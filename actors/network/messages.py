"""Instances as the network sees them: which places know their state.

Network Manager propagates an instance's network state to four places, one
at a time: each AZ's health checkers (bits 0-2) and the data plane (bit 3,
the instance's own connectivity). Until a place has it, that place cannot
reach the instance.
"""

from __future__ import annotations

import attrs

from actors.ec2.messages import Lease

__all__ = ["DATA_PLANE", "FULLY_PROPAGATED", "NetworkedInstance", "PropagationProgress", "checker_bit"]

DATA_PLANE = 1 << 3
FULLY_PROPAGATED = 0b1111


def checker_bit(az: int) -> int:
    return 1 << az


class NetworkedInstance:
    __slots__ = ("az", "created_at", "instance_id", "lease", "propagated")

    def __init__(self, instance_id: int, az: int, lease: Lease, created_at: float, propagated: int = 0) -> None:
        self.instance_id = instance_id
        self.az = az
        self.lease = lease
        self.created_at = created_at
        self.propagated = propagated

    def reachable_from(self, az: int) -> bool:
        return bool(self.propagated & checker_bit(az))

    @property
    def connected(self) -> bool:
        return bool(self.propagated & DATA_PLANE)

    @property
    def fully_propagated(self) -> bool:
        return self.propagated == FULLY_PROPAGATED


@attrs.frozen
class PropagationProgress:
    """Network Manager -> NLB (health checkers, data plane): places that now know instances.

    ``updates`` pairs an instance id with the bits (see :func:`checker_bit`,
    :data:`DATA_PLANE`) newly propagated for it. Sent in batches, once per
    ``network_manager.publish_interval_s`` with news, as a control plane
    pushes configuration to its data plane.
    """

    updates: tuple[tuple[int, int], ...]
