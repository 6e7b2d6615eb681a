"""The soak status line: fits the terminal, stays plain when piped, and says what the report says."""

from __future__ import annotations

import io
from typing import Any

import pytest

from emulator.cli.status import StatusLine
from emulator.cli.status_fields import FIELDS, figure, format_status, status_figures
from emulator.config.loading import build_config
from emulator.world.phases import PHASES
from emulator.world.runner import run_world
from emulator.world.world import World
from tests.status_tools import assert_status_agrees

# Mid-incident, days into a soak: every phase open, every figure large.
MID_INCIDENT: dict[str, Any] = {
    "virtual_seconds": 250 * 3600.0,
    "realtime_max_lag_seconds": 1234.567,
    "open_phases": list(PHASES),
    "dns": {"races": 12, "empty_record_seconds": 123456.7, "enactor_max_lag_generations": 4321},
    "dynamodb": {"failed_unresolvable": 98_765_432},
    "dwfm": {"max_queue_depth": 1_234_567, "leases_expired_peak": 1_234_567, "collapse_seconds": 98765.4},
    "ec2": {"launches_insufficient_capacity": 45_678_901},
    "network_manager": {"max_backlog": 2_345_678},
    "nlb": {"min_capacity_fraction": 0.0312, "connection_errors": 987_654_321.5},
}


def _live_line(columns: int, figures: dict[str, Any]) -> str:
    stream = io.StringIO()
    status = StatusLine(stream, live=True, columns=lambda: columns)
    status.show(format_status(figures, status.width()))
    written = stream.getvalue()
    assert written.startswith("\r\x1b[2K") and "\n" not in written
    return written.removeprefix("\r\x1b[2K")


def test_on_an_80_column_terminal_the_line_never_wraps() -> None:
    line = _live_line(80, MID_INCIDENT)
    assert len(line) <= 79, line
    # What is kept first: where the run is, what is broken now, and the race count.
    assert line.startswith("vt=250:00:00 phases=dns,dwfm,network,nlb races=12 ")
    stopped = StatusLine(io.StringIO(), live=True, columns=lambda: 80)
    assert len("Stopped: " + format_status(MID_INCIDENT, stopped.width("Stopped: "))) <= 79


@pytest.mark.parametrize("columns", [20, 40, 60, 80, 100, 120, 160, 250])
def test_the_line_fits_any_terminal_and_a_wider_one_shows_more(columns: int) -> None:
    line = _live_line(columns, MID_INCIDENT)
    assert len(line) <= columns - 1
    if columns >= 80:
        assert len(line.split()) >= len(_live_line(columns - 20, MID_INCIDENT).split())


def test_piped_the_status_is_one_plain_line_with_every_figure_in_full() -> None:
    stream = io.StringIO()
    status = StatusLine(stream, live=False, columns=lambda: 80)
    status.show(format_status(MID_INCIDENT, status.width()))
    written = stream.getvalue()
    assert written.count("\n") == 1 and written.endswith("\n")
    assert "\x1b" not in written and "\r" not in written
    assert "phases=dns_outage,dwfm_collapse,network_backlog,nlb_flapping" in written
    assert all(f" {field.label}=" in written for field in FIELDS)
    assert "unresolvable=98765432 " in written  # full numbers: a log to grep and parse


def _run(
    *sets: tuple[str, str], clock_mode: str = "virtual", speed: float = 60.0
) -> tuple[dict[str, Any], World, list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    async def sample(world: World) -> None:
        while True:
            seen.append(status_figures(world))
            await world.clock.sleep(300.0)

    _, config = build_config(
        "incident", [("ec2.droplets", "500"), *sets], realtime_speed=speed if clock_mode == "realtime" else None
    )
    result = run_world(config, seed=0, clock_mode=clock_mode, speed=speed, observers=[sample])
    return result.report, result.world, seen


def test_the_status_says_what_the_final_report_says() -> None:
    """An hour of the incident (it races at about 26 min): the last status is the report, figure by figure,
    and every status before it is the same figure so far (totals and peaks only grow)."""
    report, world, seen = _run(("run.duration_s", "3600"))
    assert report["dns"]["races"] >= 1 and report["dynamodb"]["failed_unresolvable"] > 0
    assert_status_agrees(format_status(status_figures(world)), report)
    assert len(seen) >= 10
    for field in FIELDS:
        values = [figure(figures, field.path) for figures in seen]
        final = figure(report, field.path)
        if final is None:
            continue
        ordered = values == sorted(values, reverse=field.label == "min_capacity")
        assert ordered, (field.label, values)
        assert values[-1] >= final if field.label == "min_capacity" else values[-1] <= final


def test_a_real_time_status_shows_the_reports_lag_behind_real_time() -> None:
    report, world, _ = _run(("run.duration_s", "600"), clock_mode="realtime", speed=6000.0)
    assert report["realtime_max_lag_seconds"] is not None
    line = format_status(status_figures(world))
    assert " behind=" in line
    assert_status_agrees(line, report)
