"""Configuration of EC2: launches, and DWFM's leases, state checks and work queues.

Part of the config tree (:mod:`emulator.config.tree`); units are in the names.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt, le

__all__ = ["DwfmConfig", "DwfmThrottleConfig", "Ec2Config"]


@attrs.frozen
class Ec2Config:
    droplets: int = attrs.field(default=5000, validator=ge(0))
    launch_rate_per_s: float = attrs.field(default=1.0, validator=ge(0))
    # Random droplets a launch tries before failing with InsufficientCapacity.
    placement_attempts: int = attrs.field(default=3, validator=ge(1))
    # Token-bucket limit on launches (0: none); beyond it RequestLimitExceeded.
    launch_throttle_per_s: float = attrs.field(default=0.0, validator=ge(0))
    # Customers retry launches that failed: up to this rate while demand is pending.
    retry_rate_per_s: float = attrs.field(default=2.0, validator=ge(0))
    # Customers terminate instances; each termination is network work too.
    termination_rate_per_s: float = attrs.field(default=1.0, validator=ge(0))
    # Launches and terminations that arrive within one tick are handled together
    # at its end (arrival times kept for the rate limit): one wake-up per tick.
    tick_s: float = attrs.field(default=1.0, validator=gt(0))


@attrs.frozen
class DwfmThrottleConfig:
    """Admission control by the size of the waiting queue (AWS remediation 6)."""

    enabled: bool = False
    max_queue: int = attrs.field(default=16, validator=ge(1))


@attrs.frozen
class DwfmConfig:
    """DropletWorkflow Manager: leases, state checks, and its work queues."""

    hosts_per_az: int = attrs.field(default=2, validator=ge(1))
    workers: int = attrs.field(default=8, validator=ge(1))
    lease_ttl_s: float = attrs.field(default=1800.0, validator=gt(0))
    state_check_interval_s: float = attrs.field(default=180.0, validator=gt(0))
    check_tick_s: float = attrs.field(default=5.0, validator=gt(0))
    work_service_s: float = attrs.field(default=1.0, validator=gt(0))
    # Service time grows with the host's queue: x (1 + this * depth), capped.
    service_slowdown_per_queued: float = attrs.field(default=0.02, validator=ge(0))
    service_max_slowdown: float = attrs.field(default=20.0, validator=ge(1))
    work_timeout_s: float = attrs.field(default=300.0, validator=gt(0))
    max_retries: int = attrs.field(default=-1, validator=ge(-1))  # -1: unlimited, as in the incident
    drop_expired_work: bool = False
    throttle: DwfmThrottleConfig = attrs.Factory(DwfmThrottleConfig)
    # Collapse detection (see README): window, goodput floor, queue floor.
    collapse_window_s: float = attrs.field(default=300.0, validator=gt(0))
    collapse_goodput_fraction: float = attrs.field(default=0.1, validator=[ge(0), le(1)])
