"""DynamoDB's DNS race: it emerges from timing, leaves the regional endpoint
empty and the automation stuck, and the operator's runbook repairs it."""

from __future__ import annotations

import collections

import pytest

from tests.helpers import DNS_ONLY, first, run, shared_run

HOUR = 3600.0


# A few seeds for a quick answer; the full sets of seeds in the slow set, which CI runs too.
QUICK_SEEDS, ALL_SEEDS = range(100, 105), range(100, 120)


@pytest.mark.parametrize(
    ("seeds", "at_least"), [(QUICK_SEEDS, 4), pytest.param(ALL_SEEDS, 14, marks=pytest.mark.slow)], ids=["5", "20"]
)
def test_incident_race_emerges_within_the_hour_for_most_seeds_at_different_times(seeds: range, at_least: int) -> None:
    onsets = []
    for seed in seeds:
        report = shared_run("incident", seed, run__duration_s=HOUR, operator__enabled=False, **DNS_ONLY)
        if report["dns"]["race_occurred"]:
            onsets.append(report["dns"]["first_empty_at"])
    assert len(onsets) >= at_least, f"race in only {len(onsets)} of {len(seeds)} seeds"
    assert all(0 < onset <= HOUR for onset in onsets)
    assert len({round(onset) for onset in onsets}) >= len(onsets) - 1, "onsets must differ between seeds"


@pytest.mark.parametrize(
    ("seeds", "at_least"), [(QUICK_SEEDS, 3), pytest.param(ALL_SEEDS[:10], 6, marks=pytest.mark.slow)], ids=["5", "10"]
)
def test_in_most_races_the_late_enactor_lost_locks_and_backed_off_in_that_pass(seeds: range, at_least: int) -> None:
    details = []
    for seed in seeds:
        report = shared_run("incident", seed, run__duration_s=HOUR, operator__enabled=False, **DNS_ONLY)
        details += report["dns"]["race_details"]
    assert len(details) >= at_least
    contended = [d for d in details if d["lock_conflicts"] > 0 and d["backoff_s"] > 0]
    assert len(contended) > len(details) / 2, details
    # Its plan was more than keep_generations (10) behind when it wrote the regional endpoint.
    assert all(d["lag_generations"] > 10 and d["since_check_s"] > 50 for d in details), details


@pytest.mark.parametrize(
    "seeds", [QUICK_SEEDS[:3], pytest.param(ALL_SEEDS[:10], marks=pytest.mark.slow)], ids=["3", "10"]
)
def test_a_single_enactor_never_races_its_own_clean_up(seeds: range) -> None:
    """No other Enactor to hold locks or to finish a newer plan and clean up behind it."""
    for seed in seeds:
        report = run("incident", seed, run__duration_s=HOUR, dns__enactors=1, operator__enabled=False, **DNS_ONLY)
        assert report["dns"]["lock_conflicts"] == 0, seed
        assert not report["dns"]["race_occurred"], seed


@pytest.mark.parametrize("seeds", [range(2), pytest.param(range(6), marks=pytest.mark.slow)], ids=["2", "6"])
def test_healthy_dns_never_races(seeds: range) -> None:
    for seed in seeds:
        report = run("healthy", seed, run__duration_s=HOUR, **DNS_ONLY)
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
    # The repair pauses the whole automation: the Planner writes no plan after the repair's
    # instant (in which it may have written one beside the plan restored).
    restored = next(entry for entry in report["timeline"] if entry["event"] == "operator_restored_dns")
    assert restored["generation"] <= report["dns"]["newest_generation"] <= restored["generation"] + 1
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
    # The whole automation is off, the Planner too: no plan piles up that nothing would clean.
    assert report["dns"]["newest_generation"] == 1 and report["dns"]["plans_held"] == 1


def test_operator_also_repairs_automation_stuck_on_another_endpoint() -> None:
    """Frequent stalls, a quick regional batch: a stale plan sticks another endpoint first."""
    report = run(
        "incident",
        0,
        run__duration_s=2 * HOUR,
        dns__route53__regional_record_set_factor=1,
        dns__enactor__stall_probability=0.03,
        operator__detect_delay_s=600,
        operator__dns_repair_delay_s=600,
        **DNS_ONLY,
    )
    assert report["dns"]["stuck"] is True and report["dns"]["first_empty_at"] is None
    paged, restored = first(report, "operator_paged"), first(report, "operator_restored_dns")
    assert paged is not None and restored is not None and restored >= paged + 1200
    assert first(report, "dns_automation_unstuck") == restored
    assert report["dns"]["stuck_seconds"] < report["virtual_seconds"] - restored


def test_the_injected_delay_is_drawn_the_same_way_before_every_endpoint() -> None:
    """Counted from the trace of a quick world with frequent delays: the regional endpoint is no likelier."""
    from emulator.config.loading import build_config
    from emulator.kernel import trace as trace_module
    from emulator.world.runner import run_world

    stalls: collections.Counter[str] = collections.Counter()
    record = trace_module.Trace.record

    def counting(self: trace_module.Trace, event: str, actor: str, **fields: object) -> None:
        if event == "enactor_stall":
            stalls[str(fields["endpoint"])] += 1
        record(self, event, actor, **fields)

    sets = [("run.duration_s", "3600"), ("dns.enactor.stall_probability", "0.2"), ("dns.enactor.stall_max_s", "2")]
    sets += [("operator.enabled", "false"), ("dns.automation_enabled", "true")]
    sets += [(key.replace("__", "."), str(value)) for key, value in DNS_ONLY.items()]
    _, config = build_config("healthy", sets, ())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(trace_module.Trace, "record", counting)
        run_world(config, seed=100)
    regional = stalls.pop("dynamodb.us-east-1.amazonaws.com")
    mean = sum(stalls.values()) / len(stalls)
    assert mean > 100
    assert abs(regional - mean) < 4 * mean**0.5, (regional, stalls)
