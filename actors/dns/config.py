"""Configuration of DynamoDB's DNS automation: Planner, Enactors, clean-up.

Part of the config tree (:mod:`emulator.config.tree`); units are in the names.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt, le

__all__ = ["CleanupConfig", "DnsConfig", "EnactorConfig", "PlannerConfig"]


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
    # How long an Enactor waits for the plan store, Route 53 or clean-up to
    # answer before it gives the request up (they answer in the same instant
    # unless a user slows them down; a lost answer must not hang the pass).
    request_timeout_s: float = attrs.field(default=60.0, validator=gt(0))


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
