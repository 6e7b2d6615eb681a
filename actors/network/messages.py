"""What Network Manager publishes: which places now know an instance's network state.

Network Manager propagates an instance's network state to four places, one
at a time: each AZ's health checkers (bits 0-2) and the data plane (bit 3,
the instance's own connectivity). Until a place has it, that place cannot
reach the instance. Subscribers (the NLB's health checkers and load
balancers) keep their own view from :class:`PropagationProgress`.
"""

from __future__ import annotations

import attrs

from actors.ec2.messages import Lease

__all__ = ["DATA_PLANE", "FULLY_PROPAGATED", "NetworkedInstance", "PropagationProgress", "checker_bit"]

DATA_PLANE = 1 << 3
FULLY_PROPAGATED = 0b1111


def checker_bit(az: int) -> int:
    return 1 << az


@attrs.frozen
class PropagationProgress:
    """Network Manager -> NLB (health checkers, data plane): places that now know instances.

    ``updates`` pairs an instance id with the bits (see :func:`checker_bit`,
    :data:`DATA_PLANE`) newly propagated for it. Sent in batches, once per
    ``network_manager.publish_interval_s`` with news, as a control plane
    pushes configuration to its data plane.
    """

    updates: tuple[tuple[int, int], ...]


class NetworkedInstance:
    """Legacy: the record EC2's launcher still builds (it holds the droplet's Lease).

    No actor of this stage reads it: the world's wiring translates it into
    ``InstanceLaunched`` / ``InstanceTerminated``. It goes once EC2 publishes
    those messages itself.
    """

    __slots__ = ("az", "created_at", "instance_id", "lease")

    def __init__(self, instance_id: int, az: int, lease: Lease, created_at: float) -> None:
        self.instance_id = instance_id
        self.az = az
        self.lease = lease
        self.created_at = created_at
