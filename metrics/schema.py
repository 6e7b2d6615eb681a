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
    # -- operator -----------------------------------------------------------------
    MetricSpec("operator_actions_total", "counter", "Runbook actions taken, by action.", ("action",), stage="operator"),
)


def spec(name: str) -> MetricSpec:
    for metric in METRICS:
        if metric.name == name:
            return metric
    raise KeyError(name)
