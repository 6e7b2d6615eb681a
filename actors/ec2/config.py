"""Configuration of EC2: launches, and DWFM's leases, state checks and work queues.

Part of the config tree (:mod:`emulator.config.tree`); units are in the names.

Why DWFM's defaults: the collapse comes from queue, timeout and re-queue
alone (``service_slowdown_per_queued`` is 0). A host with ``workers``
workers, each item taking ``work_service_s`` on average, finishes
K = workers x work_timeout_s / work_service_s items within one timeout. A
burst of N lapsed leases per host recovers when N < 2K and collapses above
it (README, "DWFM collapse"). No public figure gives DWFM's service time or
worker count, and the emulated fleet is a scaled-down us-east-1: so
``work_service_s`` is **calibrated** to put the default fleet (5,000
droplets on 6 hosts, 833 per host) beyond that boundary (2K = 480), as
AWS's fleet was. Such fields carry ``metadata={"calibrated": ...}``, which
``outage-emulator keys`` shows. The remedies' settings are design choices
of the remedy, not calibrated to the incident; every remedy is off by
default, as in the incident.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt, le

__all__ = ["DwfmBackoffConfig", "DwfmConfig", "DwfmRetryBudgetConfig", "DwfmThrottleConfig", "Ec2Config"]


@attrs.frozen
class Ec2Config:
    # Physical hosts in the fleet, spread over the AZs and their DWFM hosts; each holds one lease.
    # More droplets per DWFM host means a bigger burst of lapsed leases when DynamoDB returns.
    droplets: int = attrs.field(default=5000, validator=ge(0))
    # Customers' new launches (Poisson arrivals, 0: none); each needs a droplet with an active lease.
    launch_rate_per_s: float = attrs.field(default=1.0, validator=ge(0))
    # Random droplets a launch tries before failing with InsufficientCapacity.
    placement_attempts: int = attrs.field(default=3, validator=ge(1))
    # Token-bucket limit on launches (0: none); beyond it RequestLimitExceeded.
    launch_throttle_per_s: float = attrs.field(default=0.0, validator=ge(0))
    # Customers retry launches that failed: up to this rate while demand is pending.
    retry_rate_per_s: float = attrs.field(default=2.0, validator=ge(0))
    # Customers give up beyond this many failed launches waiting to be retried
    # (not calibrated: a bound on the customers' patience, no public figure).
    max_pending_retries: int = attrs.field(default=5000, validator=ge(0))
    # Instrumentation, not behaviour: launches count as succeeding again (the
    # milestone) after this long without InsufficientCapacity.
    launches_recovered_quiet_s: float = attrs.field(default=300.0, validator=gt(0))
    # Customers terminate instances; each termination is network work too.
    termination_rate_per_s: float = attrs.field(default=1.0, validator=ge(0))
    # Launches and terminations that arrive within one tick are handled together
    # at its end (arrival times kept for the rate limit): one wake-up per tick.
    tick_s: float = attrs.field(default=1.0, validator=gt(0))


@attrs.frozen
class DwfmThrottleConfig:
    """Admission control by the size of the waiting queue (AWS remediation 6)."""

    # Refuse new lease requests while a host's queue is full; refused droplets are invited again.
    enabled: bool = False
    # Queue length per host at which new requests are refused: a queue the workers serve within one
    # timeout has no requester give up on it.
    max_queue: int = attrs.field(default=16, validator=ge(1))


@attrs.frozen
class DwfmBackoffConfig:
    """Capped exponential backoff with full jitter between a droplet's retries.

    Before retry ``n`` a droplet waits uniform(0, min(max_s, base_s x 2^(n-1))).
    It ends a collapse once the mean wait makes the pending droplets'
    retries arrive slower than the host serves them: a host with D droplets
    pending needs a mean wait above D x work_service_s / workers -
    work_timeout_s (441 s for the default fleet's 593 after the first
    timeout), so the first retry already waits base_s / 2 = 300 s on average
    and the third 1,200 s (README). Not calibrated: a remedy's setting.
    """

    # Wait a jittered, growing time before each retry instead of retrying at once.
    enabled: bool = False
    # Cap on the first retry's wait, doubled at each later retry (the wait is uniform below it).
    base_s: float = attrs.field(default=600.0, validator=gt(0))
    # Ceiling on that cap, however many retries: bounds how long one droplet waits between tries.
    max_s: float = attrs.field(default=3600.0, validator=gt(0))


@attrs.frozen
class DwfmRetryBudgetConfig:
    """A retry budget: a token bucket per host that every retry must take a token from.

    A *retry* is any request for a lease whose earlier request timed out in
    this lapse (including one made again at a later state check). It refills
    at ``capacity_fraction`` of the host's nominal capacity (workers /
    work_service_s), so retries alone can never fill the queue faster than
    it drains, and holds up to ``burst_s`` seconds of refill. A retry that
    finds no token waits, parked at its host, until one accrues.
    """

    # Make every retry take a token from its host's bucket, so retries cannot outrun the workers.
    enabled: bool = False
    # Refill rate, as a fraction of the host's capacity (workers / work_service_s).
    capacity_fraction: float = attrs.field(default=0.5, validator=[gt(0), le(1)])
    # Bucket size, in seconds of refill: how many retries may go at once after a quiet spell.
    burst_s: float = attrs.field(default=60.0, validator=ge(0))


@attrs.frozen
class DwfmConfig:
    """DropletWorkflow Manager: leases, state checks, and its work queues."""

    # DWFM hosts in each AZ; the AZ's droplets are split among them, each host with its own queue.
    hosts_per_az: int = attrs.field(default=2, validator=ge(1))
    # Workers per host re-establishing leases in parallel: with work_service_s, the host's capacity.
    workers: int = attrs.field(default=8, validator=ge(1))
    # A lease lapses when no successful state check renews it within this long: DynamoDB must be out
    # for about this long before leases lapse. A droplet without a lease takes no new instances.
    lease_ttl_s: float = attrs.field(default=1800.0, validator=gt(0))
    # Every droplet is checked once in this interval, at a random phase: a successful check
    # renews its lease, or finds it lapsed and offers re-establishment.
    state_check_interval_s: float = attrs.field(default=180.0, validator=gt(0))
    # Hosts check the droplets due once per tick, one DynamoDB request per host and tick.
    check_tick_s: float = attrs.field(default=5.0, validator=gt(0))
    # Mean time a worker spends re-establishing one lease; each item's time is
    # drawn from an exponential distribution (the host's seeded generator).
    work_service_s: float = attrs.field(
        default=10.0,
        validator=gt(0),
        metadata={"calibrated": "puts the default 833 droplets per host beyond the collapse boundary 2K = 480"},
    )
    # Optional, unmodelled contention (off): service time x (1 + this * depth),
    # capped. The collapse does not need it; DynamoDB stayed healthy after 02:25.
    service_slowdown_per_queued: float = attrs.field(default=0.0, validator=ge(0))
    # Upper bound on that contention factor (only with the slowdown above it set).
    service_max_slowdown: float = attrs.field(default=20.0, validator=ge(1))
    # A droplet waits this long for its lease before it gives up and asks again; its old request
    # stays queued and is done anyway, wasted: the loop that sustains the collapse.
    work_timeout_s: float = attrs.field(default=300.0, validator=gt(0))
    # Retries per workflow (-1: unlimited, as in the incident). A lease out of
    # retries waits for its next state check, which starts a new workflow.
    max_retries: int = attrs.field(default=-1, validator=ge(-1))
    # Remedies (all off, as in the incident).
    drop_expired_work: bool = False  # a worker skips work whose requester gave up
    lifo_under_overload: bool = False  # newest first while the queue outlasts the timeout
    backoff: DwfmBackoffConfig = attrs.Factory(DwfmBackoffConfig)
    retry_budget: DwfmRetryBudgetConfig = attrs.Factory(DwfmRetryBudgetConfig)
    throttle: DwfmThrottleConfig = attrs.Factory(DwfmThrottleConfig)
    # Collapse detection (the emulator's analysis, see README): how often it
    # samples, the window, and the useful fraction of finished work below
    # which DWFM counts as collapsed. Not calibrated.
    collapse_sample_s: float = attrs.field(default=30.0, validator=gt(0))
    # How long the low useful fraction must last before DWFM counts as collapsed, and the span
    # over which that fraction is measured.
    collapse_window_s: float = attrs.field(default=300.0, validator=gt(0))
    # DWFM counts as collapsed while less than this share of its finished work was useful.
    collapse_goodput_fraction: float = attrs.field(default=0.1, validator=[ge(0), le(1)])
