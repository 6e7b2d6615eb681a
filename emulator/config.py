"""The configuration tree: frozen attrs classes whose defaults play the incident.

Key names are the dotted attribute paths (``dns.enactor.stall_probability``)
used everywhere: in ``--set``, in TOML files and in the report's ``config``.
Units are in the names (``_s`` virtual seconds, ``_per_s``, ``_fraction``).
Loading, presets and overrides live in :mod:`emulator.settings`.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt, in_, le

__all__ = [
    "CleanupConfig",
    "Config",
    "DnsConfig",
    "DwfmConfig",
    "DwfmThrottleConfig",
    "DynamoDBConfig",
    "Ec2Config",
    "EnactorConfig",
    "FaultSpec",
    "NetworkManagerConfig",
    "NetworkThrottleConfig",
    "NlbConfig",
    "OperatorConfig",
    "PlannerConfig",
    "ResolverConfig",
    "RunConfig",
    "VelocityControlConfig",
    "WorkloadConfig",
]

FAULT_KINDS = ("empty_record", "stall_enactor")


@attrs.frozen
class FaultSpec:
    """One injected fault: ``KIND:AT:DURATION`` on the command line."""

    kind: str = attrs.field(validator=in_(FAULT_KINDS))
    at_s: float = attrs.field(validator=ge(0))
    duration_s: float = attrs.field(validator=gt(0))
    target: str = ""


@attrs.frozen
class RunConfig:
    duration_s: float = attrs.field(default=16 * 3600.0, validator=gt(0))
    sample_interval_s: float = attrs.field(default=60.0, validator=gt(0))


@attrs.frozen
class PlannerConfig:
    interval_s: float = attrs.field(default=5.0, validator=gt(0))


@attrs.frozen
class EnactorConfig:
    """Per-endpoint work of a DNS Enactor, and the injected jitter."""

    latency_median_s: float = attrs.field(default=0.8, validator=gt(0))
    latency_sigma: float = attrs.field(default=0.5, validator=ge(0))
    stall_probability: float = attrs.field(default=0.0001, validator=[ge(0), le(1)])
    stall_min_s: float = attrs.field(default=60.0, validator=ge(0))
    stall_max_s: float = attrs.field(default=300.0, validator=ge(0))
    lock_ttl_s: float = attrs.field(default=30.0, validator=gt(0))
    backoff_base_s: float = attrs.field(default=0.5, validator=gt(0))
    backoff_cap_s: float = attrs.field(default=8.0, validator=gt(0))
    idle_poll_s: float = attrs.field(default=2.0, validator=gt(0))
    stuck_retry_s: float = attrs.field(default=30.0, validator=gt(0))


@attrs.frozen
class CleanupConfig:
    keep_generations: int = attrs.field(default=10, validator=ge(1))
    latency_s: float = attrs.field(default=1.0, validator=ge(0))


@attrs.frozen
class DnsConfig:
    endpoints: int = attrs.field(default=12, validator=ge(1))
    regional_position: int = attrs.field(default=0, validator=ge(0))
    enactors: int = attrs.field(default=3, validator=ge(1))
    addresses_per_endpoint: int = attrs.field(default=4, validator=ge(1))
    # How much heavier the regional endpoint's change batch is than any other
    # endpoint's (its record set is by far the largest): it scales that
    # endpoint's chance of an injected stall.
    regional_weight: float = attrs.field(default=200.0, validator=ge(0))
    race_fix: bool = False
    plan_protection: bool = False
    automation_enabled: bool = True
    planner: PlannerConfig = attrs.Factory(PlannerConfig)
    enactor: EnactorConfig = attrs.Factory(EnactorConfig)
    cleanup: CleanupConfig = attrs.Factory(CleanupConfig)


@attrs.frozen
class ResolverConfig:
    ttl_s: float = attrs.field(default=60.0, validator=ge(0))
    negative_ttl_s: float = attrs.field(default=900.0, validator=ge(0))


@attrs.frozen
class WorkloadConfig:
    clients: int = attrs.field(default=3, validator=ge(0))
    rate_per_s: float = attrs.field(default=0.2, validator=gt(0))


@attrs.frozen
class DynamoDBConfig:
    resolver: ResolverConfig = attrs.Factory(ResolverConfig)
    workload: WorkloadConfig = attrs.Factory(WorkloadConfig)


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


@attrs.frozen
class NetworkThrottleConfig:
    """Refuse new launches while the propagation backlog is over a size (remediation 6)."""

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
    throttle: NetworkThrottleConfig = attrs.Factory(NetworkThrottleConfig)


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


@attrs.frozen
class OperatorConfig:
    """AWS's engineers as an automated runbook (delays from the timeline)."""

    enabled: bool = True
    poll_s: float = attrs.field(default=60.0, validator=gt(0))
    detect_delay_s: float = attrs.field(default=3000.0, validator=ge(0))
    dns_repair_delay_s: float = attrs.field(default=6420.0, validator=ge(0))
    # AWS disabled the DNS automation worldwide after repairing the records;
    # turn this off (as soaks do) to let the race recur after each repair.
    pause_dns_automation_after_repair: bool = True
    # DWFM runbook (none existed: 04:14 in the incident): after DWFM is seen
    # collapsed, wait, throttle incoming work and launches, then restart
    # congested DWFM hosts one at a time.
    dwfm_action_delay_s: float = attrs.field(default=5700.0, validator=ge(0))
    dwfm_throttle_max_queue: int = attrs.field(default=16, validator=ge(1))
    launch_throttle_per_s: float = attrs.field(default=0.2, validator=ge(0))
    dwfm_restart_interval_s: float = attrs.field(default=720.0, validator=ge(0))
    # After leases are back, relax the launch throttle in stages (11:23 -> 13:50).
    relax_throttles_delay_s: float = attrs.field(default=21300.0, validator=ge(0))
    relax_stage_interval_s: float = attrs.field(default=1800.0, validator=gt(0))
    # NLB: disable automatic failover after flapping is seen (06:52 -> 09:36), re-enable later (14:09).
    disable_failover_delay_s: float = attrs.field(default=9840.0, validator=ge(0))
    reenable_failover_delay_s: float = attrs.field(default=16380.0, validator=ge(0))


@attrs.frozen
class Config:
    run: RunConfig = attrs.Factory(RunConfig)
    dns: DnsConfig = attrs.Factory(DnsConfig)
    dynamodb: DynamoDBConfig = attrs.Factory(DynamoDBConfig)
    ec2: Ec2Config = attrs.Factory(Ec2Config)
    dwfm: DwfmConfig = attrs.Factory(DwfmConfig)
    network_manager: NetworkManagerConfig = attrs.Factory(NetworkManagerConfig)
    nlb: NlbConfig = attrs.Factory(NlbConfig)
    operator: OperatorConfig = attrs.Factory(OperatorConfig)
    faults: tuple[FaultSpec, ...] = ()
