"""Configuration of DynamoDB's DNS automation: Planner, Enactors, clean-up.

Part of the config tree (:mod:`emulator.config.tree`); units are in the names.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt, le

__all__ = ["CleanupConfig", "DnsConfig", "EnactorConfig", "PlannerConfig", "Route53Config"]


@attrs.frozen
class PlannerConfig:
    # A new generation-numbered plan this often; with keep_generations it sets how
    # soon an Enactor's plan counts as old enough to be cleaned up (10 x 5 s = 50 s).
    interval_s: float = attrs.field(default=5.0, validator=gt(0))


@attrs.frozen
class EnactorConfig:
    """Per-endpoint work of a DNS Enactor, and the injected jitter."""

    # The injected jitter: before any endpoint's transaction, with this chance,
    # a processing delay drawn uniformly from [stall_min_s, stall_max_s]. The
    # same for every endpoint; each delay is shorter than keep_generations x the
    # planner interval, so no single one can make an Enactor's plan stale.
    stall_probability: float = attrs.field(
        default=0.001, validator=[ge(0), le(1)], metadata={"calibrated": "AWS: 'unusually high delays' (no figure)"}
    )
    # The shortest injected processing delay.
    stall_min_s: float = attrs.field(default=1.0, validator=ge(0), metadata={"calibrated": "no AWS figure"})
    # The longest injected processing delay.
    stall_max_s: float = attrs.field(default=45.0, validator=ge(0), metadata={"calibrated": "no AWS figure"})
    # After a lost lock, the Enactor waits uniform(0, min(cap, base x 2^attempt)): capped
    # exponential backoff with full jitter, which is how a late Enactor falls further behind.
    backoff_base_s: float = attrs.field(default=0.5, validator=gt(0))
    # The ceiling of that backoff.
    backoff_cap_s: float = attrs.field(default=8.0, validator=gt(0))
    # With no plan newer than the one applied, an Enactor looks again after this.
    idle_poll_s: float = attrs.field(default=2.0, validator=gt(0))
    # A stuck Enactor (an endpoint's active plan deleted) checks again after this.
    stuck_retry_s: float = attrs.field(default=30.0, validator=gt(0))
    # How long an Enactor waits for the plan store, Route 53 or clean-up to
    # answer before it gives the request up (they answer in the same instant
    # unless a user slows them down; a lost answer must not hang the pass).
    request_timeout_s: float = attrs.field(default=60.0, validator=gt(0))


@attrs.frozen
class Route53Config:
    """How long one endpoint's transaction holds its lock before it commits.

    Lognormal around a median that grows with the size of the record set
    the change batch rewrites (with the lock and the rollback record). The
    regional endpoint's record set is by far the largest (every client of
    the region resolves it), so its batch takes that many times longer and
    holds its lock that much longer: the one real way it differs from the
    other endpoints here. The injected jitter (``dns.enactor``) is the same for all.
    """

    # The median time a change batch on an ordinary endpoint holds its lock.
    transaction_median_s: float = attrs.field(default=0.8, validator=gt(0))
    # The spread of that time (the log-normal's sigma; 0: every batch takes the median).
    transaction_sigma: float = attrs.field(default=0.5, validator=ge(0))
    # How many times longer the regional endpoint's batch holds its lock: the queue on
    # that lock is where the race comes from (below about 8 it fades; README).
    regional_record_set_factor: float = attrs.field(
        default=10.0,
        validator=ge(1),
        metadata={"calibrated": "assumed size of the regional record set against any other endpoint's"},
    )


@attrs.frozen
class CleanupConfig:
    # Plans more than this many generations older than the one just applied are deleted.
    keep_generations: int = attrs.field(default=10, validator=ge(1))
    # How long clean-up takes before it lists and deletes (its own work, not a wait).
    latency_s: float = attrs.field(default=1.0, validator=ge(0))


@attrs.frozen
class DnsConfig:
    # DynamoDB endpoints each plan covers and each Enactor walks, one transaction each.
    endpoints: int = attrs.field(default=12, validator=ge(1))
    # Where the regional endpoint comes in the walk (0: first).
    regional_position: int = attrs.field(default=0, validator=ge(0))
    # Independent DNS Enactors (one per AZ in us-east-1's design); with one there is no race.
    enactors: int = attrs.field(default=3, validator=ge(1))
    # Load balancer addresses a plan gives each endpoint.
    addresses_per_endpoint: int = attrs.field(default=4, validator=ge(1))
    # AWS's fix 2: the freshness check holds at write time (a commit conditional on the generation).
    race_fix: bool = False
    # AWS's fix 3: clean-up never deletes an active or recent plan, and an empty plan is refused.
    plan_protection: bool = False
    # AWS's fix 1, the off-switch: false and the Planner writes no plan, no Enactor applies one.
    automation_enabled: bool = True
    planner: PlannerConfig = attrs.Factory(PlannerConfig)
    enactor: EnactorConfig = attrs.Factory(EnactorConfig)
    route53: Route53Config = attrs.Factory(Route53Config)
    cleanup: CleanupConfig = attrs.Factory(CleanupConfig)
