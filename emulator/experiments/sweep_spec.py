"""What a sweep runs: the grid, the seeds, and each run as plain data.

A sweep is every point of a grid (the product of ``--grid KEY=V1,V2`` axes)
times every seed. Each run is a :class:`RunTask` of plain strings: it pickles
cheaply to a spawned process or a Dask worker, and is rebuilt there through
:func:`~emulator.config.loading.build_config` exactly the way ``outage-emulator run``
builds its config. That is what lets :func:`run_command` print a command that
replays any row bit for bit (same ``trace_hash``).

Everything a user can get wrong is checked by :func:`validate` before a single
run starts, so a typo in the last grid value cannot waste an hour of runs.
"""

from __future__ import annotations

import itertools
import re
import shlex
from typing import Any

import attrs

from emulator.config.loading import LEAF_TYPES, ConfigError, build_config, parse_fault
from emulator.kernel.clock import VirtualClock
from emulator.kernel.durations import parse_duration

__all__ = [
    "EXECUTORS",
    "FIXED_COLUMNS",
    "GRID_FAULT",
    "GridAxis",
    "RunTask",
    "SweepError",
    "SweepSpec",
    "parse_grid",
    "parse_seeds",
    "run_command",
    "validate",
]

PROG = "outage-emulator"
# Where a sweep's runs go: here in processes, or on a Dask cluster. (Here, not in the
# sweep module, so that building the command line needs neither the pool nor Dask.)
EXECUTORS = ("local", "dask")
# The special grid key whose values are whole fault strings, so trigger
# durations can be swept: ``--grid fault=empty_record:10m:30m,empty_record:10m:2h``.
GRID_FAULT = "fault"
# Columns of every row besides the grid values and the outcomes.
FIXED_COLUMNS = ("seed", "status", "trace_hash", "error")


class SweepError(Exception):
    """The sweep machinery itself broke (not one run): finished rows are kept."""


_SEEDS = re.compile(r"^\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?$")


@attrs.frozen
class GridAxis:
    """One ``--grid KEY=V1,V2,...``: values are kept as typed, for the CSV and resume keys.

    An axis with ``expands`` is *named*: its key is a column, not a config key,
    and each value stands for several overrides at once (``compare``'s variants:
    ``race-fix`` is ``dns.race_fix=true``). The rest of the machinery (resume,
    executors, summary) treats it as any other axis.
    """

    key: str
    values: tuple[str, ...]
    expands: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    def overrides(self, value: str) -> tuple[tuple[str, str], ...]:
        """The ``--set`` pairs that one value of this axis stands for."""
        if not self.expands:
            return ((self.key, value),)
        return dict(self.expands)[value]


@attrs.frozen
class RunTask:
    """One run: everything ``outage-emulator run`` would need, as strings."""

    scenario: str
    sets: tuple[tuple[str, str], ...]
    faults: tuple[str, ...]
    point: tuple[tuple[str, str], ...]
    seed: int

    @property
    def key(self) -> tuple[tuple[str, ...], int]:
        """Identifies the run within its sweep (grid values + seed); used to resume."""
        return tuple(value for _, value in self.point), self.seed


@attrs.frozen
class SweepSpec:
    """A whole sweep: the base world, the grid and the seeds (inclusive)."""

    scenario: str
    sets: tuple[tuple[str, str], ...]
    faults: tuple[str, ...]
    grid: tuple[GridAxis, ...]
    seeds: tuple[int, int]
    duration: str | None = None

    @property
    def grid_keys(self) -> tuple[str, ...]:
        return tuple(axis.key for axis in self.grid)

    def points(self) -> list[tuple[str, ...]]:
        """Every grid point, first axis slowest, in the order the user typed values."""
        return list(itertools.product(*(axis.values for axis in self.grid)))

    def task(self, point: tuple[str, ...], seed: int) -> RunTask:
        """The run of one grid point and seed.

        Override order matches ``outage-emulator run``: scenario, base ``--set``
        pairs, the duration, then the grid's own pairs (so a grid on
        ``run.duration_s`` wins); grid faults come after the base faults.
        """
        sets = list(self.sets)
        if self.duration is not None:
            sets.append(("run.duration_s", self.duration))
        faults = list(self.faults)
        for axis, value in zip(self.grid, point, strict=True):
            if axis.key == GRID_FAULT and not axis.expands:
                faults.append(value)
            else:
                sets.extend(axis.overrides(value))
        return RunTask(
            scenario=self.scenario,
            sets=tuple(sets),
            faults=tuple(faults),
            point=tuple(zip(self.grid_keys, point, strict=True)),
            seed=seed,
        )

    def tasks(self) -> list[RunTask]:
        """Every run, grid point by grid point, seeds innermost."""
        first, last = self.seeds
        return [self.task(point, seed) for point in self.points() for seed in range(first, last + 1)]

    def to_json(self) -> dict[str, Any]:
        """The parameters that define the results, as stored beside them to guard resumes."""
        params: dict[str, Any] = {
            "scenario": self.scenario,
            "sets": [list(pair) for pair in self.sets],
            "faults": list(self.faults),
            "grid": [[axis.key, list(axis.values)] for axis in self.grid],
            "seeds": list(self.seeds),
            "duration": self.duration,
        }
        # Only when used, so that the folders of plain sweeps still resume; a changed
        # meaning of a named value (a fix's keys) must refuse the old rows.
        expands = {axis.key: {v: [list(pair) for pair in o] for v, o in axis.expands} for axis in self.grid}
        if any(expands.values()):
            params["expands"] = {key: value for key, value in expands.items() if value}
        return params


