"""Configuration of DynamoDB's DNS automation: Planner, Enactors, clean-up.

Part of the config tree (:mod:`emulator.config.tree`); units are in the names.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt, le

__all__ = ["CleanupConfig", "DnsConfig", "EnactorConfig", "PlannerConfig", "Route53Config"]


@attrs.frozen
class PlannerConfig:
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
    stall_min_s: float = attrs.field(default=1.0, validator=ge(0), metadata={"calibrated": "no AWS figure"})
    stall_max_s: float = attrs.field(default=45.0, validator=ge(0), metadata={"calibrated": "no AWS figure"})
    backoff_base_s: float = attrs.field(default=0.5, validator=gt(0))
    backoff_cap_s: float = attrs.field(default=8.0, validator=gt(0))
    idle_poll_s: float = attrs.field(default=2.0, validator=gt(0))
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

    transaction_median_s: float = attrs.field(default=0.8, validator=gt(0))
    transaction_sigma: float = attrs.field(default=0.5, validator=ge(0))
    regional_record_set_factor: float = attrs.field(
        default=10.0,
        validator=ge(1),
        metadata={"calibrated": "assumed size of the regional record set against any other endpoint's"},
    )


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
    race_fix: bool = False
    plan_protection: bool = False
    automation_enabled: bool = True
    planner: PlannerConfig = attrs.Factory(PlannerConfig)
    enactor: EnactorConfig = attrs.Factory(EnactorConfig)
    route53: Route53Config = attrs.Factory(Route53Config)
    cleanup: CleanupConfig = attrs.Factory(CleanupConfig)
