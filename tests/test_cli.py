"""The command line: reports, exit codes, and one clear line for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from actors.dns.route53 import DnsStore
from emulator.cli.main import main


def _run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_run_in_which_nothing_broke_says_so_instead_of_an_empty_timeline(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run_cli(capsys, "run", "--scenario", "healthy", "--duration", "10m")
    assert code == 0
    assert "Timeline: no milestones in this run" in out
    assert "Timeline (virtual time" not in out and "Summary" in out


def test_leases_still_out_when_the_duration_ends_read_not_by_the_end_never_never(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A fault longer than a 10-minute lease TTL on a small fleet: every lease lapses, and 30 minutes
    # is far too short for them all to come back. The run completed its duration; that proves nothing.
    small = ["ec2.droplets=1000", "dwfm.hosts_per_az=1", "dwfm.workers=4", "dwfm.lease_ttl_s=600",
             "dynamodb.resolver.negative_ttl_s=60", "operator.enabled=false"]  # fmt: skip
    sets = [arg for pair in small for arg in ("--set", pair)]
    argv = ["run", "--scenario", "healthy", "--fault", "empty_record:2m:20m", *sets, "--duration", "30m", "-q"]
    code, out, _ = _run_cli(capsys, *argv)
    assert code == 0
    dwfm = next(line for line in out.splitlines() if line.startswith("  DWFM:"))
    assert "leases_expired_peak=1000" in dwfm and "lease_recovery=not_by_the_end" in dwfm
    assert "never" not in out


def test_run_prints_timeline_and_summary_and_writes_the_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report_path = tmp_path / "report.json"
    code, out, _ = _run_cli(capsys, "run", "--seed", "3", "--duration", "2h", "--report", str(report_path))
    assert code == 0
    assert "Timeline" in out and "dns_race" in out and "Summary" in out
    report = json.loads(report_path.read_text())
    for key in (
        "seed",
        "scenario",
        "config",
        "virtual_seconds",
        "wall_seconds",
        "events",
        "trace_hash",
        "timeline",
        "phases",
        "dns",
        "dynamodb",
    ):
        assert key in report
    assert report["config"]["dns.race_fix"] is False
    assert report["config"]["run.duration_s"] == 7200.0
    assert set(report["dns"]) >= {
        "race_occurred",
        "first_empty_at",
        "empty_record_seconds",
        "stuck",
        "enactor_max_lag_generations",
        "plans_deleted",
        "lock_conflicts",
    }
    assert set(report["dynamodb"]) >= {"requests", "failed_unresolvable", "error_seconds"}
    assert report["phases"][0]["name"] == "dns_outage"


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["--set", "dns.race_fix=maybe"], ["dns.race_fix", "maybe", "true or false"]),
        (["--set", "no.such.key=1"], ["no.such.key", "no such key"]),
        (["--scenario", "nope"], ["--scenario", "nope", "incident"]),
        (["--seed", "x"], ["--seed", "'x'", "whole number"]),
        (["--set", "dns.enactor.stall_probability=2"], ["dns.enactor.stall_probability", "2", "<= 1"]),
        (["--set", "dns.endpoints=many"], ["dns.endpoints", "many", "whole number"]),
        (["--fault", "meteor:1m:2m"], ["meteor", "empty_record"]),
        (["--fault", "empty_record:soon:2m"], ["empty_record:soon:2m", "duration"]),
        (["--fault", "stall_enactor:1m:2m:nobody"], ["nobody", "dns-enactor-use1-az1"]),
        (["--duration", "0s"], ["0s", "> 0"]),
        # Valid numbers that would keep a run from ever ending (it never left its first tick).
        (["--set", "ec2.launch_rate_per_s=1e9"], ["ec2.launch_rate_per_s", "1000000000", "at most 1,000 a second"]),
        (["--set", "nlb.tick_s=0.000001"], ["nlb.tick_s", "at least 0.1 s"]),
    ],
)
def test_bad_input_is_one_line_naming_field_value_and_allowed_with_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], names: list[str]
) -> None:
    report_path = tmp_path / "report.json"
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(["run", *argv, "--report", str(report_path)]))
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for name in names:
        assert name in lines[0]
    assert not report_path.exists()


def test_malformed_toml_scenario_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[dns\nrace_fix = true\n")
    code, out, err = _run_cli(capsys, "run", "--scenario", str(bad))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "bad.toml" in err and "malformed TOML" in err


def test_toml_scenario_sets_keys_and_faults(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    scenario = tmp_path / "mine.toml"
    scenario.write_text(
        'scenario = "healthy"\n[run]\nduration_s = "30m"\n[dns]\nrace_fix = true\n'
        '[[faults]]\nkind = "empty_record"\nat = "5m"\nduration = "10m"\n'
    )
    report_path = tmp_path / "r.json"
    code, _, _ = _run_cli(capsys, "run", "--scenario", str(scenario), "--report", str(report_path), "-q")
    report = json.loads(report_path.read_text())
    assert code == 0
    assert report["scenario"] == "mine"
    assert report["config"]["dns.race_fix"] is True
    assert report["config"]["faults"] == ["empty_record:300s:600s"]
    assert report["dns"]["first_empty_at"] == 300.0


def test_an_actor_crash_exits_1_and_still_writes_the_partial_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_commit(self: DnsStore, *args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(DnsStore, "commit", broken_commit)
    report_path = tmp_path / "partial.json"
    code, _, err = _run_cli(capsys, "run", "--duration", "1h", "--report", str(report_path), "-q")
    assert code == 1
    assert "disk on fire" in err
    report = json.loads(report_path.read_text())
    assert report["completed"] is False
    assert "disk on fire" in report["error"]
    assert report["virtual_seconds"] < 3600


def test_python_dash_m_emulator_is_the_same_program() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "run", "--duration", "20m", "-q", "--seed", "2"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Summary: scenario=incident seed=2" in result.stdout
