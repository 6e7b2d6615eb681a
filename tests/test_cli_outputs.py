"""Output paths and streams: a mistake costs one line before any work, a closed pipe costs nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

SHORT = ["--duration", "20m", "-q"]


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args], capture_output=True, text=True, check=False, timeout=120, cwd=cwd
    )


@pytest.mark.parametrize(
    ("option", "name", "complaint"),
    [
        ("--report", "{tmp}", "is a directory"),
        ("--report", "{tmp}/missing/r.json", "does not exist"),
        ("--report", "{tmp}/r.txt", "ending in .json"),
        ("--report", "/proc/r.json", "cannot write in folder"),
        ("--plot", "{tmp}/p.gif", "ending in .png or .svg or .pdf"),
        ("--plot-all", "{tmp}/missing/all.png", "does not exist"),
        ("--openmetrics", "{tmp}/missing/run.om", "does not exist"),
    ],
)
def test_a_bad_output_path_is_one_line_exit_2_before_any_work_and_nothing_written(
    tmp_path: Path, option: str, name: str, complaint: str
) -> None:
    before = sorted(tmp_path.rglob("*"))
    started = time.perf_counter()
    result = _cli("run", option, name.format(tmp=tmp_path), "--duration", "16h")
    elapsed = time.perf_counter() - started
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and option in lines[0] and complaint in lines[0], result.stderr
    assert elapsed < 5, "refused before the 16-hour run started"
    assert sorted(tmp_path.rglob("*")) == before
    assert not (tmp_path / "missing").exists(), "a missing folder is never created"


def test_report_dash_writes_the_json_report_alone_on_stdout() -> None:
    result = _cli("run", *SHORT, "--report", "-")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["completed"] is True and report["virtual_seconds"] == 1200.0
    assert "Summary:" in result.stderr


def test_a_reader_that_closes_the_pipe_early_costs_no_traceback_and_no_report(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    pipeline = f"{sys.executable} -m emulator run --duration 20m --report {report} | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
    assert result.returncode == 0
    assert json.loads(report.read_text())["completed"] is True


def test_report_files_follow_the_umask(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    old = os.umask(0o022)
    try:
        result = _cli("run", *SHORT, "--report", str(report))
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    assert report.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--speed", "600"], "applies only with --clock realtime"),
        (["--fault", "empty_record:30m:10m"], "starts at or after the run ends"),
    ],
)
def test_options_that_cannot_apply_are_refused(args: list[str], complaint: str) -> None:
    result = _cli("run", *SHORT, *args)
    assert result.returncode == 2 and complaint in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_durations_combine_units() -> None:
    result = _cli("run", "--duration", "0h20m30s", "-q", "--report", "-")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["virtual_seconds"] == 1230.0
