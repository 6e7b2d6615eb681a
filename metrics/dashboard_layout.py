"""What the dashboard shows, row by row, in the order the incident unfolded.

An incident review reads top to bottom: first where things stand (the
overview: the regional endpoint's answer, DWFM, NLB capacity, the alerts and
the phases), then each stage of the chain in the order the failure travelled,
DNS to DynamoDB to DWFM to EC2 to Network Manager to NLB, and last what the
operator did. Titles say what a panel shows in words, descriptions say why it
matters; a metric that no curated panel shows still appears in its stage's
row (:func:`metrics.dashboard_panels.automatic_panel`).
"""

from __future__ import annotations

from metrics.dashboard_cascade_rows import dwfm_row, ec2_row, network_manager_row, nlb_row, operator_row
from metrics.dashboard_panels import (
    GREEN,
    ORANGE,
    PER_VIRTUAL_SECOND,
    RATE_INTERVAL,
    RED,
    Panel,
    alerts_table,
    metric_name,
    on_off,
    per_virtual_second,
    stat_panel,
    time_series,
)

__all__ = ["OVERVIEW", "ROW_TITLES", "curated_rows"]

OVERVIEW = "overview"
ROW_TITLES = {
    OVERVIEW: "Overview: where the incident stands",
    "dns": "1. DNS automation: the race that emptied the regional record",
    "dynamodb": "2. DynamoDB: clients cannot resolve the endpoint",
    "dwfm": "3. DWFM: droplet leases expire, work collapses",
    "ec2": "4. EC2: launches fail, then are throttled",
    "network_manager": "5. Network Manager: network state propagates late",
    "nlb": "6. NLB: health checks flap, failover removes capacity",
    "operator": "7. Operator: what the runbooks did",
    "run": "Run",
}


def _overview() -> list[Panel]:
    capacity = f"min({metric_name('nlb_capacity_in_service_ratio')})"
    return [
        stat_panel(
            "Regional endpoint: addresses in the answer",
            "How many addresses dynamodb.us-east-1 resolves to now; 0 is the empty record that began the outage.",
            (metric_name("dns_regional_endpoint_addresses"), "addresses"),
            "short",
            thresholds=((None, RED), (1, GREEN)),
        ),
        stat_panel(
            "DWFM state",
            "Whether DWFM is in congestive collapse: lease work timing out faster than it completes.",
            (metric_name("dwfm_collapsed"), "DWFM"),
            "none",
            states={"0": ("working", GREEN), "1": ("congestive collapse", RED)},
        ),
        stat_panel(
            "NLB capacity in service (worst AZ)",
            "The lowest fraction of an AZ's healthy capacity still in service in DNS; below 50% connections fail.",
            (capacity, "worst AZ"),
            "percentunit",
            thresholds=((None, RED), (0.5, ORANGE), (0.9, GREEN)),
        ),
        stat_panel(
            "Virtual time since the run started",
            "The emulator's clock: a backfilled run at 1970-01-01 00:00 UTC + this; a soak runs --speed times wall.",
            (metric_name("emulator_virtual_time_seconds"), "virtual time"),
            "dtdurations",
        ),
        alerts_table(
            "Alerts pending or firing",
            "Prometheus's ALERTS now; empty for a backfilled run, whose alert rules were never evaluated.",
            "sum by (alertname, alertstate, severity, stage) (ALERTS)",
        ),
        on_off(
            "Incident phases",
            "When each phase of the incident was under way; the same bands are the dashboard's annotations.",
            [(metric_name("emulator_phase_active"), "{{phase}}")],
            on=("under way", RED),
            off=("-", "transparent"),
            span=24,
            height=6,
        ),
    ]


def _dns() -> list[Panel]:
    counters = ("dns_lock_conflicts_total", "dns_plans_deleted_total", "dns_races_total")
    legends = ("lock conflicts", "plans deleted by clean-up", "active plan deleted (race)")
    return [
        time_series(
            "Plan generations: newest written vs applied by each Enactor",
            "A slow Enactor applying an old generation while clean-up deletes it is the race that emptied the record.",
            [
                (metric_name("dns_plan_newest_generation"), "newest (Planner)"),
                (metric_name("dns_enactor_applied_generation"), "applied by Enactor {{enactor}}"),
            ],
            "short",
        ),
        time_series(
            "Enactor lag behind the newest plan",
            "Generations between the plan each Enactor is applying and the newest; a large lag means a stale plan.",
            [(metric_name("dns_enactor_lag_generations"), "Enactor {{enactor}}")],
            "short",
        ),
        time_series(
            "Regional endpoint's DNS answer over time",
            "Addresses in the regional endpoint's record; it fell to 0 when clean-up deleted the active plan.",
            [(metric_name("dns_regional_endpoint_addresses"), "addresses")],
            "short",
        ),
        time_series(
            "Lock conflicts, deleted plans and races (per virtual second)",
            "Contention between Enactors and clean-up, per virtual second; one race is enough to empty the record.",
            [
                (per_virtual_second(metric_name(counter)), legend)
                for counter, legend in zip(counters, legends, strict=True)
            ],
            PER_VIRTUAL_SECOND,
            span=12,
        ),
        on_off(
            "DNS automation switch",
            "Whether the DNS automation is switched on; operators turned it off worldwide after the race.",
            [(metric_name("dns_automation_enabled"), "automation")],
            on=("on", GREEN),
            off=("off", ORANGE),
            span=6,
        ),
        on_off(
            "DNS automation stuck",
            "Whether no Enactor can apply a plan: the record stays wrong until someone repairs it by hand.",
            [(metric_name("dns_automation_stuck"), "stuck")],
            on=("stuck", RED),
            off=("applying", GREEN),
            span=6,
        ),
    ]


def _dynamodb() -> list[Panel]:
    requests = metric_name("dynamodb_requests_total")
    failed = f'(sum(rate({requests}{{outcome!="ok"}}[{RATE_INTERVAL}])) or vector(0))'
    error_ratio = f"{failed} / sum(rate({requests}[{RATE_INTERVAL}]))"
    return [
        time_series(
            "DynamoDB requests by outcome (per virtual second)",
            "Requests per virtual second, by outcome; unresolvable ones never reached DynamoDB at all.",
            [(per_virtual_second(requests, ("outcome",)), "{{outcome}}")],
            PER_VIRTUAL_SECOND,
        ),
        time_series(
            "DynamoDB error ratio",
            "Share of requests that failed: what customers saw, and what the DynamoDB alert fires on.",
            [(error_ratio, "failed")],
            "percentunit",
        ),
        time_series(
            "Customer clients failing",
            "Clients whose last request failed; they keep failing until the endpoint resolves again.",
            [(metric_name("dynamodb_failing_clients"), "failing clients")],
            "short",
        ),
    ]


def curated_rows() -> dict[str, list[Panel]]:
    """Row key (``overview`` or a stage of :mod:`metrics.schema`) -> its panels, in incident order."""
    return {
        OVERVIEW: _overview(),
        "dns": _dns(),
        "dynamodb": _dynamodb(),
        "dwfm": dwfm_row(),
        "ec2": ec2_row(),
        "network_manager": network_manager_row(),
        "nlb": nlb_row(),
        "operator": operator_row(),
    }
