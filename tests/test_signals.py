"""Ctrl-C, SIGTERM and SIGHUP end a run cleanly: one line, the shell's exit status, a strict-JSON report."""

from __future__ import annotations

import json
import math
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest


def _strict(report_text: str) -> dict[str, Any]:
    def refuse(constant: str) -> float:
        raise ValueError(f"non-finite number {constant} in the report")

    report: dict[str, Any] = json.loads(report_text, parse_constant=refuse)
    assert all(math.isfinite(v) for v in report["dns"].values() if isinstance(v, float))
    return report


@pytest.mark.parametrize(
    ("signum", "clock"),
    [
        (signal.SIGINT, "virtual"),
        (signal.SIGTERM, "virtual"),
        (signal.SIGHUP, "virtual"),
        (signal.SIGINT, "realtime"),
        (signal.SIGTERM, "realtime"),
    ],
)
def test_a_signal_mid_run_writes_the_partial_report_and_exits_with_the_shells_status(
    tmp_path: Path, signum: signal.Signals, clock: str
) -> None:
    report = tmp_path / "r.json"
    speed = ["--speed", "600"] if clock == "realtime" else []
    # A fault at one virtual minute logs at once: in real time on a loaded machine the
    # race itself may come late (its timing is the world's), and the test is about signals.
    early = ["--fault", "empty_record:1m:1h"]
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "run", "--clock", clock, *speed, *early, "--report", str(report)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    # The first log line (the fault) says the world is running; then a moment more
    # (a signal mid-run, not at start-up), well inside the 16-hour incident, which
    # takes far longer.
    ready, _, _ = select.select([process.stderr], [], [], 60)
    assert ready, "the run never started"
    first_line = process.stderr.readline()
    time.sleep(0.25)
    process.send_signal(signum)
    out, rest = process.communicate(timeout=60)
    err = first_line + rest
    assert process.returncode == 128 + signum, err
    assert "Traceback" not in err
    stopped = [line for line in err.splitlines() if line.startswith("outage-emulator: stopped by")]
    assert stopped and signum.name in stopped[0]
    partial = _strict(report.read_text())
    assert partial["completed"] is False
    assert 0 < partial["virtual_seconds"] < 16 * 3600
    assert "Summary:" in out
