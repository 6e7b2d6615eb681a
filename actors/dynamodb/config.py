"""Configuration of DynamoDB: the service, its clients' resolvers, the customer workload.

Part of the config tree (:mod:`emulator.config.tree`); units are in the names.

Why the service's defaults: in the incident DynamoDB itself stayed healthy;
it was unreachable because its name resolved to nothing. So by default the
service adds no latency (``latency_s = 0``: a request is answered within the
virtual instant it is sent, which also adds no distinct instants, the
emulator's main cost) and its throughput is far above the load (about 30
items/s here: the DWFM hosts' state checks and the customers' requests), so
it never throttles. Lower ``capacity_items_per_s`` below the load to make
DynamoDB itself the bottleneck: it spends its burst credit, queues up to
``max_backlog_items`` items and then answers THROTTLED, and clients whose
answer takes longer than ``dynamodb.client.timeout_s`` time out.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt

__all__ = ["ClientConfig", "DynamoDBConfig", "ResolverConfig", "ServiceConfig", "WorkloadConfig"]


@attrs.frozen
class ResolverConfig:
    # How long a resolver keeps an answer with addresses.
    ttl_s: float = attrs.field(default=60.0, validator=ge(0))
    # How long it keeps an empty answer: longer, which is why clients kept failing after
    # the records were restored (AWS: recovered as cached answers expired).
    negative_ttl_s: float = attrs.field(default=900.0, validator=ge(0))
    # A resolver that gets no answer from Route 53 in time answers empty and
    # caches nothing (as a SERVFAIL would); Route 53 answers at once by default.
    timeout_s: float = attrs.field(default=5.0, validator=gt(0))


@attrs.frozen
class ServiceConfig:
    """The DynamoDB service task: latency, a token bucket of throughput, a bounded backlog."""

    # Time to answer a request that finds capacity (0: in the instant it is sent).
    latency_s: float = attrs.field(default=0.0, validator=ge(0))
    # Throughput in items (reads/writes); lower it below the load to make DynamoDB itself
    # the bottleneck.
    capacity_items_per_s: float = attrs.field(default=1_000_000.0, validator=gt(0))
    # Unused capacity is kept as credit for bursts, up to this many seconds of
    # it (DynamoDB keeps up to five minutes).
    burst_s: float = attrs.field(default=300.0, validator=ge(0))
    # Requests that find no capacity wait in FIFO order for it, up to this
    # many items; past it they are answered THROTTLED (0: throttle at once,
    # as provisioned DynamoDB tables do).
    max_backlog_items: int = attrs.field(default=10_000, validator=ge(0))


@attrs.frozen
class ClientConfig:
    # How long a client waits for the service's answer before it gives up.
    timeout_s: float = attrs.field(default=10.0, validator=gt(0))


@attrs.frozen
class WorkloadConfig:
    # Customer clients of DynamoDB besides DWFM (each with its own resolver).
    clients: int = attrs.field(default=3, validator=ge(0))
    # Requests each customer client makes (their failures are the incident's DynamoDB errors).
    rate_per_s: float = attrs.field(default=0.2, validator=gt(0))


@attrs.frozen
class DynamoDBConfig:
    service: ServiceConfig = attrs.Factory(ServiceConfig)
    client: ClientConfig = attrs.Factory(ClientConfig)
    resolver: ResolverConfig = attrs.Factory(ResolverConfig)
    workload: WorkloadConfig = attrs.Factory(WorkloadConfig)
