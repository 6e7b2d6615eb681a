"""The contract between the world and its metrics: every metric, declared once.

The world never touches Prometheus on its hot paths. Instead
``World.metrics_snapshot()`` returns a :data:`Snapshot` (cheap: it reads
counters the actors keep anyway) keyed by the names declared here, and the
metrics layer turns snapshots into Prometheus series, recorded time series,
OpenMetrics and plots. Label values come only from the topology (AZs, DWFM
hosts, Enactors, outcomes), so cardinality never grows with the fleet.

Snapshot values: a number for an unlabelled metric; for a labelled one a
dict from the tuple of label values (in ``labels`` order) to a number; for a
histogram a :class:`HistogramSnapshot`. Counters are cumulative totals.
"""

from __future__ import annotations

from typing import Literal

import attrs

__all__ = ["METRICS", "PHASE_NAMES", "HistogramSnapshot", "MetricSpec", "Snapshot", "spec"]

Kind = Literal["gauge", "counter", "histogram"]


@attrs.frozen
class MetricSpec:
    name: str  # full Prometheus name; counters end in _total
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()
    stage: str = "run"  # dashboard row: dns, dynamodb, dwfm, ec2, network_manager, nlb, operator, run
    unit: str = "short"  # Grafana unit id for panels
    buckets: tuple[float, ...] = ()


@attrs.frozen
class HistogramSnapshot:
    """Cumulative counts per upper bound (``buckets`` of the spec, then +Inf)."""

    bucket_counts: tuple[int, ...]
    count: int
    sum: float


Snapshot = dict[str, "float | dict[tuple[str, ...], float] | HistogramSnapshot"]

PHASE_NAMES = ("dns_outage", "dwfm_collapse", "network_backlog", "nlb_flapping")

METRICS: tuple[MetricSpec, ...] = (
    # -- run -------------------------------------------------------------------
    MetricSpec("emulator_virtual_time_seconds", "gauge", "Virtual seconds since the run started.", unit="s"),
    MetricSpec("emulator_phase_active", "gauge", "1 while a phase of the incident is under way.", ("phase",)),
    # -- DNS automation ------------------------------------------------------------
    MetricSpec("dns_plan_newest_generation", "gauge", "Newest plan generation written by the Planner.", stage="dns"),
    MetricSpec(
        "dns_enactor_applied_generation",
        "gauge",
        "Generation of the last plan each Enactor applied to every endpoint.",
        ("enactor",),
        stage="dns",
    ),
    MetricSpec(
        "dns_enactor_lag_generations",
        "gauge",
        "How many generations the plan each Enactor is applying is behind the newest.",
        ("enactor",),
        stage="dns",
    ),
    MetricSpec(
        "dns_regional_endpoint_addresses",
        "gauge",
        "Addresses the regional endpoint resolves to (0: empty answer).",
        stage="dns",
    ),
    MetricSpec("dns_lock_conflicts_total", "counter", "Endpoint lock conflicts (aborted transactions).", stage="dns"),
    MetricSpec("dns_plans_deleted_total", "counter", "Plans deleted by clean-up.", stage="dns"),
    MetricSpec(
        "dns_races_total", "counter", "Times clean-up deleted the regional endpoint's active plan.", stage="dns"
    ),
    MetricSpec("dns_automation_stuck", "gauge", "1 while no Enactor can apply a plan.", stage="dns"),
    MetricSpec("dns_automation_enabled", "gauge", "1 while the DNS automation's switch is on.", stage="dns"),
    # -- DynamoDB -------------------------------------------------------------------
    MetricSpec(
        "dynamodb_requests_total",
        "counter",
        "DynamoDB requests by outcome (ok, unresolvable).",
        ("outcome",),
        stage="dynamodb",
    ),
    MetricSpec(
        "dynamodb_failing_clients",
        "gauge",
        "Customer clients whose last request failed.",
        stage="dynamodb",
    ),
    # -- DWFM and droplet leases ----------------------------------------------------------
    MetricSpec(
        "dwfm_leases",
        "gauge",
        "Droplet leases by AZ and state (active, expired, reestablishing).",
        ("az", "state"),
        stage="dwfm",
    ),
    MetricSpec("dwfm_queue_depth", "gauge", "Work waiting in each DWFM host's queue.", ("host",), stage="dwfm"),
    MetricSpec(
        "dwfm_work_total",
        "counter",
        "DWFM work items by outcome (completed, wasted, timed_out, rejected, dropped, discarded).",
        ("outcome",),
        stage="dwfm",
    ),
    MetricSpec(
        "dwfm_work_admitted_total",
        "counter",
        "Lease requests DWFM hosts took into their queues. Each ends completed, wasted, dropped or discarded.",
        stage="dwfm",
    ),
    MetricSpec("dwfm_work_in_service", "gauge", "Lease requests a DWFM worker is doing now.", stage="dwfm"),
    MetricSpec("dwfm_collapsed", "gauge", "1 while DWFM is in congestive collapse (README).", stage="dwfm"),
    # -- EC2 -------------------------------------------------------------------------
    MetricSpec(
        "ec2_launches_total",
        "counter",
        "Instance launches by outcome (ok, insufficient_capacity, throttled).",
        ("outcome",),
        stage="ec2",
    ),
    MetricSpec("ec2_instances_running", "gauge", "Instances running.", stage="ec2"),
    # -- Network Manager ------------------------------------------------------------
    MetricSpec(
        "network_manager_backlog",
        "gauge",
        "Network configuration changes waiting to propagate.",
        stage="network_manager",
    ),
    MetricSpec(
        "network_manager_propagation_seconds",
        "histogram",
        "Time from launch or termination to fully propagated network state.",
        stage="network_manager",
        unit="s",
        buckets=(1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0),
    ),
    MetricSpec(
        "network_manager_instances_without_connectivity",
        "gauge",
        "Launched instances whose network state has not propagated.",
        stage="network_manager",
    ),
    # -- NLB --------------------------------------------------------------------------
    MetricSpec(
        "nlb_health_checks_total",
        "counter",
        "Health checks by result (healthy, unhealthy, timeout).",
        ("result",),
        stage="nlb",
    ),
    MetricSpec("nlb_health_transitions_total", "counter", "Healthy/unhealthy state changes of targets.", stage="nlb"),
    MetricSpec(
        "nlb_capacity_in_service_ratio",
        "gauge",
        "Fraction of each AZ's healthy capacity that is in service in DNS.",
        ("az",),
        stage="nlb",
        unit="percentunit",
    ),
    MetricSpec("nlb_az_failovers_total", "counter", "Automatic AZ DNS failovers.", stage="nlb"),
    MetricSpec("nlb_connection_errors_total", "counter", "Client connections that failed.", stage="nlb"),
    MetricSpec(
        "nlb_healthcheck_delay_seconds",
        "gauge",
        "How late health checks run behind their schedule.",
        stage="nlb",
        unit="s",
    ),
    MetricSpec(
        "nlb_automatic_failover_enabled",
        "gauge",
        "1 while automatic AZ DNS failover is on.",
        stage="nlb",
    ),
    # -- operator -----------------------------------------------------------------
    MetricSpec("operator_actions_total", "counter", "Runbook actions taken, by action.", ("action",), stage="operator"),
)


def spec(name: str) -> MetricSpec:
    for metric in METRICS:
        if metric.name == name:
            return metric
    raise KeyError(name)
