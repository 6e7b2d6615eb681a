"""Configuration of Network Load Balancers and their health checks.

Part of the config tree (:mod:`emulator.config.tree`); units are in the names.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt, le

__all__ = ["NlbConfig", "VelocityControlConfig"]

# The health checkers' capacity against the load that flapping puts on them decides whether flapping
# feeds itself, and AWS published no figure for either: these defaults are assumptions, marked so in
# ``keys`` and the comparison with AWS's timeline.
_NO_AWS_FIGURE = "no AWS figure: assumed health-checker capacity; sets whether flapping feeds itself"


@attrs.frozen
class VelocityControlConfig:
    """Limit the capacity one load balancer may remove by failover (remediation 4)."""

    # Refuse failovers that would take out too many AZ nodes of one load balancer.
    enabled: bool = False
    # Most of a load balancer's AZ nodes that may be out of DNS at once, or taken out
    # within window_s.
    max_removal_fraction: float = attrs.field(default=0.34, validator=[ge(0), le(1)])
    # Span over which failovers count towards that limit.
    window_s: float = attrs.field(default=3600.0, validator=gt(0))


@attrs.frozen
class NlbConfig:
    # Network Load Balancers, each with a node in every AZ; each checks and fails over on its own.
    load_balancers: int = attrs.field(default=4, validator=ge(1))
    # Targets (EC2 instances) in each AZ of each load balancer at the start.
    targets_per_az: int = attrs.field(default=12, validator=ge(1))
    # Client traffic as a fraction of a load balancer's full capacity.
    traffic_fraction: float = attrs.field(default=0.6, validator=[ge(0), le(1)])
    # Share of successful launches that join a target group (autoscaling churn).
    new_target_fraction: float = attrs.field(default=0.2, validator=[ge(0), le(1)])
    # Each target is checked once per interval, by the checker of a random AZ.
    health_check_interval_s: float = attrs.field(default=10.0, validator=gt(0))
    # A check delayed longer than this by the checker's backlog fails, even for a healthy target.
    check_timeout_s: float = attrs.field(default=10.0, validator=gt(0))
    # Consecutive passed checks that put a target back in service.
    healthy_threshold: int = attrs.field(default=3, validator=ge(1))
    # Consecutive failed checks that take a target out of service.
    unhealthy_threshold: int = attrs.field(default=2, validator=ge(1))
    # Load balancers and checkers work in ticks of this length: check requests, results, failover.
    tick_s: float = attrs.field(default=5.0, validator=gt(0))
    # Work units one AZ's checker hosts get through per second; beyond it, checks are delayed.
    checker_capacity_per_s: float = attrs.field(default=8.0, validator=gt(0), metadata={"calibrated": _NO_AWS_FIGURE})
    # Work units one health check costs its checker.
    check_cost: float = attrs.field(default=1.0, validator=ge(0))
    # Work units a target taken out of service costs, spread over every AZ's checkers (a share of it,
    # below, to put it back): flapping loads the checkers, which delays checks, which fails targets.
    transition_cost: float = attrs.field(default=25.0, validator=ge(0), metadata={"calibrated": _NO_AWS_FIGURE})
    # Share of transition_cost that putting a target back into service costs the checkers.
    back_in_service_cost_fraction: float = attrs.field(
        default=0.2, validator=[ge(0), le(1)], metadata={"calibrated": _NO_AWS_FIGURE}
    )
    # Take an AZ's node out of DNS when too few of its targets are healthy (the operator can switch
    # it off, as AWS did); it is failover that removes a whole AZ of capacity.
    automatic_failover: bool = True
    # Healthy fraction of an AZ's targets below which its node is taken out of DNS.
    failover_threshold: float = attrs.field(default=0.5, validator=[ge(0), le(1)])
    # Healthy fraction at or above which a failed-over node goes back into DNS.
    failover_restore_threshold: float = attrs.field(default=0.75, validator=[ge(0), le(1)])
    # The fix for the incident's NLB cascade: a new instance goes into service (and is health-checked)
    # only once its network state has fully propagated; the target it replaces serves until then.
    wait_for_propagation: bool = False
    velocity_control: VelocityControlConfig = attrs.Factory(VelocityControlConfig)
    # Span over which health transitions are counted for the flapping alarm.
    flapping_window_s: float = attrs.field(default=300.0, validator=gt(0))
    # Transitions past registration within that window that start the flapping alarm.
    flapping_transitions: int = attrs.field(default=40, validator=ge(1))
    # Instrumentation: the flapping alarm (the nlb_flapping phase) ends once the window holds fewer
    # than this fraction of flapping_transitions: hysteresis, so a dip just under the start does not end it.
    flapping_end_fraction: float = attrs.field(default=0.25, validator=[gt(0), le(1)])
    # Instrumentation, not behaviour: a tick's fleet-wide connection error rate over this fraction
    # starts the customer-visible errors (the milestone).
    errors_start_rate: float = attrs.field(default=0.05, validator=[gt(0), le(1)])
    # Instrumentation: the errors end once every tick's rate stays under this fraction for errors_quiet_s.
    errors_quiet_rate: float = attrs.field(default=0.005, validator=[gt(0), le(1)])
    # Instrumentation: how long the rate stays under errors_quiet_rate before the errors end.
    errors_quiet_s: float = attrs.field(default=300.0, validator=gt(0))
