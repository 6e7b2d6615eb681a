"""Running one world to completion and turning it into a report.

The only place that chooses the clock and calls ``trio.run``; the CLI, the
benchmarks, the tests and the sweeps all come through here, so they all run
exactly the same world for the same seed and config.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import attrs
import trio

from emulator.config.tree import Config
from emulator.kernel.clock import Clock, VirtualClock
from emulator.kernel.collector import collector_for_a_run
from emulator.kernel.realtime_clock import RealtimeClock
from emulator.world.crash import crashed_actor, innermost_error
from emulator.world.invariants import InvariantViolated
from emulator.world.report import build_report
from emulator.world.world import Observer, World

__all__ = ["RunFailed", "RunResult", "make_clock", "run_world"]


@attrs.frozen
class RunResult:
    report: dict[str, Any]
    world: World


class RunFailed(Exception):
    """An actor crashed or an invariant broke; ``partial`` holds the report as far as it got.

    ``replay_until`` is the virtual time of the failure: a replay of the same
    config and seed to just past it reproduces it.
    """

    def __init__(self, message: str, partial: dict[str, Any], *, replay_until: float | None = None) -> None:
        super().__init__(message)
        self.partial = partial
        self.replay_until = replay_until


def make_clock(mode: str = "virtual", speed: float = 60.0) -> Clock:
    if mode == "virtual":
        return VirtualClock()
    if mode == "realtime":
        return RealtimeClock(speed=speed)
    raise ValueError(f"unknown clock mode {mode!r}")


def run_world(
    config: Config,
    *,
    seed: int = 0,
    scenario: str = "custom",
    clock_mode: str = "virtual",
    speed: float = 60.0,
    observers: Sequence[Observer] = (),
) -> RunResult:
    """Build and run one world; raise :class:`RunFailed` with a partial report."""
    with collector_for_a_run() as world_started:
        world = World(config, seed, make_clock(clock_mode, speed))
        # Due at once: it fires at the first moment no task can run, when the actors
        # have taken their first steps, and freezes the built world (emulator.kernel.collector).
        world.clock.call_at(world.clock.now(), world_started)
        return _run(world, seed=seed, scenario=scenario, observers=observers)


def _run(world: World, *, seed: int, scenario: str, observers: Sequence[Observer]) -> RunResult:
    started = time.perf_counter()
    try:
        clock = world.clock
        trio.run(world.run, observers, clock=clock.trio_clock() if isinstance(clock, VirtualClock) else None)
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        error = innermost_error(exc)
        wall = time.perf_counter() - started
        if isinstance(error, InvariantViolated):
            message = f"{error} (seed {seed})"
            partial = build_report(world, scenario=scenario, wall_seconds=wall, error=message)
            partial["violated_invariant"] = {"name": error.name, "at": error.at, "detail": error.detail}
            raise RunFailed(message, partial, replay_until=error.at) from exc
        actor = crashed_actor(exc) or "the runtime"
        message = f"{actor} crashed at virtual time {world.clock.now():.3f} s (seed {seed}): {error!r}"
        partial = build_report(world, scenario=scenario, wall_seconds=wall, error=message)
        partial["crashed_actor"] = actor
        raise RunFailed(f"internal error: {message}", partial, replay_until=world.clock.now()) from exc
    report = build_report(world, scenario=scenario, wall_seconds=time.perf_counter() - started)
    return RunResult(report=report, world=world)
