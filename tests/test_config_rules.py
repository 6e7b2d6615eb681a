"""Bad values are refused whole, in one line naming the field, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.cli.main import main
from emulator.config.loading import ConfigError, build_config


@pytest.mark.parametrize(
    ("key", "value", "complaint"),
    [
        ("ec2.retry_rate_per_s", "5m", "expected a finite number"),  # a rate is not a duration
        ("nlb.traffic_fraction", "nan", "expected a finite number"),
        ("dns.route53.transaction_median_s", "inf", "expected a number of seconds"),
        ("dns.regional_position", "12", "must be < dns.endpoints=12"),
        ("dns.enactor.stall_min_s", "400", "must be <= dns.enactor.stall_max_s=45.0"),
        ("nlb.failover_threshold", "0.9", "must be <= nlb.failover_restore_threshold=0.75"),
        ("ec2.droplets", "100000000", "at most 2,000,000"),
        ("dns.addresses_per_endpoint", "33", "at most 32"),
        ("run.duration_s", "1000d", "at most 5,184,000 in virtual time"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field_and_what_is_allowed(key: str, value: str, complaint: str) -> None:
    with pytest.raises(ConfigError) as refused:
        build_config("incident", [(key, value)])
    message = str(refused.value)
    assert key in message and complaint in message and "\n" not in message


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not a text file"),
        (b"[a]\nx = " + b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (("[" + ".".join(["a"] * 3000) + "]\nx = 1\n").encode(), "nested deeper than any config key"),
        (b"[dns\nrace_fix = true", "malformed TOML"),
    ],
)
def test_an_unreadable_scenario_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, complaint: str
) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_bytes(content)
    assert main(["run", "--scenario", str(scenario), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and complaint in err[0]


@pytest.mark.parametrize("speed", ["nan", "1e308", "1e-300", "0", "-5"])
def test_a_real_time_speed_outside_its_range_is_refused(capsys: pytest.CaptureFixture[str], speed: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--clock", "realtime", "--speed", speed, "--duration", "1m"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--speed" in err[0] and "from 0.01 to 100000" in err[0]


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (["--set", "dns.racefix=true"], "did you mean dns.race_fix?"),
        (["--scenario", "incidnet"], "did you mean incident?"),
        (["--fault", "empty_recrd:1m:1m"], "did you mean empty_record?"),
    ],
)
def test_a_misspelt_key_scenario_or_fault_kind_gets_a_suggestion(
    capsys: pytest.CaptureFixture[str], args: list[str], suggestion: str
) -> None:
    assert main(["run", *args, "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and suggestion in err[0]
