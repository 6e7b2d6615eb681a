"""Sweeps under faults: a torn row, SIGKILL, a full disk, SIGTERM, failed runs.

What a user cares about after any of these: resuming gives every run
exactly once, with its values whole, and the exit status tells the truth.
Runs are tiny (200 droplets, 3 endpoints, 10 virtual minutes).
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from emulator.cli.main import main
from emulator.experiments import sweep_store
from emulator.experiments.sweep import run_sweep
from emulator.experiments.sweep_spec import GridAxis, SweepSpec
from emulator.world.world import World

TINY = (("dns.endpoints", "3"), ("ec2.droplets", "200"))
TINY_ARGS = ["--set", "dns.endpoints=3", "--set", "ec2.droplets=200", "--duration", "10m"]


def _spec(seeds: tuple[int, int]) -> SweepSpec:
    return SweepSpec(
        scenario="incident",
        sets=TINY,
        faults=(),
        grid=(GridAxis("dns.enactor.stall_probability", ("0.001",)),),
        seeds=seeds,
        duration="10m",
    )


def _sweep(spec: SweepSpec, out: Path) -> tuple[int, int]:
    outcome = run_sweep(spec, out, workers=1, plots=False, progress_stream=io.StringIO())
    return outcome.executed, outcome.skipped


def _seeds(results: Path) -> list[int]:
    with results.open(newline="") as stream:
        return sorted(int(row["seed"]) for row in csv.DictReader(stream))


def test_a_row_torn_inside_its_last_cell_is_dropped_and_run_again(tmp_path: Path) -> None:
    spec, out = _spec((0, 1)), tmp_path / "sweep"
    _sweep(spec, out)
    results = out / "results.csv"
    complete = results.read_text()
    *whole, last = complete.splitlines()
    cells = last.split(",")
    cut = max(i for i, cell in enumerate(cells) if len(cell) > 1)  # the last value long enough to cut
    # As if SIGKILL landed mid-write: the row stops halfway through a value (4.5 would read back as 4).
    results.write_text("\n".join(whole) + "\n" + ",".join(cells[:cut]) + "," + cells[cut][: len(cells[cut]) // 2])

    assert _sweep(spec, out) == (1, 1)
    assert sorted(results.read_text().splitlines()) == sorted(complete.splitlines())


def test_a_sweep_killed_with_sigkill_resumes_with_every_run_exactly_once(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    argv = [
        "sweep",
        *TINY_ARGS,
        "--grid",
        "dns.enactor.stall_probability=0.001",
        "--seeds",
        "0..3",
        "--workers",
        "1",
        "--no-plots",
    ]
    process = subprocess.Popen([sys.executable, "-m", "emulator", *argv, "--out", str(out), "-q"])
    results = out / "results.csv"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (results.exists() and results.read_text().count("\n") >= 3):
        time.sleep(0.02)
    process.kill()
    process.wait(timeout=30)
    kept = sweep_store.read_rows(results)[1]
    assert 2 <= len(kept) < 4

    assert _sweep(_spec((0, 3)), out) == (4 - len(kept), len(kept))
    assert _seeds(results) == [0, 1, 2, 3]
    with results.open(newline="") as stream:
        rows = list(csv.reader(stream))
    assert all(len(row) == len(rows[0]) for row in rows)
    assert results.read_text().endswith("\n")


def test_a_full_disk_mid_sweep_is_one_line_exit_1_and_leaves_no_torn_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "sweep"
    argv = ["sweep", *TINY_ARGS, "--grid", "dns.enactor.stall_probability=0.001", "--seeds", "0..3", "-q", "--no-plots"]
    real_write_all = sweep_store.write_all  # type: ignore[attr-defined]  # the name the store calls
    rows_written: list[bytes] = []

    def fills_up_on_the_third_row(handle: int, data: bytes) -> None:
        if len(rows_written) == 2:
            os.write(handle, data[: len(data) // 2])  # half a row reaches the disk, then it is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        rows_written.append(data)
        real_write_all(handle, data)

    monkeypatch.setattr(sweep_store, "write_all", fills_up_on_the_third_row)
    assert main([*argv, "--workers", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("outage-emulator:")]
    assert len(lines) == 1 and "No space left on device" in lines[0] and "resume" in lines[0]
    results = out / "results.csv"
    assert results.read_text().endswith("\n") and _seeds(results) == [0, 1]
    assert sorted(path.name for path in out.iterdir()) == ["results.csv", "sweep.json"]

    monkeypatch.undo()
    assert main([*argv, "--workers", "1", "--out", str(out)]) == 0
    assert _seeds(results) == [0, 1, 2, 3]


def _children(pid: int) -> set[int]:
    """Live processes whose parent is ``pid`` (from /proc: psutil is not a dependency)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _start_sweep(argv: list[str], out: Path, *, lines: int, within_s: float) -> tuple[subprocess.Popen[str], Path]:
    """Start a sweep and wait until its results file holds ``lines`` lines (the header and rows)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", *argv, "--out", str(out)], stderr=subprocess.PIPE, text=True
    )
    results = out / "results.csv"
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline and not (results.exists() and results.read_text().count("\n") >= lines):
        time.sleep(0.02)
    return process, results


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the workers through /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_signal_to_a_parallel_sweep_leaves_no_worker_behind(tmp_path: Path, signum: signal.Signals) -> None:
    out = tmp_path / "sweep"
    # Stopped mid-sweep: it never reaches the plots.
    argv = ["sweep", *TINY_ARGS, "--grid", "dns.endpoints=3,4", "--seeds", "0..39", "--workers", "2", "-q"]
    process, results = _start_sweep(argv, out, lines=3, within_s=60)
    workers = _children(process.pid)
    assert len(workers) >= 2, "two workers (and perhaps multiprocessing's resource tracker) were running"
    process.send_signal(signum)
    try:
        _, err = process.communicate(timeout=30)  # a surviving worker holds stderr open
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.05)
        assert not [pid for pid in workers if _alive(pid)], "a worker outlived its sweep"
    finally:
        for pid in filter(_alive, workers):
            os.kill(pid, signal.SIGKILL)
    kept = sweep_store.read_rows(results)[1]
    assert 2 <= len(kept) < 80
    if signum == signal.SIGTERM:
        assert process.returncode == 143, err
        assert "Traceback" not in err
        assert err.strip().splitlines() == [
            f"outage-emulator: interrupted by SIGTERM; {len(kept)} finished runs kept in {results}; "
            "run the same command again to resume"
        ]


def test_a_sweep_with_a_failed_run_writes_everything_then_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    original_run = World.run

    async def run_crashing_seed_1(self: World, observers: Any = ()) -> None:
        async def crash_at_five_minutes(world: World) -> None:
            await world.clock.sleep_until(300.0)
            raise RuntimeError("injected crash")

        await original_run(self, [*observers, *([crash_at_five_minutes] if self.seed == 1 else [])])

    monkeypatch.setattr(World, "run", run_crashing_seed_1)
    out = tmp_path / "sweep"
    argv = ["sweep", *TINY_ARGS, "--grid", "dns.enactor.stall_probability=0.001", "--seeds", "0..1", "-q"]
    assert main([*argv, "--workers", "1", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "Sweep: 2 runs" in captured.out and "reproduce:" in captured.out
    assert captured.err.strip().splitlines()[-1].startswith("outage-emulator: 1 of 2 runs failed")
    assert _seeds(out / "results.csv") == [0, 1]
    assert json.loads((out / "summary.json").read_text())["failed"] == 1


def test_a_signal_during_a_one_worker_sweeps_run_stops_it_without_a_failed_row(tmp_path: Path) -> None:
    """With one worker the runs go in the sweep's own process: the signal lands inside a run's
    Trio loop, which must stop the world and drop the unfinished run, not keep it as failed."""
    out = tmp_path / "sweep"
    # Runs of a few seconds each, so the signal lands inside one.
    argv = [
        "sweep",
        "--grid",
        "ec2.droplets=2000",
        "--duration",
        "2h",
        "--seeds",
        "0..9",
        "--workers",
        "1",
        "-q",
        "--no-plots",
    ]
    process, results = _start_sweep(argv, out, lines=2, within_s=90)
    time.sleep(0.5)  # into the next run
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    kept = sweep_store.read_rows(results)[1]
    assert process.returncode == 143, err
    assert 1 <= len(kept) < 10
    assert all(row["status"] == "ok" for row in kept), [row["error"] for row in kept]
    assert err.strip().splitlines() == [
        f"outage-emulator: interrupted by SIGTERM; {len(kept)} finished runs kept in {results}; "
        "run the same command again to resume"
    ]
