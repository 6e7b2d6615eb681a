"""A sweep's phase columns: whether each phase happened, and where the later ones begin against the leases."""

from __future__ import annotations

from typing import Any

from emulator.world.phases import phase_outcomes, phases_from_timeline


def _report(*events: tuple[float, str]) -> dict[str, Any]:
    timeline = [{"t": t, "event": event} for t, event in events]
    return {"timeline": timeline, "phases": phases_from_timeline(timeline)}


def test_a_backlog_that_opens_after_the_last_lease_is_back_counts_positive_in_aws_order() -> None:
    outcomes = phase_outcomes(
        _report(
            (100.0, "dwfm_collapse_start"),
            (500.0, "dwfm_leases_recovered"),
            (620.0, "network_propagation_slow"),
            (900.0, "network_propagation_normal"),
            (1500.0, "network_propagation_slow"),  # a later interval does not move the first start
        )
    )
    assert outcomes["phases.network_backlog.occurred"] is True
    assert outcomes["phases.network_backlog.start_after_leases_s"] == 120.0


def test_flapping_that_opens_while_leases_are_still_missing_counts_negative() -> None:
    outcomes = phase_outcomes(
        _report((300.0, "nlb_flapping_start"), (800.0, "dwfm_leases_recovered"), (900.0, "dwfm_leases_recovered"))
    )
    assert outcomes["phases.nlb_flapping.start_after_leases_s"] == -500.0  # against the first time all are back


def test_the_order_is_null_when_the_phase_never_opens_or_the_leases_never_come_back() -> None:
    never_back = phase_outcomes(_report((300.0, "nlb_flapping_start")))
    assert never_back["phases.nlb_flapping.start_after_leases_s"] is None
    no_backlog = phase_outcomes(_report((800.0, "dwfm_leases_recovered")))
    assert no_backlog["phases.network_backlog.occurred"] is False
    assert no_backlog["phases.network_backlog.start_after_leases_s"] is None
