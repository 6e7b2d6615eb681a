"""Sweeps: every grid point x seed, rows that replay, resume, failures, bad input.

Kept small (DNS with 3-4 endpoints, 10 virtual minutes): each run takes well
under a second, so the whole file stays within a few seconds on 2 cores.
"""

from __future__ import annotations

import csv
import io
import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from emulator.cli.main import main
from emulator.config.loading import build_config
from emulator.experiments.studies import STUDIES, Study
from emulator.experiments.sweep import Progress, run_sweep
from emulator.experiments.sweep_spec import GridAxis, SweepSpec, run_command
from emulator.world.runner import run_world
from emulator.world.world import World

PNG = b"\x89PNG\r\n\x1a\n"
SMALL = (("dns.endpoints", "3"),)


def _spec(
    grid: tuple[GridAxis, ...] = (GridAxis("dns.enactor.stall_probability", ("0.0001", "0.001")),),
    seeds: tuple[int, int] = (0, 2),
) -> SweepSpec:
    return SweepSpec(scenario="incident", sets=SMALL, faults=(), grid=grid, seeds=seeds, duration="10m")


def _rows(out: Path) -> list[dict[str, str]]:
    with (out / "results.csv").open(newline="") as stream:
        return list(csv.DictReader(stream))


def _keys(rows: list[dict[str, str]], grid_keys: tuple[str, ...]) -> list[tuple[Any, ...]]:
    return sorted((*(row[key] for key in grid_keys), int(row["seed"])) for row in rows)


def test_small_2x2_sweep_writes_12_rows_a_summary_and_heatmaps(tmp_path: Path) -> None:
    spec = _spec(
        grid=(
            GridAxis("dns.enactor.stall_probability", ("0.0001", "0.001")),
            GridAxis("fault", ("empty_record:2m:1m", "empty_record:2m:5m")),
        )
    )
    out = tmp_path / "sweep"
    outcome = run_sweep(
        spec,
        out,
        workers=2,
        plot_outcomes=("dns.empty_record_seconds", "dns.race_occurred"),
        progress_stream=io.StringIO(),
    )

    rows = _rows(out)
    assert outcome.executed == 12 and not outcome.interrupted
    assert len(rows) == 12
    assert len(set(_keys(rows, spec.grid_keys))) == 12
    assert {row["status"] for row in rows} == {"ok"}
    assert {"dns.race_occurred", "dns.empty_record_seconds", "dynamodb.error_seconds"} <= set(rows[0])
    # The longer injected fault keeps the record empty longer, whatever the seed.
    for row in rows:
        assert float(row["dns.empty_record_seconds"]) >= (60.0 if row["fault"].endswith(":1m") else 300.0)

    summary = json.loads((out / "summary.json").read_text())
    assert summary["runs"] == summary["expected_runs"] == 12
    assert [point["runs"] for point in summary["points"]] == [3, 3, 3, 3]
    for point in summary["points"]:
        race = point["boolean"]["dns.race_occurred"]
        assert race["ci95"][0] <= race["rate"] <= race["ci95"][1]
        empty = point["numeric"]["dns.empty_record_seconds"]
        assert empty["n"] == 3 and empty["min"] <= empty["p50"] <= empty["p95"] <= empty["max"]

    assert {path.name for path in outcome.plots} == {"dns.empty_record_seconds.png", "dns.race_occurred.png"}
    for path in outcome.plots:
        assert path.read_bytes().startswith(PNG)


def test_every_row_replays_with_run_world_and_with_the_printed_run_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _spec(seeds=(4, 5))
    out = tmp_path / "sweep"
    run_sweep(spec, out, workers=2, plots=False, progress_stream=io.StringIO())
    rows = {(row["dns.enactor.stall_probability"], int(row["seed"])): row for row in _rows(out)}

    for value, seed in (("0.0001", 4), ("0.001", 5)):
        # Built independently of the sweep code, the way a user would type it.
        sets = [("dns.endpoints", "3"), ("run.duration_s", "10m"), ("dns.enactor.stall_probability", value)]
        name, config = build_config("incident", sets)
        report = run_world(config, seed=seed, scenario=name).report
        row = rows[(value, seed)]
        assert row["trace_hash"] == report["trace_hash"]
        assert float(row["dns.empty_record_seconds"]) == report["dns"]["empty_record_seconds"]
        assert row["dns.race_occurred"] == str(report["dns"]["race_occurred"]).lower()

    task = spec.task(("0.001",), 5)
    command = shlex.split(run_command(task))
    assert command[:2] == ["outage-emulator", "run"]
    report_path = tmp_path / "replay.json"
    assert main([*command[1:], "-q", "--report", str(report_path)]) == 0
    capsys.readouterr()
    assert json.loads(report_path.read_text())["trace_hash"] == rows[("0.001", 5)]["trace_hash"]


