"""The dashboard's rows for the cascade, stages 3 to 7: DWFM, EC2, Network Manager, NLB, operator.

Split from :mod:`metrics.dashboard_layout` (the overview, DNS and DynamoDB rows, and the order of
all rows) only to keep each module small; the same panel helpers build both.
"""

from __future__ import annotations

from metrics.dashboard_panels import (
    GREEN,
    ORANGE,
    PER_VIRTUAL_SECOND,
    RED,
    Panel,
    increase,
    metric_name,
    on_off,
    per_virtual_second,
    quantiles,
    time_series,
)

__all__ = ["dwfm_row", "ec2_row", "network_manager_row", "nlb_row", "operator_row"]


def dwfm_row() -> list[Panel]:
    return [
        on_off(
            "DWFM congestive collapse",
            "When DWFM's lease work timed out and was re-queued faster than it completed: overload feeding itself.",
            [(metric_name("dwfm_collapsed"), "collapsed")],
            on=("collapsed", RED),
            off=("working", GREEN),
            span=24,
        ),
        time_series(
            "Droplet leases by state",
            "Leases across all AZs by state; expired leases mean hosts that cannot take new instances.",
            [(f"sum by (state) ({metric_name('dwfm_leases')})", "{{state}}")],
            "short",
        ),
        time_series(
            "DWFM queue depth by host",
            "Lease work waiting on each DWFM host; a queue that keeps growing is the collapse from inside.",
            [(metric_name("dwfm_queue_depth"), "{{host}}")],
            "short",
        ),
        time_series(
            "DWFM work by outcome (per virtual second)",
            "Completed work against work wasted, timed out, rejected or dropped, per virtual second.",
            [(per_virtual_second(metric_name("dwfm_work_total"), ("outcome",)), "{{outcome}}")],
            PER_VIRTUAL_SECOND,
        ),
    ]


def ec2_row() -> list[Panel]:
    return [
        time_series(
            "Instance launches by outcome (per virtual second)",
            "Launches that succeeded, found no capacity or were throttled by the operator, per virtual second.",
            [(per_virtual_second(metric_name("ec2_launches_total"), ("outcome",)), "{{outcome}}")],
            PER_VIRTUAL_SECOND,
            span=12,
        ),
        time_series(
            "Instances running",
            "Instances up; launched ones still need Network Manager before they can take traffic.",
            [(metric_name("ec2_instances_running"), "running")],
            "short",
            span=12,
        ),
    ]


def network_manager_row() -> list[Panel]:
    return [
        time_series(
            "Network changes waiting to propagate",
            "Network Manager's backlog of configuration changes; it grew as relaunched instances flooded in.",
            [(metric_name("network_manager_backlog"), "backlog")],
            "short",
        ),
        time_series(
            "Network propagation latency (p50, p99)",
            "Virtual time from launch or termination to fully propagated network state; the latency alert reads p99.",
            quantiles(metric_name("network_manager_propagation_seconds")),
            "s",
        ),
        time_series(
            "Instances without network connectivity",
            "Launched instances whose network state has not arrived: running, but unreachable.",
            [(metric_name("network_manager_instances_without_connectivity"), "without connectivity")],
            "short",
        ),
    ]


def nlb_row() -> list[Panel]:
    flaps = (per_virtual_second(metric_name("nlb_health_transitions_total")), "target health changes")
    failovers = (per_virtual_second(metric_name("nlb_az_failovers_total")), "AZ failovers")
    return [
        time_series(
            "NLB capacity in service by AZ",
            "Fraction of each AZ's healthy capacity that DNS still sends traffic to; the alert floor is 50%.",
            [(metric_name("nlb_capacity_in_service_ratio"), "{{az}}")],
            "percentunit",
        ),
        time_series(
            "Failed client connections (per virtual second)",
            "Connections through the NLBs that failed, per virtual second; what customers of NLB saw.",
            [(per_virtual_second(metric_name("nlb_connection_errors_total")), "failed connections")],
            PER_VIRTUAL_SECOND,
        ),
        time_series(
            "Health checks by result (per virtual second)",
            "Health checks that passed, failed or timed out: targets without network state fail them.",
            [(per_virtual_second(metric_name("nlb_health_checks_total"), ("result",)), "{{result}}")],
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
            [(metric_name("nlb_healthcheck_delay_seconds"), "delay")],
            "s",
        ),
        on_off(
            "Automatic AZ failover",
            "Whether automatic AZ DNS failover is on; operators disabled it to stop the flapping.",
            [(metric_name("nlb_automatic_failover_enabled"), "automatic failover")],
            on=("on", GREEN),
            off=("off", ORANGE),
            span=8,
            height=7,
        ),
    ]


def operator_row() -> list[Panel]:
    return [
        time_series(
            "Runbook actions",
            "Actions the operator's runbooks took in each interval, by action: repairs, throttles, restarts.",
            [(increase(metric_name("operator_actions_total"), ("action",)), "{{action}}")],
            "short",
            span=24,
            bars=True,
        ),
    ]
