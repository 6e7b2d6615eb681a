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

from metrics.dashboard_panels import (
    PER_VIRTUAL_SECOND,
    RATE_INTERVAL,
    Panel,
    alerts_table,
    increase,
    on_off,
    per_virtual_second,
    quantiles,
    stat_panel,
    time_series,
)
from metrics.schema import spec

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

RED, ORANGE, GREEN, GREY = "red", "orange", "green", "text"


def _name(metric: str) -> str:
    """The metric's name, looked up so that a renamed metric fails here, at build time."""
    return spec(metric).name


def _overview() -> list[Panel]:
    capacity = f"min({_name('nlb_capacity_in_service_ratio')})"
    return [
        stat_panel(
            "Regional endpoint: addresses in the answer",
            "How many addresses dynamodb.us-east-1 resolves to now; 0 is the empty record that began the outage.",
            (_name("dns_regional_endpoint_addresses"), "addresses"),
            "short",
            thresholds=((None, RED), (1, GREEN)),
        ),
        stat_panel(
            "DWFM state",
            "Whether DWFM is in congestive collapse: lease work timing out faster than it completes.",
            (_name("dwfm_collapsed"), "DWFM"),
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
            (_name("emulator_virtual_time_seconds"), "virtual time"),
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
            [(_name("emulator_phase_active"), "{{phase}}")],
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
                (_name("dns_plan_newest_generation"), "newest (Planner)"),
                (_name("dns_enactor_applied_generation"), "applied by Enactor {{enactor}}"),
            ],
            "short",
        ),
        time_series(
            "Enactor lag behind the newest plan",
            "Generations between the plan each Enactor is applying and the newest; a large lag means a stale plan.",
            [(_name("dns_enactor_lag_generations"), "Enactor {{enactor}}")],
            "short",
        ),
        time_series(
            "Regional endpoint's DNS answer over time",
            "Addresses in the regional endpoint's record; it fell to 0 when clean-up deleted the active plan.",
            [(_name("dns_regional_endpoint_addresses"), "addresses")],
            "short",
        ),
        time_series(
            "Lock conflicts, deleted plans and races (per virtual second)",
            "Contention between Enactors and clean-up, per virtual second; one race is enough to empty the record.",
            [(per_virtual_second(_name(counter)), legend) for counter, legend in zip(counters, legends, strict=True)],
            PER_VIRTUAL_SECOND,
            span=12,
        ),
        on_off(
            "DNS automation switch",
            "Whether the DNS automation is switched on; operators turned it off worldwide after the race.",
            [(_name("dns_automation_enabled"), "automation")],
            on=("on", GREEN),
            off=("off", ORANGE),
            span=6,
        ),
        on_off(
            "DNS automation stuck",
            "Whether no Enactor can apply a plan: the record stays wrong until someone repairs it by hand.",
            [(_name("dns_automation_stuck"), "stuck")],
            on=("stuck", RED),
            off=("applying", GREEN),
            span=6,
        ),
    ]


def _dynamodb() -> list[Panel]:
    requests = _name("dynamodb_requests_total")
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
            [(_name("dynamodb_failing_clients"), "failing clients")],
            "short",
        ),
    ]


def _dwfm() -> list[Panel]:
    return [
        on_off(
            "DWFM congestive collapse",
            "When DWFM's lease work timed out and was re-queued faster than it completed: overload feeding itself.",
            [(_name("dwfm_collapsed"), "collapsed")],
            on=("collapsed", RED),
            off=("working", GREEN),
            span=24,
        ),
        time_series(
            "Droplet leases by state",
            "Leases across all AZs by state; expired leases mean hosts that cannot take new instances.",
            [(f"sum by (state) ({_name('dwfm_leases')})", "{{state}}")],
            "short",
        ),
        time_series(
            "DWFM queue depth by host",
            "Lease work waiting on each DWFM host; a queue that keeps growing is the collapse from inside.",
            [(_name("dwfm_queue_depth"), "{{host}}")],
            "short",
        ),
        time_series(
            "DWFM work by outcome (per virtual second)",
            "Completed work against work wasted, timed out, rejected or dropped, per virtual second.",
            [(per_virtual_second(_name("dwfm_work_total"), ("outcome",)), "{{outcome}}")],
            PER_VIRTUAL_SECOND,
        ),
    ]