def test_resume_after_an_interruption_runs_only_the_missing_runs(tmp_path: Path) -> None:
    spec = _spec(grid=(GridAxis("dns.endpoints", ("3", "4")),))
    out = tmp_path / "sweep"
    seen: list[dict[str, Any]] = []

    def ctrl_c_after_four(row: dict[str, Any]) -> None:
        seen.append(row)
        if len(seen) == 4:
            raise KeyboardInterrupt

    first = run_sweep(spec, out, workers=1, on_row=ctrl_c_after_four, plots=False, progress_stream=io.StringIO())
    assert first.interrupted and first.executed == 4 and first.summary is None
    assert len(_rows(out)) == 4
    assert not (out / "summary.json").exists()

    second = run_sweep(spec, out, workers=1, plots=False, progress_stream=io.StringIO())
    assert (second.executed, second.skipped) == (2, 4)
    rows = _rows(out)
    assert _keys(rows, spec.grid_keys) == sorted((v, s) for v in ("3", "4") for s in range(3))
    assert second.summary is not None and second.summary["runs"] == 6

    third = run_sweep(spec, out, workers=1, plots=False, progress_stream=io.StringIO())
    assert (third.executed, third.skipped) == (0, 6)


def test_a_torn_last_line_and_a_killed_rewrites_temporary_are_cleared_on_resume(tmp_path: Path) -> None:
    spec = _spec(grid=(GridAxis("dns.endpoints", ("3",)),), seeds=(0, 1))
    out = tmp_path / "sweep"
    run_sweep(spec, out, workers=1, plots=False, progress_stream=io.StringIO())
    complete = (out / "results.csv").read_text().splitlines()
    # As if the machine died while writing the second row.
    (out / "results.csv").write_text("\n".join(complete[:2]) + "\n" + complete[2][:25])
    (out / ".results.csv.k1ll3d_x.csv").write_text(complete[0])  # a rewrite cut short by SIGKILL

    again = run_sweep(spec, out, workers=1, plots=False, progress_stream=io.StringIO())
    assert (again.executed, again.skipped) == (1, 1)
    assert sorted((out / "results.csv").read_text().splitlines()) == sorted(complete)
    assert sorted(path.name for path in out.iterdir() if path.name.startswith(".")) == [], "no temporaries left"


def test_a_crashing_run_is_recorded_with_a_reproducing_command_and_the_sweep_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original_run = World.run

    async def run_crashing_seed_1(self: World, observers: Any = ()) -> None:
        async def crash_at_five_minutes(world: World) -> None:
            await world.clock.sleep_until(300.0)
            raise RuntimeError("injected crash")

        extra = [crash_at_five_minutes] if self.seed == 1 else []
        await original_run(self, [*observers, *extra])

    monkeypatch.setattr(World, "run", run_crashing_seed_1)
    spec = _spec()
    out = tmp_path / "sweep"
    outcome = run_sweep(spec, out, workers=1, plots=False, progress_stream=io.StringIO())

    rows = _rows(out)
    assert len(rows) == 6 and outcome.failed == 2
    failed = [row for row in rows if row["status"] == "failed"]
    assert {row["seed"] for row in failed} == {"1"}
    assert all("injected crash" in row["error"] and row["dns.race_occurred"] == "" for row in failed)
    summary = json.loads((out / "summary.json").read_text())
    assert [point["failed"] for point in summary["points"]] == [1, 1]
    assert all(point["boolean"]["dns.race_occurred"]["n"] == 2 for point in summary["points"])
    failure = summary["failures"][0]
    assert failure["seed"] == 1 and "--seed 1" in failure["command"]

    capsys.readouterr()
    assert main([*shlex.split(failure["command"])[1:], "-q"]) == 1
    assert "injected crash" in capsys.readouterr().err


