"""Configuration of Network Manager's propagation of network state.

Part of the config tree (:mod:`emulator.config.tree`); units are in the names.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt

__all__ = ["NetworkManagerConfig", "NetworkThrottleConfig"]


@attrs.frozen
class NetworkThrottleConfig:
    """Refuse new launches while the propagation backlog is over a size (remediation 6).

    Network Manager compares its backlog with ``max_queue`` at each publish and
    tells the launcher (``SetLaunchAdmission``) when admission opens or closes.
    """

    enabled: bool = False
    max_queue: int = attrs.field(default=200, validator=ge(1))


@attrs.frozen
class NetworkManagerConfig:
    """Propagation of network state for launched and terminated instances."""

    workers: int = attrs.field(default=16, validator=ge(1))
    step_service_s: float = attrs.field(default=0.4, validator=gt(0))
    slowdown_per_queued: float = attrs.field(default=0.0008, validator=ge(0))
    max_slowdown: float = attrs.field(default=3.0, validator=ge(1))
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
