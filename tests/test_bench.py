"""``bench`` times whole processes, world against the bare SimPy loop, interleaved, with their spread."""

from __future__ import annotations

import re
import subprocess
import sys

from emulator.experiments.simpy_loop import run_lease_loop


def test_bench_prints_whole_process_medians_with_min_max_peak_rss_and_the_ratio() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "emulator",
            "bench",
            "--sizes",
            "30",
            "--duration",
            "2m",
            "--runs",
            "2",
            "--skip-incident",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "median of 2 interleaved runs (min-max)" in out
    row = next(line for line in out.splitlines() if line.split()[0] == "30")
    seconds = r"(\d+\.\d) s \((\d+\.\d)-(\d+\.\d)\)"
    match = re.fullmatch(rf"\s*30\s+{seconds}\s+(\d+) MiB\s+{seconds}\s+(\d+) MiB\s+(\d+\.\d\d)", row)
    assert match, row
    world, low, high = (float(match[i]) for i in (1, 2, 3))
    assert low <= world <= high
    world_rss, simpy_rss = int(match[4]), int(match[8])
    # Each side's own peak: the bare loop, which imports SimPy alone, is the smaller process.
    assert 0 < simpy_rss < world_rss
    assert "In the process (medians):" in out


def test_the_simpy_baseline_checks_every_lease_once_per_interval() -> None:
    figures = run_lease_loop(droplets=100, duration_s=3601.0, interval_s=180.0, ttl_s=1800.0)
    assert figures["lease_checks"] == 100 * 20  # 3,600 virtual seconds / 180
    assert figures["peak_rss"] > 0