BASE = ["sweep", "--grid", "dns.endpoints=3,4", "--seeds", "0..1", "--duration", "10m", "--workers", "1", "--no-plots"]


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["--grid", "dns.race_fix"], ["--grid", "'dns.race_fix'", "KEY=V1,V2"]),
        (["--grid", "no.such.key=1,2"], ["--grid", "no.such.key", "no such key"]),
        (["--grid", "dns.cleanup.keep_generations=3,many"], ["--grid", "many", "whole number"]),
        (["--grid", "dns.race_fix=true,,false"], ["--grid", "empty value"]),
        (["--grid", "dns.enactor.stall_probability=0.1,2"], ["--grid", "stall_probability", "<= 1"]),
        (["--grid", "fault=meteor:1m:2m"], ["meteor", "empty_record"]),
        (["--grid", "fault=stall_enactor:1m:2m:nobody"], ["nobody", "dns-enactor-use1-az1"]),
        (["--grid", "faults=empty_record:1m:2m"], ["faults", "fault="]),
        (["--grid", "dns.endpoints=5"], ["dns.endpoints", "twice"]),
        (["--seeds", "5..2"], ["--seeds", "'5..2'", "A..B"]),
        (["--executor", "dask"], ["--executor dask", "--scheduler"]),
        (["--workers", "0"], ["--workers", "'0'", ">= 1"]),
        (["--duration", "soon"], ["--duration", "'soon'"]),
        (["--set", "dns.cleanup.keep_generations=0"], ["dns.cleanup.keep_generations", ">= 1"]),
    ],
)
def test_bad_sweep_input_is_one_line_exit_2_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], names: list[str]
) -> None:
    out = tmp_path / "sweep"
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main([*BASE, *argv, "--out", str(out)]))
    stdout, err = capsys.readouterr()
    assert exit_info.value.code == 2
    assert stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for name in names:
        assert name in lines[0]
    assert not out.exists()


def test_a_study_naming_a_key_this_version_lacks_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A study written for keys this version lacks stops before any run."""
    future = Study(
        "future", "?", "healthy", (("ec2.warp_drive", "on"),), (), (("dns.endpoints", ("3",)),), "0", "1m", ()
    )
    monkeypatch.setitem(STUDIES, "future", future)
    out = tmp_path / "sweep"
    code = main(["sweep", "--study", "future", "--out", str(out)])
    stdout, err = capsys.readouterr()
    assert code == 2 and stdout == ""
    assert err.strip() == (
        "outage-emulator: error: invalid --study future: key ec2.warp_drive does not exist in this version; "
        "see `outage-emulator keys`"
    )
    assert not out.exists()


def test_resuming_into_a_folder_of_another_sweep_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    spec = _spec(grid=(GridAxis("dns.endpoints", ("3",)),), seeds=(0, 0))
    run_sweep(spec, out, workers=1, plots=False, progress_stream=io.StringIO())
    before = (out / "results.csv").read_text()

    code = main([*BASE, "--set", "dns.endpoints=3", "--out", str(out)])
    stdout, err = capsys.readouterr()
    assert code == 2 and stdout == ""
    assert len(err.strip().splitlines()) == 1
    assert "different sweep" in err and "grid" in err and "seeds" in err
    assert (out / "results.csv").read_text() == before


def test_progress_is_a_live_line_on_a_terminal_and_plain_lines_when_piped() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    piped, terminal = io.StringIO(), Terminal()
    for stream in (piped, terminal):
        progress = Progress(total=40, done=0, stream=stream)
        for _ in range(40):
            progress.update({"status": "ok"})
        progress.finish()
    assert "\r" not in piped.getvalue()
    assert len(piped.getvalue().splitlines()) == 20
    assert piped.getvalue().splitlines()[-1].startswith("sweep [" + "#" * 24 + "] 40/40 runs")
    assert terminal.getvalue().count("\r") == 40 and terminal.getvalue().endswith("left\n")
    assert "40/40 runs" in terminal.getvalue().rsplit("\r", 1)[1]
