"""Sampling the world in virtual time: the registry's feed and the run's own series.

In virtual mode nothing scrapes in real time, so a run records its own time
series, one snapshot every ``run.sample_interval_s`` *virtual* seconds, for
OpenMetrics export and plots; in a soak the same sampler keeps the exporter's
registry current.

Why a clock callback and not a sampling task: Trio shuffles each batch of
runnable tasks (seeded, in virtual mode), so one more task waking at the
same instants as the actors would reorder them and change the run's trace.
A callback on the clock's own timer heap runs inside the clock's driver,
wakes no task, and leaves the trace bit for bit as it is without the
recorder (``tests/test_recorder.py`` checks this).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Protocol

import trio

from metrics.factory import Metrics
from metrics.schema import Snapshot

if TYPE_CHECKING:
    from emulator.kernel.clock import Clock


class _RunConfig(Protocol):
    @property
    def sample_interval_s(self) -> float: ...


class _Config(Protocol):
    @property
    def run(self) -> _RunConfig: ...


class World(Protocol):
    """What the recorder needs of a world: its clock, config and snapshot."""

    @property
    def clock(self) -> Clock: ...

    @property
    def config(self) -> _Config: ...

    def metrics_snapshot(self) -> Snapshot: ...


__all__ = ["DEFAULT_MAX_SAMPLES", "Recorder", "Sample"]

Sample = tuple[float, Snapshot]

# 15 virtual hours at the default 60 s interval is 900 samples; this leaves
# room for week-long virtual runs while bounding memory (a few MB).
DEFAULT_MAX_SAMPLES = 20_000


class Recorder:
    """Takes snapshots at fixed virtual intervals; an observer for ``World.run``.

    ``keep`` bounds the history kept in memory (0: keep none, as a soak
    does, which only feeds the registry). The oldest samples go first.
    """

    def __init__(self, metrics: Metrics | None = None, *, keep: int = DEFAULT_MAX_SAMPLES) -> None:
        self.metrics = metrics
        self.samples: deque[Sample] = deque(maxlen=keep)
        self.taken = 0

    def sample(self, world: World) -> None:
        """Take one snapshot now; a second one at the same instant replaces the first."""
        now = world.clock.now()
        snapshot = world.metrics_snapshot()
        self.taken += 1
        if self.metrics is not None:
            self.metrics.update(snapshot)
        if self.samples.maxlen == 0:
            return
        if self.samples and self.samples[-1][0] == now:
            self.samples.pop()
        self.samples.append((now, snapshot))

    async def observe(self, world: World) -> None:
        """Sample at t=0 and every ``run.sample_interval_s``, and once more at the end."""
        clock = world.clock
        interval = world.config.run.sample_interval_s

        def tick() -> None:
            self.sample(world)
            clock.call_later(interval, tick)

        clock.call_at(clock.now(), tick)
        try:
            await trio.sleep_forever()
        finally:
            # The run ended (duration reached or World.stop()): record its final state.
            self.sample(world)
