"""Configuration of Network Manager's propagation of network state.

Part of the config tree (:mod:`emulator.config.tree`); units are in the names.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt

__all__ = ["NetworkManagerConfig", "NetworkThrottleConfig"]

# Network Manager's capacity (workers, step time, contention) shapes how long its backlog lasts, and AWS
# published no figure for any of it: these defaults are assumptions, marked so in ``keys`` and the
# comparison with AWS's timeline.
_NO_AWS_FIGURE = "no AWS figure: assumed Network Manager capacity; sets how long the backlog lasts"


@attrs.frozen
class NetworkThrottleConfig:
    """Refuse new launches while the propagation backlog is over a size (remediation 6).

    Network Manager compares its backlog with ``max_queue`` at each publish and
    tells the launcher (``SetLaunchAdmission``) when admission opens or closes.
    """

    # Close launch admission while the backlog is at max_queue or more, so new launches stop growing it.
    enabled: bool = False
    # Backlog (queued plus blocked work) at or above which new launches are refused.
    max_queue: int = attrs.field(default=200, validator=ge(1))


@attrs.frozen
class NetworkManagerConfig:
    """Propagation of network state for launched and terminated instances."""

    # Workers propagating state in parallel: with step_service_s, how fast a backlog drains.
    workers: int = attrs.field(default=16, validator=ge(1), metadata={"calibrated": _NO_AWS_FIGURE})
    # Time one worker takes to apply an instance's state to one of its four places,
    # before contention from the backlog.
    step_service_s: float = attrs.field(default=0.4, validator=gt(0), metadata={"calibrated": _NO_AWS_FIGURE})
    # Contention: each step takes (1 + this x backlog) times longer, capped below;
    # a long backlog slows its own drain.
    slowdown_per_queued: float = attrs.field(default=0.0008, validator=ge(0), metadata={"calibrated": _NO_AWS_FIGURE})
    # Upper bound on that contention factor.
    max_slowdown: float = attrs.field(default=3.0, validator=ge(1), metadata={"calibrated": _NO_AWS_FIGURE})
    # Work for a droplet without a lease waits aside and is retried at this period once the
    # lease is back: how the delayed work arrives as one backlog.
    blocked_retry_s: float = attrs.field(default=60.0, validator=gt(0))
    # Propagation counts as slow while a step waits longer than this in the queue.
    latency_alarm_s: float = attrs.field(default=60.0, validator=gt(0))
    # Progress reaches the NLB in batches, one message per interval with news, the
    # way a control plane pushes configuration to its data plane. The default is
    # the NLB's health-check tick (``nlb.tick_s``): a batch published at a tick is
    # seen by the checks of that same tick, so no check sees staler state than it
    # would have with an instant push.
    publish_interval_s: float = attrs.field(default=5.0, validator=gt(0))
    throttle: NetworkThrottleConfig = attrs.Factory(NetworkThrottleConfig)
