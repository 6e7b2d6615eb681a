"""The EC2 cascade: leases lapse while DynamoDB is unreachable, then DWFM's
re-establishment collapses under its own timeouts and retries, and stays
collapsed although DynamoDB is healthy, until throttling or the operator."""

from __future__ import annotations

from typing import Any

import pytest

from actors.ec2.config import DwfmConfig
from tests.helpers import first, run, shared_run

# A small fleet with a proportionally small DWFM (capacity 6 items/s; K = 4 x
# 60 / 2 = 120 items per host and timeout, so 333 droplets per host are beyond
# the collapse boundary 2K), and a short lease TTL so a fleet-wide lease loss
# happens within minutes. The injected fault empties the regional endpoint, so
# the DNS automation is off: DWFM draws from its own generators and plays the
# same either way, and the DNS automation was over half of such a world's cost.
SMALL: dict[str, Any] = {
    "ec2__droplets": 1000,
    "dwfm__hosts_per_az": 1,
    "dwfm__workers": 4,
    "dwfm__work_service_s": 2,
    "dwfm__work_timeout_s": 60,
    "dwfm__lease_ttl_s": 600,
    "dynamodb__resolver__negative_ttl_s": 60,
    "operator__enabled": False,
    "dns__automation_enabled": False,
}
LONG_FAULT = ("empty_record:2m:20m",)  # longer than the lease TTL
SHORT_FAULT = ("empty_record:2m:3m",)  # fault + negative TTL + 2 checks < lease TTL


def _capacity_per_s(report: dict[str, Any]) -> float:
    config = report["config"]
    hosts = 3 * config["dwfm.hosts_per_az"]
    return float(hosts * config["dwfm.workers"] / config["dwfm.work_service_s"])


def _throttled_recovery_seconds() -> float:
    report = shared_run("healthy", 1, LONG_FAULT, run__duration_s=3600, dwfm__throttle__enabled=True, **SMALL)
    seconds = report["dwfm"]["lease_recovery_seconds"]
    assert seconds is not None
    return float(seconds)


def test_a_fault_longer_than_the_lease_ttl_leaves_dwfm_collapsed_while_dynamodb_is_healthy() -> None:
    report = run("healthy", 1, LONG_FAULT, run__duration_s=3 * 3600, **SMALL)
    dwfm = report["dwfm"]
    assert dwfm["leases_expired_peak"] == 1000
    assert dwfm["collapse"] is True
    assert dwfm["lease_recovery_seconds"] is None, "leases never all came back"
    assert dwfm["work_wasted"] > dwfm["work_completed"]
    # DynamoDB was reachable from DWFM from shortly after the fault to the end.
    reachable_at = first(report, "dwfm_dynamodb_reachable")
    assert reachable_at is not None and reachable_at < 25 * 60
    unreachable = [e["t"] for e in report["timeline"] if e["event"] == "dwfm_dynamodb_unreachable"]
    assert max(unreachable) < reachable_at
    collapse = [p for p in report["phases"] if p["name"] == "dwfm_collapse"]
    assert collapse and collapse[0]["start"] >= reachable_at and collapse[0]["end"] is None
    assert dwfm["collapse_seconds"] >= 10 * _throttled_recovery_seconds()


def test_a_fault_shorter_than_the_lease_ttl_expires_no_lease_and_causes_no_collapse() -> None:
    report = run("healthy", 1, SHORT_FAULT, run__duration_s=3600, **SMALL)
    assert report["dynamodb"]["failed_unresolvable"] > 0, "the fault did cut DWFM off"
    assert report["dwfm"]["leases_expired_peak"] == 0
    assert report["dwfm"]["collapse"] is False
    assert report["ec2"]["launches_insufficient_capacity"] == 0


def test_queue_size_throttling_recovers_every_lease_within_twice_expired_over_capacity() -> None:
    report = shared_run("healthy", 1, LONG_FAULT, run__duration_s=3600, dwfm__throttle__enabled=True, **SMALL)
    dwfm = report["dwfm"]
    assert dwfm["collapse"] is False
    assert dwfm["leases_not_active_at_end"] == 0
    ideal = dwfm["leases_expired_peak"] / _capacity_per_s(report)
    assert dwfm["lease_recovery_seconds"] <= 2 * ideal
    assert dwfm["max_queue_depth"] <= report["config"]["dwfm.throttle.max_queue"]


def test_dropping_work_whose_requester_gave_up_also_ends_the_collapse() -> None:
    report = run("healthy", 1, LONG_FAULT, run__duration_s=2 * 3600, dwfm__drop_expired_work=True, **SMALL)
    assert report["dwfm"]["leases_not_active_at_end"] == 0
    assert report["dwfm"]["work_dropped"] > 0