def parse_grid(text: str, source: str = "--grid") -> GridAxis:
    """``KEY=V1,V2,...``; the values are checked later, by :func:`validate`."""
    key, sep, values_text = text.partition("=")
    key = key.strip()
    example = "e.g. dns.enactor.stall_probability=0.0001,0.001"
    if not sep or not key or not values_text.strip():
        raise ConfigError(f"invalid {source} {text!r}: expected KEY=V1,V2,... ({example})")
    values = tuple(value.strip() for value in values_text.split(","))
    if "" in values:
        raise ConfigError(f"invalid {source} {text!r}: empty value in the list ({example})")
    duplicates = sorted({value for value in values if values.count(value) > 1})
    if duplicates:
        raise ConfigError(f"invalid {source} {text!r}: value {duplicates[0]!r} given twice")
    return GridAxis(key=key, values=values)


def parse_seeds(text: str) -> tuple[int, int]:
    """``A..B`` (both included) or a single ``N``."""
    match = _SEEDS.match(text)
    if match is None:
        raise ConfigError(f"invalid --seeds {text!r}: expected A..B with whole numbers A <= B, e.g. 0..19")
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) is not None else first
    if last < first:
        raise ConfigError(f"invalid --seeds {text!r}: expected A..B with whole numbers A <= B, e.g. 0..19")
    return first, last


def _check_grid_values(spec: SweepSpec, axis: GridAxis, source: str) -> None:
    """Each value on its own, so the error names the grid rather than a merged config.

    A named axis is declared in code, not typed: its points are built below with the rest.
    """
    if axis.expands:
        return
    if axis.key == GRID_FAULT:
        for value in axis.values:
            parse_fault(value, f"{source} {GRID_FAULT}")
        return
    if axis.key not in LEAF_TYPES or axis.key == "faults":
        hint = f"; use `{GRID_FAULT}=KIND:AT:DURATION,...` to sweep faults" if axis.key == "faults" else ""
        raise ConfigError(f"invalid {source} {axis.key}: no such key; see `{PROG} keys`{hint}")
    for value in axis.values:
        try:
            build_config(spec.scenario, [(axis.key, value)])
        except ConfigError as exc:
            # build_config labels a pair "--set" (or, for a failed validator, not at
            # all); here the pair came from the grid, so say so.
            text = str(exc)
            text = (
                text.replace("(--set)", f"({source})", 1)
                if "(--set)" in text
                else text.replace(": ", f" ({source}): ", 1)
            )
            raise ConfigError(text) from None


def validate(spec: SweepSpec, source: str = "--grid") -> None:
    """Build every grid point's world config; raise :class:`ConfigError` on the first problem.

    Fault targets are only checked by the world itself, so a point whose
    faults name a target also builds (but does not run) its world.
    """
    keys = spec.grid_keys
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ConfigError(f"invalid {source} {repeated[0]}: the same key is given twice; list all values in one")
    if spec.duration is not None:
        try:
            seconds = parse_duration(spec.duration)
        except ValueError:
            raise ConfigError(f"invalid --duration {spec.duration!r}: expected e.g. 90s, 10m, 2h") from None
        if seconds <= 0:
            raise ConfigError(f"invalid --duration {spec.duration!r}: must be > 0")
    for axis in spec.grid:
        _check_grid_values(spec, axis, source)
    from emulator.world.world import World  # the world module pulls in every actor: only when needed

    for point in spec.points():
        task = spec.task(point, spec.seeds[0])
        _, config = build_config(task.scenario, task.sets, task.faults)
        if any(fault.target for fault in config.faults):
            World(config, task.seed, VirtualClock())


def run_command(task: RunTask) -> str:
    """The ``outage-emulator run`` command line that replays ``task`` exactly."""
    argv = [PROG, "run", "--scenario", task.scenario, "--seed", str(task.seed)]
    for key, value in task.sets:
        argv += ["--set", f"{key}={value}"]
    for fault in task.faults:
        argv += ["--fault", fault]
    return shlex.join(argv)
