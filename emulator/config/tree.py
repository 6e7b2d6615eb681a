"""The configuration tree: frozen attrs classes whose defaults play the incident.

Key names are the dotted attribute paths (``dns.enactor.stall_probability``)
used everywhere: in ``--set``, in TOML files and in the report's ``config``.
Units are in the names (``_s`` virtual seconds, ``_per_s``, ``_fraction``).
Loading, presets and overrides live in :mod:`emulator.config.loading`.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt, in_

from actors.dns.config import CleanupConfig, DnsConfig, EnactorConfig, PlannerConfig
from actors.dynamodb.config import DynamoDBConfig, ResolverConfig, WorkloadConfig
from actors.ec2.config import DwfmConfig, DwfmThrottleConfig, Ec2Config
from actors.network.config import NetworkManagerConfig, NetworkThrottleConfig
from actors.nlb.config import NlbConfig, VelocityControlConfig
from actors.operator.config import OperatorConfig

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
    # Virtual time the run plays (16 h covers AWS's whole timeline, 23:48 to 14:09).
    duration_s: float = attrs.field(default=16 * 3600.0, validator=gt(0))
    # How often a recording (--openmetrics, --plot, the /metrics exporter) samples the metrics.
    sample_interval_s: float = attrs.field(default=60.0, validator=gt(0))
    # The world's invariants are checked this often (virtual time); see README "Invariants".
    invariant_check_interval_s: float = attrs.field(default=60.0, validator=gt(0))


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
