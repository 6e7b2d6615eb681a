"""An actor that raises fails the run loudly: exit 1, the partial report, and a message
that names the actor, the virtual time and the seed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import actors.dns.planner as planner_module
import actors.dns.route53 as route53_module
from emulator.cli.main import main


def test_a_crashing_planner_is_named_with_its_virtual_time_and_seed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_make_plan = planner_module.make_plan

    def make_plan_until_generation_7(generation: int, *args: object) -> object:
        if generation == 7:
            raise RuntimeError("plan generator out of memory")
        return real_make_plan(generation, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(planner_module, "make_plan", make_plan_until_generation_7)
    report_path = tmp_path / "partial.json"
    code = main(["run", "--seed", "4", "--duration", "1h", "--report", str(report_path), "-q"])
    err = capsys.readouterr().err
    assert code == 1
    (line,) = [line for line in err.splitlines() if "crashed" in line]
    # The Planner writes generation 7 after 6 intervals of dns.planner.interval_s (5 s).
    assert re.search(r"planner\S* crashed at virtual time 30\.000 s \(seed 4\).*plan generator out of memory", line)
    report = json.loads(report_path.read_text())
    assert report["completed"] is False and report["seed"] == 4
    assert "planner" in report["crashed_actor"]
    assert report["virtual_seconds"] == pytest.approx(30.0)


def test_a_crash_in_a_timer_callback_names_its_actor_and_saves_the_partial_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Route 53 ends each transaction in a clock callback, which runs inside Trio's idle hook."""

    def commit_fails(*args: object, **kwargs: object) -> object:
        raise RuntimeError("change batch rejected")

    monkeypatch.setattr(route53_module.DnsStore, "commit", commit_fails)
    report_path = tmp_path / "partial.json"
    code = main(["run", "--seed", "2", "--duration", "1h", "--report", str(report_path), "-q"])
    err = capsys.readouterr().err
    assert code == 1
    (line,) = [line for line in err.splitlines() if "crashed" in line]
    assert re.search(r"route53\S* crashed at virtual time [0-9.]+ s \(seed 2\).*change batch rejected", line), line
    report = json.loads(report_path.read_text())
    assert report["completed"] is False and "route53" in report["crashed_actor"]
    assert 0 < report["virtual_seconds"] < 60
