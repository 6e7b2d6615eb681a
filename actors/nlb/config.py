"""Configuration of Network Load Balancers and their health checks.

Part of the config tree (:mod:`emulator.config.tree`); units are in the names.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt, le

__all__ = ["NlbConfig", "VelocityControlConfig"]


@attrs.frozen
class VelocityControlConfig:
    """Limit the capacity one load balancer may remove by failover (remediation 4)."""

    enabled: bool = False
    max_removal_fraction: float = attrs.field(default=0.34, validator=[ge(0), le(1)])
    window_s: float = attrs.field(default=3600.0, validator=gt(0))


@attrs.frozen
class NlbConfig:
    load_balancers: int = attrs.field(default=4, validator=ge(1))
    targets_per_az: int = attrs.field(default=12, validator=ge(1))
    # Client traffic as a fraction of a load balancer's full capacity.
    traffic_fraction: float = attrs.field(default=0.6, validator=[ge(0), le(1)])
    # Share of successful launches that join a target group (autoscaling churn).
    new_target_fraction: float = attrs.field(default=0.2, validator=[ge(0), le(1)])
    health_check_interval_s: float = attrs.field(default=10.0, validator=gt(0))
    check_timeout_s: float = attrs.field(default=10.0, validator=gt(0))
    healthy_threshold: int = attrs.field(default=3, validator=ge(1))
    unhealthy_threshold: int = attrs.field(default=2, validator=ge(1))
    tick_s: float = attrs.field(default=5.0, validator=gt(0))
    checker_capacity_per_s: float = attrs.field(default=8.0, validator=gt(0))
    check_cost: float = attrs.field(default=1.0, validator=ge(0))
    transition_cost: float = attrs.field(default=25.0, validator=ge(0))
    automatic_failover: bool = True
    failover_threshold: float = attrs.field(default=0.5, validator=[ge(0), le(1)])
    failover_restore_threshold: float = attrs.field(default=0.75, validator=[ge(0), le(1)])
    # The fix for the incident's NLB cascade: no health checks before propagation.
    wait_for_propagation: bool = False
    velocity_control: VelocityControlConfig = attrs.Factory(VelocityControlConfig)
    flapping_window_s: float = attrs.field(default=300.0, validator=gt(0))
    flapping_transitions: int = attrs.field(default=40, validator=ge(1))
