"""``run --openmetrics/--plot/--metrics-port``: what a user gets, and a backfill that works."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from emulator.cli.main import main
from tests.prometheus_tools import prometheus_server, query, require_binary


@pytest.fixture(autouse=True, scope="module")
def _forget_captured_streams() -> Iterator[None]:
    """main() points structlog at the stderr pytest captures here and closes afterwards."""
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """One 2-hour incident, recorded every virtual minute, shared by this module's tests."""
    folder = tmp_path_factory.mktemp("run")
    code = main(
        [
            "run", "--seed", "0", "--duration", "2h", "-q", "--report", str(folder / "report.json"),
            "--openmetrics", str(folder / "run.om"), "--plot", str(folder / "run.png"),
            "--plot-all", str(folder / "all.svg"),
        ]
    )  # fmt: skip
    assert code == 0
    return folder, json.loads((folder / "report.json").read_text())


def test_openmetrics_holds_every_series_at_virtual_timestamps(recorded_run: tuple[Path, dict[str, object]]) -> None:
    folder, _ = recorded_run
    lines = (folder / "run.om").read_text().splitlines()
    assert lines[-1] == "# EOF"
    assert "emulator_virtual_time_seconds 3600.0 3600.0" in lines
    assert 'dynamodb_requests_total{outcome="unresolvable"}' in "\n".join(lines)
    assert not [line for line in lines if "_created" in line]


def test_plot_is_a_png_with_the_run_drawn(recorded_run: tuple[Path, dict[str, object]]) -> None:
    folder, _ = recorded_run
    data = (folder / "run.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 30_000  # six panels with lines, not an empty canvas


def test_plot_all_still_draws_every_metric(recorded_run: tuple[Path, dict[str, object]]) -> None:
    folder, _ = recorded_run
    drawing = (folder / "all.svg").read_text()
    assert drawing.startswith("<?xml")
    assert "dwfm_leases" in drawing and "nlb_capacity_in_service_ratio" in drawing  # titled by metric name


def test_backfilled_openmetrics_answers_queries_at_virtual_timestamps(
    recorded_run: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    folder, report = recorded_run
    promtool = require_binary("promtool")
    require_binary("prometheus")
    data = tmp_path / "tsdb"
    backfill = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(folder / "run.om"), str(data)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert backfill.returncode == 0, backfill.stderr
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\n")
    with prometheus_server(config, data) as base:
        assert query(base, "emulator_virtual_time_seconds", at=7200.0)[0]["value"] == [7200, "7200"]
        first_empty = report["dns"]["first_empty_at"]  # type: ignore[index]
        assert first_empty is not None
        before, after = (first_empty // 60) * 60, (first_empty // 60 + 2) * 60
        assert query(base, "dns_regional_endpoint_addresses", at=before)[0]["value"][1] == "4"
        assert query(base, "dns_regional_endpoint_addresses", at=after)[0]["value"][1] == "0"
        failing = query(base, 'dynamodb_requests_total{outcome="unresolvable"}', at=7200.0)
        assert float(failing[0]["value"][1]) == report["dynamodb"]["failed_unresolvable"]  # type: ignore[index]


def test_a_metrics_port_in_use_is_one_line_exit_2_and_nothing_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        report = tmp_path / "report.json"
        code = main(["run", "--duration", "10m", "--metrics-port", str(port), "--report", str(report)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and str(port) in err and "in use" in err
    assert not report.exists()


@pytest.mark.parametrize(
    ("flags", "complaint"),
    [
        (["--metrics-addr", "999.1.1.1", "--metrics-port", "0"], "invalid --metrics-addr '999.1.1.1': expected an IPv"),
        (["--metrics-addr", "127.0.0.1"], "invalid --metrics-addr '127.0.0.1': it needs --metrics-port"),
        (["--metrics-addr", "192.0.2.1", "--metrics-port", "0"], "invalid --metrics-addr '192.0.2.1': cannot listen"),
    ],
)
def test_a_bad_or_lone_metrics_address_is_one_line_naming_the_address_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, flags: list[str], complaint: str
) -> None:
    report = tmp_path / "report.json"
    try:
        code = main(["run", "--duration", "10m", *flags, "--report", str(report)])
    except SystemExit as refused:  # argparse's own refusal of a malformed value
        code = int(str(refused.code))
    _, err = capsys.readouterr()
    assert code == 2 and complaint in err and len(err.strip().splitlines()) == 1
    assert not report.exists()


def test_an_ipv6_metrics_address_is_printed_in_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "-q", "--duration", "1m", "--metrics-addr", "::1", "--metrics-port", "0"])
    out, _ = capsys.readouterr()
    assert code == 0 and "Serving metrics on http://[::1]:" in out


def test_a_recording_too_long_to_keep_is_refused_before_running(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["run", "--duration", "30d", "--set", "run.sample_interval_s=10", "--openmetrics", str(tmp_path / "x")])
    _, err = capsys.readouterr()
    assert code == 2 and "run.sample_interval_s=10" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()
