"""Injected faults: an empty record without the race, and a stalled Enactor."""

from __future__ import annotations

import pytest

from emulator.config.loading import ConfigError, parse_fault
from tests.helpers import DNS_ONLY, first, run


def test_empty_record_fault_empties_the_endpoint_for_its_duration_without_a_race() -> None:
    report = run(
        "healthy", 0, faults=("empty_record:10m:20m",), run__duration_s=3600, operator__enabled=False, **DNS_ONLY
    )
    assert report["dns"]["race_occurred"] is False
    assert report["dns"]["first_empty_at"] == 600.0
    assert report["dns"]["empty_record_seconds"] == pytest.approx(1200.0)
    assert first(report, "regional_endpoint_restored") == 1800.0
    assert report["dynamodb"]["failed_unresolvable"] > 0
    # Negative caching outlives the fault: customers fail for a while longer.
    errors_end = first(report, "dynamodb_errors_end")
    assert errors_end is not None and 1800.0 < errors_end <= 1800.0 + 900.0 + 60.0


def test_stall_enactor_fault_makes_that_enactor_fall_behind() -> None:
    quiet = run("healthy", 0, run__duration_s=1800, **DNS_ONLY)
    stalled = run("healthy", 0, faults=("stall_enactor:5m:10m",), run__duration_s=1800, **DNS_ONLY)
    assert first(stalled, "fault_stall_enactor") == 300.0
    assert stalled["dns"]["enactor_max_lag_generations"] > quiet["dns"]["enactor_max_lag_generations"] + 50


def test_fault_durations_accept_units() -> None:
    fault = parse_fault("empty_record:90s:2h")
    assert (fault.at_s, fault.duration_s) == (90.0, 7200.0)
    with pytest.raises(ConfigError, match="KIND:AT:DURATION"):
        parse_fault("empty_record:90s")