def _ec2() -> list[Panel]:
    return [
        time_series(
            "Instance launches by outcome (per virtual second)",
            "Launches that succeeded, found no capacity or were throttled by the operator, per virtual second.",
            [(per_virtual_second(_name("ec2_launches_total"), ("outcome",)), "{{outcome}}")],
            PER_VIRTUAL_SECOND,
            span=12,
        ),
        time_series(
            "Instances running",
            "Instances up; launched ones still need Network Manager before they can take traffic.",
            [(_name("ec2_instances_running"), "running")],
            "short",
            span=12,
        ),
    ]


def _network_manager() -> list[Panel]:
    return [
        time_series(
            "Network changes waiting to propagate",
            "Network Manager's backlog of configuration changes; it grew as relaunched instances flooded in.",
            [(_name("network_manager_backlog"), "backlog")],
            "short",
        ),
        time_series(
            "Network propagation latency (p50, p99)",
            "Virtual time from launch or termination to fully propagated network state; the latency alert reads p99.",
            quantiles(_name("network_manager_propagation_seconds")),
            "s",
        ),
        time_series(
            "Instances without network connectivity",
            "Launched instances whose network state has not arrived: running, but unreachable.",
            [(_name("network_manager_instances_without_connectivity"), "without connectivity")],
            "short",
        ),
    ]


def _nlb() -> list[Panel]:
    flaps = (per_virtual_second(_name("nlb_health_transitions_total")), "target health changes")
    failovers = (per_virtual_second(_name("nlb_az_failovers_total")), "AZ failovers")
    return [
        time_series(
            "NLB capacity in service by AZ",
            "Fraction of each AZ's healthy capacity that DNS still sends traffic to; the alert floor is 50%.",
            [(_name("nlb_capacity_in_service_ratio"), "{{az}}")],
            "percentunit",
        ),
        time_series(
            "Failed client connections (per virtual second)",
            "Connections through the NLBs that failed, per virtual second; what customers of NLB saw.",
            [(per_virtual_second(_name("nlb_connection_errors_total")), "failed connections")],
            PER_VIRTUAL_SECOND,
        ),
        time_series(
            "Health checks by result (per virtual second)",
            "Health checks that passed, failed or timed out: targets without network state fail them.",
            [(per_virtual_second(_name("nlb_health_checks_total"), ("result",)), "{{result}}")],
            PER_VIRTUAL_SECOND,
        ),
        time_series(
            "Health flaps and AZ failovers (per virtual second)",
            "Targets changing health and whole-AZ DNS failovers, per virtual second: the flapping that cut capacity.",
            [flaps, failovers],
            PER_VIRTUAL_SECOND,
        ),
        time_series(
            "Health-check delay",
            "How late health checks ran behind schedule, in virtual seconds; late checks mark healthy targets bad.",
            [(_name("nlb_healthcheck_delay_seconds"), "delay")],
            "s",
        ),
        on_off(
            "Automatic AZ failover",
            "Whether automatic AZ DNS failover is on; operators disabled it to stop the flapping.",
            [(_name("nlb_automatic_failover_enabled"), "automatic failover")],
            on=("on", GREEN),
            off=("off", ORANGE),
            span=8,
            height=7,
        ),
    ]


def _operator() -> list[Panel]:
    return [
        time_series(
            "Runbook actions",
            "Actions the operator's runbooks took in each interval, by action: repairs, throttles, restarts.",
            [(increase(_name("operator_actions_total"), ("action",)), "{{action}}")],
            "short",
            span=24,
            bars=True,
        ),
    ]


def curated_rows() -> dict[str, list[Panel]]:
    """Row key (``overview`` or a stage of :mod:`metrics.schema`) -> its panels, in incident order."""
    return {
        OVERVIEW: _overview(),
        "dns": _dns(),
        "dynamodb": _dynamodb(),
        "dwfm": _dwfm(),
        "ec2": _ec2(),
        "network_manager": _network_manager(),
        "nlb": _nlb(),
        "operator": _operator(),
    }