def test_operator_throttle_and_restarts_recover_a_collapsed_dwfm() -> None:
    settings = {
        **SMALL,
        "operator__enabled": True,
        "operator__dwfm_action_delay_s": 900,
        "operator__dwfm_restart_interval_s": 120,
    }
    report = run("healthy", 1, LONG_FAULT, run__duration_s=3 * 3600, **settings)
    collapse_start = first(report, "dwfm_collapse_start")
    throttled = first(report, "operator_throttled_dwfm")
    recovered = first(report, "dwfm_leases_recovered")
    assert collapse_start is not None and throttled is not None and recovered is not None
    assert collapse_start < throttled < recovered
    assert sum(e["event"] == "dwfm_host_restarted" for e in report["timeline"]) >= 1
    assert report["dwfm"]["leases_not_active_at_end"] == 0
    assert next(p["end"] for p in report["phases"] if p["name"] == "dwfm_collapse") is not None


@pytest.mark.parametrize("droplets", [1000, 5000, pytest.param(20000, marks=pytest.mark.slow)])
def test_dwfm_recovery_suite_fleet_wide_lease_loss_recovers_in_bounded_time(droplets: int) -> None:
    """AWS remediation 5: exercise the recovery workflow at scale (default DWFM).

    The run lasts past the bound (DynamoDB back at about 22 min, then twice
    the leases over DWFM's capacity, 4.8 items/s with the default settings).
    """
    dwfm = DwfmConfig()
    capacity_per_s = 3 * dwfm.hosts_per_az * dwfm.workers / dwfm.work_service_s
    report = run(
        "healthy",
        2,
        ("empty_record:2m:20m",),
        run__duration_s=round(1800 + 2 * droplets / capacity_per_s),
        ec2__droplets=droplets,
        dwfm__lease_ttl_s=600,
        dwfm__throttle__enabled=True,
        dynamodb__resolver__negative_ttl_s=60,
        operator__enabled=False,
        dns__automation_enabled=False,  # no race: the fault alone cuts DWFM off
    )
    dwfm = report["dwfm"]
    assert dwfm["leases_expired_peak"] == droplets
    assert dwfm["leases_not_active_at_end"] == 0
    assert dwfm["lease_recovery_seconds"] <= 2 * droplets / _capacity_per_s(report)


def test_launches_fail_with_insufficient_capacity_while_leases_are_expired_then_succeed() -> None:
    report = shared_run("healthy", 1, LONG_FAULT, run__duration_s=3600, dwfm__throttle__enabled=True, **SMALL)
    failing_from = first(report, "ec2_insufficient_capacity_start")
    recovered = first(report, "dwfm_leases_recovered")
    succeeding = first(report, "ec2_launches_succeeding_again")
    assert failing_from is not None and recovered is not None and succeeding is not None
    assert failing_from < recovered <= succeeding
    assert report["ec2"]["launches_insufficient_capacity"] > 0
    assert report["ec2"]["launches_ok"] > 0


def test_capping_retries_shows_in_the_trace() -> None:
    """The droplets' retries and give-ups are in the trace (that the cap changes the outcome:
    tests/test_dwfm_mechanism.py)."""
    unlimited = run("healthy", 1, LONG_FAULT, run__duration_s=3600, **SMALL)
    capped = run("healthy", 1, LONG_FAULT, run__duration_s=3600, dwfm__max_retries=1, **SMALL)
    assert capped["dwfm"]["work_gave_up"] > 0 == unlimited["dwfm"]["work_gave_up"]
    assert capped["trace_hash"] != unlimited["trace_hash"], "DWFM's work is in the trace"


def test_the_world_lifts_the_launch_throttle_once_doubling_passes_the_demand_multiple() -> None:
    """The relaxation's ceiling is ``relax_lift_at_demand_multiple`` x the customers' demand (new
    launches plus their retries, 1 + 2 per second by default): at a multiple of 1 the operator's 0.2/s
    doubles four times (0.4 ... 3.2, past 3) and is then lifted. Leaving out the retries would take
    three stages, ignoring the multiple (4 by default, a ceiling of 12) six."""
    stage_s = 300.0
    report = run(
        "healthy",
        1,
        LONG_FAULT,
        run__duration_s=3 * 3600,
        **{
            **SMALL,
            "operator__enabled": True,
            "operator__dwfm_action_delay_s": 900,
            "operator__dwfm_restart_interval_s": 120,
            "operator__relax_throttles_delay_s": 600,
            "operator__relax_stage_interval_s": stage_s,
            "operator__relax_lift_at_demand_multiple": 1,
        },
    )
    relaxing, lifted = first(report, "operator_relaxing_throttles"), first(report, "operator_lifted_throttles")
    assert relaxing is not None and lifted is not None
    assert lifted - relaxing == 4 * stage_s
