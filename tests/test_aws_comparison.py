"""The comparison with AWS's timeline says which of our times are calibrated, and matches
phase boundaries to the phase, not to its first blip."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.cli.keys import format_key
from emulator.cli.output import print_aws_comparison
from emulator.config.describe import describe
from emulator.config.loading import LEAF_TYPES, field_metadata
from emulator.world.aws_timeline import (
    AWS_MILESTONES,
    AWS_PHASES,
    PHASE_ASSUMES,
    PHASE_CALIBRATED_BY,
    compare_with_aws,
)


def _calibrated_keys() -> dict[str, str]:
    """Every config key whose field carries ``calibrated`` metadata, with the AWS gap it copies."""
    return {key: gap for key in LEAF_TYPES if (gap := field_metadata(key).get("calibrated"))}


def test_every_milestone_placed_by_a_copied_delay_is_labelled_calibrated_and_names_its_config_keys() -> None:
    calibrated = _calibrated_keys()
    operator_delays = {key for key in calibrated if key.startswith("operator.")}
    named = {key for milestone in AWS_MILESTONES for key in milestone.calibrated_by}
    assert named <= set(LEAF_TYPES), "every key a milestone names is a real config key"
    assert named <= set(calibrated), "a milestone is labelled calibrated only by calibrated keys"
    assert operator_delays <= named, "every calibrated operator delay places some milestone"


def _report(timeline: list[dict[str, Any]], phases: list[dict[str, Any]]) -> dict[str, Any]:
    return {"timeline": timeline, "phases": phases, "virtual_seconds": 20 * 3600.0}


def test_a_phase_boundary_is_the_sustained_phase_not_its_first_blip() -> None:
    timeline = [{"t": 1000.0, "event": "dynamodb_errors_start", "actor": "c"}]
    phases = [
        {"name": "network_backlog", "start": 5000.0, "end": 5360.0},  # a 6-minute blip
        {"name": "network_backlog", "start": 9000.0, "end": 20000.0},
        {"name": "network_backlog", "start": 21000.0, "end": 22000.0},
    ]
    rows = {row["what"]: row for row in compare_with_aws(_report(timeline, phases))["milestones"]}
    assert rows["propagation latency rises"]["ours_s"] == 8000.0
    assert rows["propagation back to normal"]["ours_s"] == 21000.0
    assert rows["propagation latency rises"]["kind"] == "emergent"
    assert rows["DynamoDB errors start"]["kind"] == "anchor" and rows["DynamoDB errors start"]["delta_s"] == 0.0
    backlog = next(
        row for row in compare_with_aws(_report(timeline, phases))["phases"] if row["phase"] == "network_backlog"
    )
    assert backlog["ours_s"] == 22000.0 - 9000.0 and backlog["aws_s"] == 4 * 3600 + 15 * 60


def test_a_calibrated_milestone_reports_its_delta_from_aws() -> None:
    timeline = [
        {"t": 100.0, "event": "dynamodb_errors_start", "actor": "c"},
        {"t": 100.0 + 3000.0 + 60.0, "event": "operator_identified_dns", "actor": "operator"},
    ]
    row = next(r for r in compare_with_aws(_report(timeline, []))["milestones"] if r["aws_pdt"] == "00:38")
    assert row["kind"] == "calibrated" and row["calibrated_by"] == ["operator.detect_delay_s"]
    assert row["ours_pdt"] == "00:39" and row["delta_s"] == 60.0


def test_keys_lists_every_calibrated_key_as_calibrated() -> None:
    blocks = {doc.key: format_key(doc) for doc in describe()}
    for key, gap in _calibrated_keys().items():
        assert f"calibrated: {gap}" in blocks[key]
    assert "calibrated" not in blocks["dns.enactors"]


def test_a_phase_whose_end_a_copied_delay_places_is_labelled_calibrated_beside_its_ratio() -> None:
    calibrated = _calibrated_keys()
    assert set(PHASE_CALIBRATED_BY) == set(AWS_PHASES)
    assert {key for keys in PHASE_CALIBRATED_BY.values() for key in keys} <= set(calibrated)
    timeline = [{"t": 0.0, "event": "dynamodb_errors_start", "actor": "c"}]
    phases = [
        {"name": "dns_outage", "start": 0.0, "end": 9000.0},
        {"name": "network_backlog", "start": 20000.0, "end": 30000.0},
    ]
    rows = {row["phase"]: row for row in compare_with_aws(_report(timeline, phases))["phases"]}
    # The DNS outage ends when the operator has repaired DNS after two copied delays: its ratio to
    # AWS's says nothing about the model. Network Manager's backlog begins and ends by itself.
    assert rows["dns_outage"]["kind"] == "calibrated"
    assert rows["dns_outage"]["calibrated_by"] == ["operator.detect_delay_s", "operator.dns_repair_delay_s"]
    assert rows["network_backlog"]["kind"] == "emergent" and rows["network_backlog"]["calibrated_by"] == []
    assert rows["network_backlog"]["ratio"] == round(10000.0 / (4 * 3600 + 15 * 60), 3)


def test_an_emergent_phase_names_the_assumed_capacities_its_duration_rests_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    calibrated = _calibrated_keys()
    assert set(PHASE_ASSUMES) == set(AWS_PHASES)
    for phase, keys in PHASE_ASSUMES.items():
        # Only an emergent phase rests on assumptions alone; each is a key with no AWS figure behind it.
        assert not keys or not PHASE_CALIBRATED_BY[phase]
        for key in keys:
            assert calibrated[key].startswith("no AWS figure"), key
    timeline = [{"t": 0.0, "event": "dynamodb_errors_start", "actor": "c"}]
    phases = [{"name": "network_backlog", "start": 20000.0, "end": 30000.0}]
    rows = {row["phase"]: row for row in compare_with_aws(_report(timeline, phases))["phases"]}
    assert rows["network_backlog"]["kind"] == "emergent"
    assert "network_manager.workers" in rows["network_backlog"]["assumes"]
    assert rows["nlb_flapping"]["assumes"] == [
        "nlb.checker_capacity_per_s",
        "nlb.transition_cost",
        "nlb.back_in_service_cost_fraction",
    ]
    assert rows["dns_outage"]["assumes"] == []
    report = _report(timeline, phases)
    print_aws_comparison({**report, "aws_comparison": compare_with_aws(report)})
    printed = capsys.readouterr().out
    assert "nlb_flapping rests on assumed capacities (no AWS figure): nlb.checker_capacity_per_s" in printed
    assert "dns_outage rests on" not in printed
