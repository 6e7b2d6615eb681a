"""A sweep's plan, told before it starts: how many runs, how much virtual time, about how long.

A study can be 70 runs of 8 virtual hours (most of an hour here); a user who
learns that only from the progress bar has already spent the first minutes.
So the plan is printed first, and ``--dry-run`` prints only the plan.

The wall-time estimate comes from short calibration runs, not from a table of
past timings: machines differ, and so do worlds (a fleet ten times larger
costs far more per virtual hour). The first and last grid points (often the
grid's extremes) each run for a small slice of their virtual duration, and
the measured cost is scaled to the whole run, plus the fixed cost of building
the world. It stays an estimate, and says so: a cascade that starts after the
slice can cost more per virtual hour than its quiet start. Where a fault is
still on when the slice ends, the recovery after it (the herd of lease
re-establishments, the launch backlog) is known to be left out, and the plan
says that estimate may well be low rather than making every sweep calibrate
for hours of virtual time first.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import structlog

from emulator.config.loading import build_config
from emulator.experiments.sweep_spec import RunTask, SweepSpec
from emulator.experiments.sweep_store import RESULTS_FILE, ResultsStore, read_rows
from emulator.world.runner import RunFailed, run_world
from emulator.world.world import World

__all__ = ["Calibration", "SweepPlan", "calibrate", "format_estimate", "format_plan", "plan_sweep"]

# The calibration slice: this share of a run's virtual time, within these bounds (virtual s).
CALIBRATION_SHARE = 0.02
CALIBRATION_MIN_S = 120.0
CALIBRATION_MAX_S = 900.0


@attrs.frozen
class SweepPlan:
    """What a sweep will do; ``pending`` leaves out the runs a resumed folder already holds."""

    spec: SweepSpec
    out: Path
    # Per grid point (in order): its virtual duration (s) and how many of its runs are still to do.
    durations: tuple[float, ...]
    pending_per_point: tuple[int, ...]
    # Per grid point: when its last fault starts (0 without faults), which a calibration must reach.
    last_fault_at: tuple[float, ...] = ()
    # Per grid point: when its last fault ends (0 without faults); what comes after is the late cascade.
    last_fault_end: tuple[float, ...] = ()

    @property
    def seeds(self) -> int:
        first, last = self.spec.seeds
        return last - first + 1

    @property
    def runs(self) -> int:
        return len(self.durations) * self.seeds

    @property
    def pending(self) -> int:
        return sum(self.pending_per_point)

    @property
    def virtual_seconds(self) -> float:
        return sum(self.durations) * self.seeds


def plan_sweep(spec: SweepSpec, out: Path) -> SweepPlan:
    """Count the runs and their virtual time; reads ``out`` (to leave out finished runs) but writes nothing.

    Call after :func:`~emulator.experiments.sweep_spec.validate`: every point's config builds.
    """
    finished: set[tuple[tuple[str, ...], int]] = set()
    results = out / RESULTS_FILE
    ResultsStore(out, spec).check()  # a folder of another sweep is refused here, as by the sweep itself
    if results.exists():
        finished = {(tuple(row[key] for key in spec.grid_keys), int(row["seed"])) for row in read_rows(results)[1]}
    durations, pending, faults_at, faults_end = [], [], [], []
    first, last = spec.seeds
    for point in spec.points():
        task = spec.task(point, first)
        config = build_config(task.scenario, task.sets, task.faults)[1]
        durations.append(config.run.duration_s)
        faults_at.append(max((fault.at_s for fault in config.faults), default=0.0))
        faults_end.append(max((fault.at_s + fault.duration_s for fault in config.faults), default=0.0))
        pending.append(sum((tuple(point), seed) not in finished for seed in range(first, last + 1)))
    return SweepPlan(spec, out, tuple(durations), tuple(pending), tuple(faults_at), tuple(faults_end))


def calibration_slice(duration_s: float, last_fault_at: float) -> float:
    """Virtual seconds to calibrate on: a small share of the run, but past its last fault's start.

    A slice that ended before the trigger would measure only the quiet world
    (and a fault starting after the run's end is refused as bad input).
    """
    share = max(CALIBRATION_MIN_S, min(CALIBRATION_MAX_S, CALIBRATION_SHARE * duration_s))
    return min(duration_s, max(share, last_fault_at + CALIBRATION_MIN_S))


@attrs.frozen
class Calibration:
    """Measured on short runs: the fixed cost of a world and its cost per virtual second (wall s)."""

    build_s: float
    per_virtual_s: float
    slice_s: float  # virtual seconds each calibration run covered

    def run_seconds(self, virtual_s: float) -> float:
        return self.build_s + self.per_virtual_s * virtual_s


@contextlib.contextmanager
def _silent() -> Iterator[None]:
    """Calibration runs must not log the incident's milestones to the user's terminal."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    try:
        yield
    finally:
        structlog.configure(**saved)


def _measure(task: RunTask, slice_s: float) -> tuple[float, float]:
    """(fixed wall s, wall s per virtual s) of ``task``, from one run cut to ``slice_s`` virtual seconds.

    The wall clock is read at a quarter and at three quarters of the slice:
    the slope between the two is the running cost. What the first quarter and
    the last take beyond that slope is the fixed cost (building the world,
    every actor's first step; the report and the tear-down), which a plain
    ratio would spread over the whole run and so overstate a long run many
    times over.
    """
    name, config = build_config(task.scenario, (*task.sets, ("run.duration_s", str(slice_s))), task.faults)
    marks: list[float] = []

    async def mark(world: World) -> None:
        await world.clock.sleep(slice_s / 4)
        marks.append(time.perf_counter())
        await world.clock.sleep(slice_s / 2)
        marks.append(time.perf_counter())

    started = time.perf_counter()
    with contextlib.suppress(RunFailed):  # a run that fails still cost what it cost
        run_world(config, seed=task.seed, scenario=name, observers=[mark])
    ended = time.perf_counter()
    if len(marks) < 2:  # failed early: all of it counts as fixed cost
        return ended - started, 0.0
    per_virtual_s = (marks[1] - marks[0]) / (slice_s / 2)
    fixed = (ended - started) - per_virtual_s * slice_s
    return max(0.0, fixed), per_virtual_s


def calibrate(plan: SweepPlan) -> Calibration | None:
    """Run the first and last grid points for a slice of their duration; None if nothing is left to run."""
    if not plan.pending:
        return None
    points = plan.spec.points()
    chosen = sorted({0, len(points) - 1})
    slices = [calibration_slice(plan.durations[i], plan.last_fault_at[i]) for i in chosen]
    builds, rates = [], []
    with _silent():
        for index, slice_s in zip(chosen, slices, strict=True):
            build_s, per_virtual_s = _measure(plan.spec.task(points[index], plan.spec.seeds[0]), slice_s)
            builds.append(build_s)
            rates.append(per_virtual_s)
    return Calibration(sum(builds) / len(builds), sum(rates) / len(rates), sum(slices) / len(slices))


def _duration(seconds: float) -> str:
    """``8h``, ``1h30m``, ``10m``, ``45s``: how the user writes a duration."""
    whole = round(seconds)
    hours, minutes, secs = whole // 3600, whole % 3600 // 60, whole % 60
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s" if secs else ""]
    return "".join(parts) or "0s"


def _wall(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def format_plan(plan: SweepPlan) -> list[str]:
    """``Plan: 70 runs = 7 grid points x 10 seeds (0..9), 8h virtual each (560 virtual hours in all); ...``"""
    spec = plan.spec
    low, high = min(plan.durations), max(plan.durations)
    each = f"{_duration(low)} virtual each" if low == high else f"{_duration(low)} to {_duration(high)} virtual"
    first, last = spec.seeds
    kept = plan.runs - plan.pending
    lines = [
        f"Plan: {_count(plan.runs, 'run')} = {_count(len(plan.durations), 'grid point')} x "
        f"{_count(plan.seeds, 'seed')} ({first}..{last}), "
        f"{each} ({plan.virtual_seconds / 3600:.4g} virtual hours in all); {plan.pending} to run"
        + (f", {kept} already in {plan.out}" if kept else "")
    ]
    return lines + [f"  grid: {axis.key} = {', '.join(axis.values)}" for axis in spec.grid]


def format_estimate(plan: SweepPlan, calibration: Calibration | None, workers: int | None) -> str | None:
    """The wall-time estimate (two lines); ``workers`` None means a Dask cluster of unknown size."""
    if calibration is None:
        return None
    todo = [(d, n) for d, n in zip(plan.durations, plan.pending_per_point, strict=True) if n]
    serial = sum(calibration.run_seconds(duration) * pending for duration, pending in todo)
    per_run = serial / plan.pending
    slice_text = f"{_duration(calibration.slice_s)} virtual of the first and last grid points"
    fault_end = max((end for end, n in zip(plan.last_fault_end, plan.pending_per_point, strict=False) if n), default=0)
    if fault_end > calibration.slice_s:
        how = (
            f"\n    (only an estimate, and may be low: scaled from {slice_text}, which stop before the fault ending at "
            f"{_duration(fault_end)} does; the recovery after it is not measured and can cost more)"
        )
    else:
        how = f"\n    (only an estimate, scaled from {slice_text}; a cascade late in a run can cost more)"
    if workers is None:
        return f"  estimate: about {_wall(serial)} of runs in all ({_wall(per_run)} a run), shared by the cluster{how}"
    parallel = min(workers, plan.pending)
    longest = max(calibration.run_seconds(duration) for duration, _ in todo)
    wall = max(serial / parallel, longest)
    plural = "s" if parallel > 1 else ""
    return f"  estimate: about {_wall(wall)} wall on {parallel} worker{plural} ({_wall(per_run)} a run){how}"
