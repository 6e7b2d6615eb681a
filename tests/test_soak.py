"""``outage-emulator soak``: stops cleanly on Ctrl-C/SIGTERM with its report; incidents can recur."""

from __future__ import annotations

import argparse
import json
import signal
from pathlib import Path

import pytest

from emulator.cli.soak import soak_overrides
from emulator.config.loading import build_config
from emulator.world.runner import run_world
from tests.soak_process import SoakProcess
from tests.status_tools import assert_status_agrees


def _refuse_non_finite(constant: str) -> float:
    raise ValueError(f"non-finite number {constant} in the report")


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stopped_soak_writes_its_report_and_exits_0(tmp_path: Path, signal_number: int) -> None:
    report = tmp_path / "soak.json"
    soak = SoakProcess("--speed", "3600", "--metrics-port", "0", "--status-every", "0.2", "--report", str(report))
    try:
        soak.wait_for_line("Soak: ")
        soak.wait_for_line("vt=")
        soak.wait_for_line("vt=")
        code = soak.stop(signal_number)
    finally:
        soak.kill()
    assert code == 0, soak.stderr()
    written = json.loads(report.read_text(), parse_constant=_refuse_non_finite)  # strict JSON
    assert written["completed"] is False  # stopped, not run to its end
    assert written["virtual_seconds"] > 0
    assert written["config"]["operator.pause_dns_automation_after_repair"] is False
    assert any(line.startswith("Stopped: vt=") for line in soak.lines)
    assert any(line.startswith("Summary: ") for line in soak.lines)


def test_piped_status_is_plain_lines_and_duration_ends_the_soak(tmp_path: Path) -> None:
    report = tmp_path / "soak.json"
    soak = SoakProcess(
        "--speed", "7200", "--duration", "20m", "--metrics-port", "0", "--status-every", "0.05",
        "--report", str(report),
    )  # fmt: skip
    try:
        code = soak.wait(timeout=30)
    finally:
        soak.kill()
    assert code == 0
    statuses = [line for line in soak.lines if line.startswith("vt=")]
    assert len(statuses) >= 2
    assert all("\x1b" not in line and "\r" not in line for line in soak.lines)
    assert "phases=" in statuses[0] and "races=" in statuses[0]
    # The last status is the report's figures, the real-time lag included.
    (stopped,) = [line for line in soak.lines if line.startswith("Stopped: ")]
    assert_status_agrees(stopped.removeprefix("Stopped: "), json.loads(report.read_text()))


def _args(*sets: str, scenario: str = "incident") -> argparse.Namespace:
    return argparse.Namespace(scenario=scenario, sets=list(sets), duration=None, speed=60.0)


def test_soaks_let_incidents_recur_unless_the_user_says_otherwise(tmp_path: Path) -> None:
    _, config = build_config("incident", soak_overrides(_args()), realtime_speed=60.0)
    assert config.operator.pause_dns_automation_after_repair is False
    _, config = build_config(
        "incident", soak_overrides(_args("operator.pause_dns_automation_after_repair=true")), realtime_speed=60.0
    )
    assert config.operator.pause_dns_automation_after_repair is True
    scenario = tmp_path / "paused.toml"
    scenario.write_text("[operator]\npause_dns_automation_after_repair = true\n")
    _, config = build_config(str(scenario), soak_overrides(_args(scenario=str(scenario))), realtime_speed=60.0)
    assert config.operator.pause_dns_automation_after_repair is True


def test_with_the_fixes_off_a_soak_keeps_producing_incidents() -> None:
    """After the operator's repair the automation runs again, and the race strikes again.

    The first race comes when the Enactors' timing makes it (minutes to hours in), and the
    operator's repair takes about 2.6 h after it: 6 h leave room for a second one. DNS does
    not depend on the fleet, so a small one keeps the run short."""
    args = argparse.Namespace(scenario="incident", sets=["ec2.droplets=500"], duration=6 * 3600.0, speed=60.0)
    _, config = build_config("incident", soak_overrides(args))
    report = run_world(config, seed=0).report
    assert report["dns"]["races"] >= 2
    assert [entry["event"] for entry in report["timeline"]].count("operator_restored_dns") >= 1
