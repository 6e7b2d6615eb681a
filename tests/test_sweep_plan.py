"""A sweep tells its plan before it starts; ``--dry-run`` tells only that, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.cli.main import main
from emulator.experiments.sweep_plan import (
    Calibration,
    SweepPlan,
    calibration_slice,
    format_estimate,
    format_plan,
    plan_sweep,
)
from emulator.experiments.sweep_spec import GridAxis, SweepSpec
from tests.helpers import SMALL_SWEEP

SMALL = SMALL_SWEEP


def test_a_studys_dry_run_names_its_runs_and_virtual_hours_with_an_estimate_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "sweep-dwfm-throttle"
    assert main(["sweep", "--study", "dwfm-throttle", "--dry-run", "--workers", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Study dwfm-throttle: How small can DWFM's admission queue be")
    assert "Plan: 70 runs = 7 grid points x 10 seeds (0..9), 8h virtual each (560 virtual hours in all)" in printed
    assert "  grid: dwfm.throttle.max_queue = 2, 4, 8, 16, 32, 64, 128" in printed
    assert "estimate: about " in printed and " wall on 2 workers " in printed and "only an estimate" in printed
    assert list(tmp_path.iterdir()) == []  # no folder, no results, no plots


def test_quiet_runs_without_the_plan_but_a_quiet_dry_run_still_prints_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main([*SMALL, "--dry-run", "-q", "--out", str(tmp_path / "dry")]) == 0
    assert capsys.readouterr().out.startswith("Plan: 2 runs = 2 grid points x 1 seed (0..0), 10m virtual each")
    assert not (tmp_path / "dry").exists()
    assert main([*SMALL, "-q", "--out", str(tmp_path / "quiet")]) == 0
    quiet = capsys.readouterr().out
    assert "Plan:" not in quiet and quiet.startswith("Sweep: 2 runs")


def test_a_sweep_prints_its_plan_first_and_a_resumed_one_counts_what_is_kept(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert main([*SMALL, "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Plan: 2 runs") and lines[0].endswith("; 2 to run")
    assert lines[2].startswith("  estimate: about ") and lines[3].startswith("    (only an estimate")
    assert any(line.startswith("Sweep: 2 runs") for line in lines[4:])
    assert main([*SMALL, "--dry-run", "--out", str(out)]) == 0
    resumed = capsys.readouterr().out
    assert f"; 0 to run, 2 already in {out}" in resumed and "estimate" not in resumed  # nothing left to time


def test_bad_input_to_a_dry_run_is_one_line_exit_2_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "bad"
    assert main(["sweep", "--grid", "dns.enactor.stall_probability=0.1,7", "--seeds", "0..1", "--dry-run",
                 "--out", str(out)]) == 2  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--grid" in err[0] and "dns.enactor.stall_probability" in err[0]
    assert not out.exists()


def _plan(durations: tuple[float, ...], pending: tuple[int, ...]) -> SweepPlan:
    spec = SweepSpec("healthy", (), (), (GridAxis("run.duration_s", tuple(str(d) for d in durations)),), (0, 4))
    return SweepPlan(spec, Path("out"), durations, pending, tuple(0.0 for _ in durations))


def test_the_estimate_scales_the_calibrated_cost_to_every_run_left_and_shares_it_among_workers() -> None:
    plan = _plan((3600.0, 7200.0), (5, 3))
    assert format_plan(plan)[0] == (
        "Plan: 10 runs = 2 grid points x 5 seeds (0..4), 1h to 2h virtual (15 virtual hours in all); 8 to run, "
        "2 already in out"
    )
    calibration = Calibration(build_s=1.0, per_virtual_s=0.01, slice_s=120.0)  # 37 s and 73 s a run
    estimate = format_estimate(plan, calibration, workers=4)
    assert estimate is not None
    serial = 5 * 37 + 3 * 73
    assert f"about {serial / 4 / 60:.0f} min wall on 4 workers ({serial / 8:.0f} s a run)" in estimate
    assert "only an estimate, scaled from 2m virtual" in estimate
    one_run = format_estimate(_plan((3600.0, 7200.0), (0, 1)), calibration, workers=4)
    assert one_run is not None and "about 73 s wall on 1 worker " in one_run  # never less than one run takes
    cluster = format_estimate(plan, calibration, workers=None)
    assert cluster is not None and "of runs in all" in cluster and "shared by the cluster" in cluster


def test_the_calibration_slice_is_short_but_reaches_past_the_trigger() -> None:
    assert calibration_slice(8 * 3600.0, 0.0) == pytest.approx(0.02 * 8 * 3600)
    assert calibration_slice(600.0, 0.0) == 120.0
    assert calibration_slice(100.0, 0.0) == 100.0  # never longer than the run
    assert calibration_slice(8 * 3600.0, 600.0) == 720.0  # the fault at 10 m, and two minutes of it
    assert calibration_slice(100 * 3600.0, 0.0) == 900.0


def test_an_estimate_whose_calibration_stops_before_the_fault_ends_says_it_may_be_low() -> None:
    # A 3-hour trigger: the recovery herd after it is the costly part, and the short slice never sees it.
    spec = SweepSpec("healthy", (), ("empty_record:10m:3h",), (GridAxis("ec2.droplets", ("5000",)),), (0, 0))
    plan = SweepPlan(spec, Path("out"), (36000.0,), (1,), (600.0,), (600.0 + 3 * 3600.0,))
    assert format_plan(plan)[0].startswith("Plan: 1 run = 1 grid point x 1 seed (0..0), 10h virtual each")
    estimate = format_estimate(plan, Calibration(build_s=1.0, per_virtual_s=0.001, slice_s=720.0), workers=1)
    assert estimate is not None
    assert (
        "only an estimate, and may be low: scaled from 12m virtual" in estimate
        and "the fault ending at 3h10m" in estimate
    )
    assert "recovery after it is not measured" in estimate
    past = SweepPlan(spec, Path("out"), (36000.0,), (1,), (600.0,), (700.0,))  # the fault is over by 12m
    quiet = format_estimate(past, Calibration(build_s=1.0, per_virtual_s=0.001, slice_s=720.0), workers=1)
    assert quiet is not None and "may be low" not in quiet and "only an estimate, scaled from 12m" in quiet


def test_the_plan_reads_when_each_points_last_fault_ends(tmp_path: Path) -> None:
    faults = ("empty_record:10m:1h", "stall_enactor:5m:5m")
    spec = SweepSpec("healthy", (), faults, (GridAxis("ec2.droplets", ("10", "20")),), (0, 0), duration="2h")
    plan = plan_sweep(spec, tmp_path / "none")
    assert plan.last_fault_at == (600.0, 600.0) and plan.last_fault_end == (4200.0, 4200.0)


def test_no_plots_writes_the_same_rows_and_table_and_says_the_plots_were_left_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with_plots = [argument for argument in SMALL if argument != "--no-plots"]
    assert main([*with_plots, "--out", str(tmp_path / "drawn")]) == 0
    drawn = capsys.readouterr().out.splitlines()
    assert main([*SMALL, "--out", str(tmp_path / "bare")]) == 0
    bare = capsys.readouterr().out.splitlines()
    assert any(line.endswith("plots in " + str(tmp_path / "drawn" / "plots")) for line in drawn)
    assert any(line.endswith("no plots (--no-plots)") for line in bare)
    assert not (tmp_path / "bare" / "plots").exists() and any((tmp_path / "drawn" / "plots").iterdir())
    # The same runs and the same table of outcomes: only the drawing is left out.
    assert (tmp_path / "bare" / "results.csv").read_text() == (tmp_path / "drawn" / "results.csv").read_text()
    table = [line for line in drawn if line.startswith("  dns.race_fix=")]
    assert table and table == [line for line in bare if line.startswith("  dns.race_fix=")]
