"""DynamoDB's DNS race: it emerges from timing, leaves the regional endpoint
empty and the automation stuck, and the operator's runbook repairs it."""

from __future__ import annotations

import pytest

from tests.helpers import DNS_ONLY, first, run

HOUR = 3600.0


def test_incident_race_emerges_in_the_first_hour_for_most_seeds_at_different_times() -> None:
    onsets = []
    for seed in range(20):
        report = run("incident", seed, run__duration_s=HOUR, operator__enabled=False, **DNS_ONLY)
        if report["dns"]["race_occurred"]:
            onsets.append(report["dns"]["first_empty_at"])
    assert len(onsets) >= 16, f"race in only {len(onsets)} of 20 seeds"
    assert all(0 < onset <= HOUR for onset in onsets)
    assert len({round(onset) for onset in onsets}) >= len(onsets) - 1, "onsets must differ between seeds"


def test_without_the_injected_jitter_the_race_never_happens() -> None:
    for seed in range(6):
        report = run("incident", seed, run__duration_s=HOUR, dns__enactor__stall_probability=0, **DNS_ONLY)
        assert not report["dns"]["race_occurred"], seed
        assert report["dns"]["first_empty_at"] is None, seed
        assert report["dynamodb"]["failed_unresolvable"] == 0, seed


def test_race_leaves_the_regional_endpoint_empty_and_stuck_until_the_end_without_operator() -> None:
    report = run("incident", 1, run__duration_s=4 * HOUR, operator__enabled=False, **DNS_ONLY)
    dns = report["dns"]
    assert dns["race_occurred"] and dns["stuck"]
    assert dns["enactor_max_lag_generations"] > report["config"]["dns.cleanup.keep_generations"]
    assert first(report, "regional_endpoint_restored") is None
    assert dns["empty_record_seconds"] == pytest.approx(report["virtual_seconds"] - dns["first_empty_at"], abs=0.01)
    assert report["phases"] == [{"name": "dns_outage", "start": round(dns["first_empty_at"], 3), "end": None}]
    assert report["dynamodb"]["failed_unresolvable"] > 0


def test_operator_repairs_after_its_configured_delays_and_errors_stop_as_negative_caches_expire() -> None:
    detect, repair, poll, negative_ttl = 1200.0, 1800.0, 60.0, 900.0
    report = run(
        "incident",
        1,
        run__duration_s=5 * HOUR,
        operator__detect_delay_s=detect,
        operator__dns_repair_delay_s=repair,
        operator__poll_s=poll,
        dynamodb__resolver__negative_ttl_s=negative_ttl,
        **DNS_ONLY,
    )
    empty_at = report["dns"]["first_empty_at"]
    restored_at = first(report, "operator_restored_dns")
    assert empty_at is not None and restored_at is not None
    assert detect + repair <= restored_at - empty_at <= detect + repair + poll
    assert first(report, "regional_endpoint_restored") == restored_at
    errors_end = first(report, "dynamodb_errors_end")
    assert errors_end is not None
    # Clients kept failing after the repair, until their cached empty answers expired.
    assert restored_at < errors_end <= restored_at + negative_ttl + 60
    assert not report["timeline"][-1]["event"].startswith("dns_automation_stuck")
    outage = [phase for phase in report["phases"] if phase["name"] == "dns_outage"]
    assert outage[0]["end"] == restored_at


def test_automation_off_switch_freezes_dns_as_it_is() -> None:
    report = run("incident", 1, run__duration_s=HOUR, dns__automation_enabled=False, **DNS_ONLY)
    assert report["dns"]["race_occurred"] is False
    assert report["dns"]["plans_deleted"] == 0


def test_operator_also_repairs_automation_stuck_on_another_endpoint() -> None:
    """Stalls only on account endpoints: the automation sticks while regional still answers."""
    report = run(
        "incident",
        0,
        run__duration_s=2 * HOUR,
        dns__regional_weight=0,
        dns__enactor__stall_probability=0.002,
        operator__detect_delay_s=600,
        operator__dns_repair_delay_s=600,
        **DNS_ONLY,
    )
    assert report["dns"]["stuck"] is True and report["dns"]["first_empty_at"] is None
    paged, restored = first(report, "operator_paged"), first(report, "operator_restored_dns")
    assert paged is not None and restored is not None and restored >= paged + 1200
    assert first(report, "dns_automation_unstuck") == restored
    assert report["dns"]["stuck_seconds"] < report["virtual_seconds"] - restored
