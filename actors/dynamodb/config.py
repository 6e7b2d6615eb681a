"""Configuration of DynamoDB's clients: their resolvers and the customer workload.

Part of the config tree (:mod:`emulator.config.tree`); units are in the names.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt

__all__ = ["DynamoDBConfig", "ResolverConfig", "WorkloadConfig"]


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
