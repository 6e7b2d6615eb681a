"""The whole chain in one run: DNS race -> DynamoDB errors -> lease loss ->
DWFM collapse -> Network Manager backlog -> NLB flapping and failovers ->
operator disables failover -> recovery. Full-size worlds, 7 virtual hours
(every phase has begun by then), run two at a time on separate cores."""

from __future__ import annotations

import fcntl
import json
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from emulator.world.phases import first_starts
from emulator.world.world import World
from tests.helpers import first, run

pytestmark = pytest.mark.slow  # full-size worlds, 7 virtual hours each

HOURS = 7 * 3600
ORDER = ["dns_outage", "dwfm_collapse", "network_backlog", "nlb_flapping"]
# Seeds whose Enactors race. Not every seed does: on seed 2 a late Enactor's stale
# plans land on other endpoints and are cleaned up there, which leaves the
# automation stuck while the regional endpoint still answers (no DynamoDB outage).
INCIDENTS = ["incident-1", "incident-3", "incident-4"]
RUNS: dict[str, tuple[str, int, dict[str, Any]]] = {
    "incident-1": ("incident", 1, {}),
    "incident-3": ("incident", 3, {}),
    "incident-4": ("incident", 4, {}),
    "velocity-1": ("incident", 1, {"nlb__velocity_control__enabled": True}),
    "propagate-first-1": ("incident", 1, {"nlb__wait_for_propagation": True}),
    "remediated-1": ("remediated", 1, {}),
}


def _run(name: str) -> dict[str, Any]:
    scenario, seed, sets = RUNS[name]
    return run(scenario, seed, run__duration_s=HOURS, **sets)


@pytest.fixture(scope="session")
def reports(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> dict[str, dict[str, Any]]:
    """The worlds, built once for the whole session: the first xdist worker to ask builds them
    (on both cores) while the others wait on a lock, then everyone reads the same reports."""
    basetemp = tmp_path_factory.getbasetemp()
    # Under xdist each worker's basetemp is inside the session's; without it, the session's own.
    shared = basetemp if worker_id == "master" else basetemp.parent
    cache = shared / "chain-reports.json"
    with open(shared / "chain-reports.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if cache.exists():
            return dict(json.loads(cache.read_text()))
        with ProcessPoolExecutor(max_workers=2) as pool:
            built = dict(zip(RUNS, pool.map(_run, RUNS), strict=True))
        cache.write_text(json.dumps(built, default=str))
        return dict(json.loads(cache.read_text()))  # the same JSON form for every worker


# Known and measured, not yet emergent (the causes issue; README, "Where the order
# departs from AWS's"): on seeds 1, 3 and 4 Network Manager's backlog begins at 02:36
# PDT, minutes after DynamoDB is back and before DWFM's collapse is seen (02:42-02:43),
# and flapping begins at 03:32-04:16, all before the last lease is back (05:25-05:26),
# where AWS's order has the backlog and the flapping after it. Strict: the day the
# order emerges, this must be lifted.
NOT_YET_IN_ORDER = pytest.mark.xfail(
    strict=True, reason="Network Manager's backlog opens before DWFM's collapse is seen (causes issue)"
)


@NOT_YET_IN_ORDER
@pytest.mark.parametrize("name", INCIDENTS)
def test_incident_phases_begin_in_the_order_of_the_real_incident(reports: dict[str, Any], name: str) -> None:
    starts = first_starts(reports[name]["phases"])
    assert sorted(ORDER, key=starts.__getitem__) == ORDER, starts


@pytest.mark.parametrize("name", INCIDENTS)
def test_every_later_stage_of_the_chain_happens_in_the_incident(reports: dict[str, Any], name: str) -> None:
    starts = first_starts(reports[name]["phases"])
    assert set(ORDER) <= set(starts), f"missing phases: {set(ORDER) - set(starts)}"
    report = reports[name]
    assert report["network_manager"]["max_backlog"] > 1000
    assert report["nlb"]["health_flaps"] > 100
    assert report["nlb"]["az_failovers"] >= 1


@pytest.mark.parametrize("name", INCIDENTS)
def test_dns_fails_open_so_failovers_take_capacity_down_but_never_to_zero(reports: dict[str, Any], name: str) -> None:
    nlb = reports[name]["nlb"]
    assert nlb["az_failovers"] >= 1
    assert 0 < nlb["min_capacity_fraction"] < 1


def test_velocity_control_keeps_capacity_above_its_floor(reports: dict[str, Any]) -> None:
    """Only the floor: with DNS failing open, velocity control does not lower the errors here.

    Seed 0 of ``incident``: 456,219 connection errors with it, 435,040 without. The node it
    keeps in DNS routes only to the few targets its delayed checks still call healthy,
    and they overflow (README, NLB). Before DNS failed open, every node could be taken
    out, and the errors sent to no node at all made velocity control look like a halving.
    """
    without, with_velocity = reports["incident-1"], reports["velocity-1"]
    floor = 1 - with_velocity["config"]["nlb.velocity_control.max_removal_fraction"]
    assert without["nlb"]["min_capacity_fraction"] < floor, "without it failover must take more"
    assert with_velocity["nlb"]["min_capacity_fraction"] >= floor
    assert with_velocity["nlb"]["failovers_refused"] > 0


def test_propagating_network_state_before_service_removes_flapping_failovers_and_dead_traffic(
    reports: dict[str, Any],
) -> None:
    fixed = reports["propagate-first-1"]
    assert "nlb_flapping" not in first_starts(fixed["phases"])
    assert fixed["nlb"]["az_failovers"] == 0
    assert fixed["nlb"]["health_flaps"] < reports["incident-1"]["nlb"]["health_flaps"] / 10
    # No instance is sent traffic before its network state is there: no connection fails for that.
    assert fixed["nlb"]["connection_errors_by_cause"]["no_connectivity"] == 0
    assert reports["incident-1"]["nlb"]["connection_errors_by_cause"]["no_connectivity"] > 0
    assert "network_backlog" in first_starts(fixed["phases"]), "the backlog itself is still there"


def test_remediated_plays_none_of_the_phases(reports: dict[str, Any]) -> None:
    report = reports["remediated-1"]
    assert report["phases"] == []
    assert report["dns"]["first_empty_at"] is None
    assert report["dwfm"]["collapse"] is False and report["dwfm"]["leases_expired_peak"] == 0
    assert report["nlb"]["az_failovers"] == 0


def test_operator_disabling_failover_returns_every_node_to_service() -> None:
    from emulator.config.loading import build_config
    from emulator.world.runner import run_world

    samples: list[tuple[float, float]] = []

    async def watch_capacity(world: World) -> None:
        while True:
            await world.clock.sleep(60)
            in_service = world.metrics_snapshot()["nlb_capacity_in_service_ratio"]
            assert isinstance(in_service, dict)
            samples.append((world.clock.now(), min(in_service.values())))

    _, config = build_config("incident", [("run.duration_s", str(HOURS))])
    report = run_world(config, seed=1, observers=[watch_capacity]).report
    disabled = first(report, "operator_disabled_failover")
    assert disabled is not None and first(report, "operator_reenabled_failover") is None
    before = [fraction for t, fraction in samples if t < disabled]
    after = [fraction for t, fraction in samples if t > disabled + 60]
    assert min(before) < 1.0, "failover had taken capacity away"
    assert after and min(after) == 1.0
