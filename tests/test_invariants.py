"""Invariants are checked in every run: a broken law ends the run by name, with a replay that breaks it again."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from actors.ec2.messages import LeaseState
from emulator.cli.main import main
from emulator.config.loading import build_config
from emulator.world.invariants import INVARIANTS, InvariantViolated, check
from emulator.world.runner import RunFailed, run_world
from emulator.world.world import World
from metrics.schema import HistogramSnapshot, Snapshot

SMALL = ["ec2.droplets=300", "run.duration_s=1h"]
SnapshotValue = float | dict[tuple[str, ...], float] | HistogramSnapshot


def _snapshot(**changes: SnapshotValue) -> Snapshot:
    base: Snapshot = {
        "emulator_virtual_time_seconds": 60.0,
        "dwfm_leases": {("use1-az1", "active"): 200.0, ("use1-az1", "expired"): 100.0},
        "nlb_capacity_in_service_ratio": {("use1-az1",): 1.0},
        "dwfm_queue_depth": {("h",): 1.0},
        "dwfm_work_admitted_total": 3.0,
        "dwfm_work_in_service": 1.0,
        "dwfm_work_total": {("completed",): 1.0, ("timed_out",): 7.0},
        "network_manager_backlog": 0.0,
        "dynamodb_requests_total": {("ok",): 5.0},
        "network_manager_propagation_seconds": HistogramSnapshot((1,), 1, 0.5),
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("name", "broken"),
    [
        ("leases_sum_to_the_fleet", {"dwfm_leases": {("use1-az1", "active"): 299.0}}),
        ("fractions_within_zero_and_one", {"nlb_capacity_in_service_ratio": {("use1-az1",): 1.5}}),
        ("depths_not_negative", {"network_manager_backlog": -1.0}),
        ("work_items_accounted_for", {"dwfm_work_admitted_total": 4.0}),
        ("counters_never_decrease", {"dynamodb_requests_total": {("ok",): 4.0}}),
        ("time_moves_forward", {"emulator_virtual_time_seconds": 30.0}),
    ],
)
def test_each_invariant_names_itself_when_its_law_breaks(name: str, broken: dict[str, SnapshotValue]) -> None:
    _, config = build_config("incident", [("ec2.droplets", "300")])
    check(config, _snapshot(), None, 60.0)  # the base snapshot keeps every law
    check(config, _snapshot(), _snapshot(), 120.0)
    with pytest.raises(InvariantViolated) as caught:
        check(config, _snapshot(**broken), _snapshot(), 120.0)
    assert caught.value.name == name and name in INVARIANTS
    assert "120.000 s" in str(caught.value)


async def _leaky_droplet_count(world: World) -> None:
    """A deliberately broken actor: at 10 virtual minutes it loses a lease from the books."""
    await world.clock.sleep(600.0)
    world.fleet.stats.leases[0][LeaseState.ACTIVE] -= 1


def test_a_broken_actor_is_caught_by_name_at_its_moment_with_a_partial_report() -> None:
    _, config = build_config("incident", [tuple(pair.split("=")) for pair in SMALL])  # type: ignore[misc]
    with pytest.raises(RunFailed) as caught:
        run_world(config, seed=3, observers=[_leaky_droplet_count])
    partial = caught.value.partial
    assert partial["violated_invariant"]["name"] == "leases_sum_to_the_fleet"
    assert partial["violated_invariant"]["at"] == 660.0  # the first check after the break
    assert partial["completed"] is False and "seed 3" in partial["error"]
    json.dumps(partial, allow_nan=False)  # strict JSON


def test_the_cli_exits_1_writes_the_partial_report_and_prints_a_replay_that_breaks_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import emulator.world.world as world_module

    real_run = world_module.World.run

    async def run_with_the_broken_actor(self: World, observers: object = ()) -> None:
        await real_run(self, [*observers, _leaky_droplet_count])  # type: ignore[misc]

    monkeypatch.setattr(world_module.World, "run", run_with_the_broken_actor)
    report = tmp_path / "partial.json"
    argv = ["run", "-q", "--seed", "3", "--report", str(report), *[arg for pair in SMALL for arg in ("--set", pair)]]
    assert main(argv) == 1
    stderr = capsys.readouterr().err
    assert "invariant leases_sum_to_the_fleet broken at virtual time 660.000 s" in stderr
    assert json.loads(report.read_text())["violated_invariant"]["name"] == "leases_sum_to_the_fleet"
    replay = next(line for line in stderr.splitlines() if "replay it:" in line).split("replay it: ", 1)[1]
    command = shlex.split(replay)
    assert command[:2] == ["outage-emulator", "run"]
    assert main([*command[1:], "-q"]) == 1
    again = capsys.readouterr().err
    assert "invariant leases_sum_to_the_fleet broken at virtual time 660.000 s" in again and "(seed 3)" in again


def _two_reports(tmp_path: Path, common: list[str], knob: str) -> tuple[Path, Path]:
    """The same run twice, the second with one ``--set`` more: (its report, the other's)."""
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert main([*common, "--report", str(first)]) == 0
    assert main([*common, "--set", knob, "--report", str(second)]) == 0
    return first, second


def _first_divergence(first: Path, second: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """``diff``'s two lines for the first divergent event (one per report)."""
    capsys.readouterr()
    assert main(["diff", str(first), str(second)]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("  #")]
    assert "first divergent event" in out and len(lines) == 2, out
    return lines


def test_replay_confirms_a_report_and_diff_names_the_first_divergent_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["run", "-q", "--seed", "2", "--duration", "40m", "--set", "ec2.droplets=300"]
    first, second = _two_reports(tmp_path, common, "dns.route53.transaction_median_s=0.7")
    capsys.readouterr()
    assert main(["replay", str(first)]) == 0
    assert "replay matches: trace_hash" in capsys.readouterr().out
    lines = _first_divergence(first, second, capsys)
    assert lines[0].split()[0] == lines[1].split()[0]  # the same event number
    assert lines[0].split(": ", 1)[1] != lines[1].split(": ", 1)[1]


def test_phases_tracked_as_milestones_come_match_phases_read_off_the_whole_timeline() -> None:
    from emulator.world.phases import PhaseTracker, phases_from_timeline

    _, config = build_config("incident", [("ec2.droplets", "300"), ("run.duration_s", "3h")])
    result = run_world(config, seed=1)
    tracker = PhaseTracker()
    for entry in result.report["timeline"]:
        tracker.observe(entry)
    assert result.report["phases"] == phases_from_timeline(result.report["timeline"]) == tracker.in_order()
    assert result.report["phases"], "the small incident still has phases to compare"


def test_diff_of_two_runs_one_dwfm_knob_apart_names_the_first_divergent_dwfm_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["run", "-q", "--seed", "1", "--duration", "90m", "--set", "ec2.droplets=300"]
    lines = _first_divergence(*_two_reports(tmp_path, common, "dwfm.lease_ttl_s=20m"), capsys)
    # Everything before it (the DNS race, DynamoDB's errors) is the same: the first
    # difference is DWFM's, where a shorter lease is found lapsed sooner.
    actors = {line.split(": ", 1)[1].split("|")[1] for line in lines}
    assert any(actor.startswith("dwfm-") for actor in actors), lines
