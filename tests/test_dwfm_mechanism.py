"""DWFM's congestive collapse from queue, timeout and re-queue alone, and the remedies that end it.

Each test runs one DWFM host with the default DWFM settings and a burst of
lapsed leases (:mod:`tests.dwfm_host_world`): the default fleet puts 833
droplets on each of its 6 hosts. There is no load-dependent slowdown and
no operator: whatever happens follows from the queue, the workers' random
service times, the droplets' timeouts and their retries.
"""

from __future__ import annotations

import functools
from typing import Any

import attrs
import pytest

from actors.ec2.config import DwfmBackoffConfig, DwfmConfig, DwfmRetryBudgetConfig
from tests.dwfm_host_world import burst

DEFAULT = DwfmConfig()
DEFAULT_SHARE = 5000 // 6  # the default fleet's droplets per DWFM host
# Items one host finishes within one timeout; a burst above twice that collapses (README).
K = DEFAULT.workers * DEFAULT.work_timeout_s / DEFAULT.work_service_s
BOUNDARY = 2 * K


@functools.cache
def _unremedied() -> dict[str, Any]:
    """The default fleet's share on one host, no remedy (shared by several tests)."""
    return burst(DEFAULT_SHARE)


def test_the_collapse_needs_no_load_dependent_slowdown() -> None:
    assert DEFAULT.service_slowdown_per_queued == 0
    assert BOUNDARY == 480 and DEFAULT_SHARE > BOUNDARY, "the default fleet is beyond the boundary"


def test_a_burst_below_the_boundary_drains_with_timeouts_and_is_not_flagged_as_collapse() -> None:
    dwfm = burst(int(0.75 * BOUNDARY))
    assert dwfm["work_timeouts"] > 0 and dwfm["work_wasted"] > 0, "a slow drain: some requests did time out"
    assert dwfm["leases_not_active_at_end"] == 0 and dwfm["lease_recovery_seconds"] is not None
    assert dwfm["collapse"] is False, "a drain that makes progress is not a collapse"


def test_a_burst_above_the_boundary_collapses_and_stays_collapsed_with_dynamodb_healthy() -> None:
    dwfm = burst(int(1.25 * BOUNDARY))
    assert dwfm["collapse"] is True and dwfm["lease_recovery_seconds"] is None
    assert dwfm["leases_not_active_at_end"] > 0
    # The first timeout's worth completes; after that almost all work is wasted.
    assert dwfm["work_completed"] < K
    assert dwfm["work_wasted"] > 10 * dwfm["work_completed"]
    assert dwfm["max_queue_depth"] > 5 * BOUNDARY, "re-queued work piles up behind work nobody waits for"


def test_two_seeds_give_different_collapses() -> None:
    first, second = burst(DEFAULT_SHARE, seed=1, hours=1), burst(DEFAULT_SHARE, seed=2, hours=1)
    assert first["collapse"] and second["collapse"]
    assert first["work_timeouts"] != second["work_timeouts"]


def test_a_lease_out_of_retries_waits_for_its_next_state_check_so_capping_retries_changes_the_outcome() -> None:
    unlimited = _unremedied()
    once = burst(DEFAULT_SHARE, max_retries=1)
    never = burst(DEFAULT_SHARE, max_retries=0)
    assert unlimited["work_gave_up"] == 0
    assert never["work_gave_up"] == never["work_timeouts"], "every timeout ends the workflow"
    assert once["work_gave_up"] == pytest.approx(once["work_timeouts"] / 2, rel=0.05)
    # Out of retries, a lease waits up to a state-check interval before it asks again: less work
    # queued (not resubmitted at the next check tick with its count reset, which changed nothing).
    for capped in (once, never):
        assert capped["work_timeouts"] < 0.9 * unlimited["work_timeouts"]
        assert capped["max_queue_depth"] < 0.8 * unlimited["max_queue_depth"]
    # But the state check re-starts the workflow every few minutes: the collapse goes on (README).
    assert once["collapse"] and never["collapse"]


REMEDIES: dict[str, dict[str, Any]] = {
    "drop_expired_work": {"drop_expired_work": True},
    "lifo_under_overload": {"lifo_under_overload": True},
    "backoff": {"backoff": DwfmBackoffConfig(enabled=True)},
    "retry_budget": {"retry_budget": DwfmRetryBudgetConfig(enabled=True)},
}


@pytest.mark.parametrize("remedy", list(REMEDIES))
def test_each_remedy_recovers_the_default_fleets_share_without_the_operator(remedy: str) -> None:
    without = _unremedied()
    assert without["collapse"] and without["leases_not_active_at_end"] > 0
    dwfm = burst(DEFAULT_SHARE, **REMEDIES[remedy])
    assert dwfm["leases_not_active_at_end"] == 0 and dwfm["lease_recovery_seconds"] is not None
    assert dwfm["collapse_seconds"] < without["collapse_seconds"] / 3
    assert dwfm["work_wasted"] < without["work_wasted"] / 2
    if remedy == "drop_expired_work":
        assert dwfm["work_dropped"] > 0 and dwfm["collapse"] is False
    if remedy == "retry_budget":
        assert dwfm["retries_refused_by_budget"] > 0


def test_lifo_and_dropping_expired_work_recover_within_a_few_timeouts() -> None:
    ideal = DEFAULT_SHARE * DEFAULT.work_service_s / DEFAULT.workers
    for remedy in ("drop_expired_work", "lifo_under_overload"):
        dwfm = burst(DEFAULT_SHARE, **REMEDIES[remedy])
        assert dwfm["collapse"] is False
        assert dwfm["lease_recovery_seconds"] <= 2 * ideal


def test_remedies_are_off_by_default_as_in_the_incident() -> None:
    assert not (DEFAULT.drop_expired_work or DEFAULT.lifo_under_overload)
    assert not (DEFAULT.backoff.enabled or DEFAULT.retry_budget.enabled or DEFAULT.throttle.enabled)
    assert DEFAULT.max_retries == -1
    assert attrs.fields(DwfmConfig).work_service_s.metadata["calibrated"]
