"""Configuration of Network Manager's propagation of network state.

Part of the config tree (:mod:`emulator.config.tree`); units are in the names.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt, le

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
    """Propagation of network state for launched and terminated instances.

    None of these numbers is calibrated against AWS's timeline (AWS published
    no sizes or rates for Network Manager): they are round model choices, and
    the backlog's start and end are marked *emergent* in the comparison.
    """

    workers: int = attrs.field(default=16, validator=ge(1))
    # One place's share of an instance's propagation; it grows with the queue being
    # served (x (1 + slowdown_per_queued * queued), capped at max_slowdown).
    step_service_s: float = attrs.field(default=0.4, validator=gt(0))
    slowdown_per_queued: float = attrs.field(default=0.0008, validator=ge(0))
    max_slowdown: float = attrs.field(default=3.0, validator=ge(1))
    blocked_retry_s: float = attrs.field(default=60.0, validator=gt(0))
    # Propagation counts as slow while the moving average (weight latency_ewma_weight
    # per step) of a step's wait in the queue is over latency_alarm_s, and as normal
    # again under latency_normal_fraction of it.
    latency_alarm_s: float = attrs.field(default=60.0, validator=gt(0))
    latency_ewma_weight: float = attrs.field(default=0.05, validator=[gt(0), le(1)])
    latency_normal_fraction: float = attrs.field(default=0.5, validator=[gt(0), le(1)])
    # Progress reaches the NLB in batches, one message per interval with news, the
    # way a control plane pushes configuration to its data plane. The default is
    # the NLB's health-check tick (``nlb.tick_s``): a batch published at a tick is
    # seen by the checks of that same tick, so no check sees staler state than it
    # would have with an instant push.
    publish_interval_s: float = attrs.field(default=5.0, validator=gt(0))
    throttle: NetworkThrottleConfig = attrs.Factory(NetworkThrottleConfig)
