"""One trace over every actor: a seed's trace_hash stands for the whole run."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import run, shared_run

# A small world in which every stage acts within 45 virtual minutes: DynamoDB is
# cut off for 20 minutes, leases lapse and DWFM collapses (from 31 min), launches
# and their propagation back up, and NLB health checks take targets out and put
# them back (every launch joins a target group, so a small fleet gives the
# checkers new targets). On seed 1 every stage has recorded events by then (the first test checks);
# a longer run only adds more of the same to hash.
CASCADE: dict[str, Any] = {
    "run__duration_s": 2700,
    "nlb__new_target_fraction": 1.0,
    "ec2__droplets": 600,
    "dwfm__hosts_per_az": 1,
    "dwfm__workers": 2,
    "dwfm__lease_ttl_s": 600,
    "dynamodb__resolver__negative_ttl_s": 60,
    "operator__dwfm_action_delay_s": 600,
    "operator__disable_failover_delay_s": 600,
}
FAULT = ("empty_record:2m:20m",)
STAGES = {
    "dns": ("dns", "route53", "plan"),
    "dynamodb": ("dynamodb",),
    "dwfm": ("dwfm", "droplet"),
    "launches": ("ec2",),
    "network_manager": ("network",),
    "nlb": ("nlb",),
    "operator": ("operator",),
}
# One knob per stage, each changing only that stage's behaviour at first.
KNOBS: dict[str, dict[str, Any]] = {
    "dns": {"dns__route53__transaction_median_s": 0.7},
    "dynamodb": {"dynamodb__resolver__ttl_s": 45},
    "dwfm": {"dwfm__work_service_s": 1.2},
    "launches": {"ec2__placement_attempts": 4},
    "network_manager": {"network_manager__step_service_s": 0.5},
    "nlb": {"nlb__health_check_interval_s": 6},
    "operator": {"operator__poll_s": 50},
}


def _cascade(**sets: Any) -> dict[str, Any]:
    return run("healthy", 1, FAULT, **{**CASCADE, **sets})


def _baseline() -> dict[str, Any]:
    """The cascade with no knob changed: one world that every test here compares against."""
    return shared_run("healthy", 1, FAULT, **CASCADE)


@pytest.mark.parametrize("stage", list(STAGES))
def test_every_stage_records_its_events_in_the_one_trace(stage: str) -> None:
    counts = _baseline()["trace_events_by_actor_kind"]
    assert sum(counts.get(kind, 0) for kind in STAGES[stage]) > 0, f"no {stage} events in the trace: {counts}"


@pytest.mark.parametrize("stage", list(STAGES))
def test_changing_one_knob_of_a_stage_alone_changes_the_trace_hash(stage: str) -> None:
    assert _cascade(**KNOBS[stage])["trace_hash"] != _baseline()["trace_hash"]


@pytest.mark.slow
def test_the_full_default_incident_replays_to_the_same_hash() -> None:
    first, second = run("incident", 0), run("incident", 0)
    assert first["trace_hash"] == second["trace_hash"]
    assert first["events"] == second["events"]
