"""The sweep's one-worker executor: one run after another in this process.

A stop signal (Ctrl-C, SIGTERM, SIGHUP) that arrives during a run is taken
by the run's own Trio loop, as ``run`` takes it: the world is asked to
stop, the unfinished run is not kept, and the signal is raised again once
the world has unwound, so the sweep stops as it does between runs. A
Python signal handler that raised inside Trio's scheduler instead could
surface as an internal error, and the run would be kept as a failed row.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import trio

from emulator.experiments.sweep_row import execute_run
from emulator.experiments.sweep_spec import RunTask

if TYPE_CHECKING:
    from emulator.world.world import World

__all__ = ["InlineExecutor"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _StopOnSignal:
    """A world observer: the first stop signal stops the world and is remembered."""

    def __init__(self) -> None:
        self.received: int | None = None

    async def observe(self, world: World) -> None:
        with trio.open_signal_receiver(*STOP_SIGNALS) as signals:
            async for signum in signals:
                self.received = signum
                world.stop()
                return


class InlineExecutor:
    """One run after another in this process."""

    def results(self, tasks: Sequence[RunTask]) -> Iterator[dict[str, Any]]:
        for task in tasks:
            stop = _StopOnSignal()
            try:
                row = execute_run(task, observers=(stop.observe,))
            except BaseExceptionGroup as group:
                # A KeyboardInterrupt that still got into the run's Trio loop arrives
                # wrapped in its nurseries' groups: unwrap it, so the sweep stops.
                if group.subgroup(KeyboardInterrupt) is not None:
                    raise KeyboardInterrupt from None
                raise
            if stop.received is not None:
                # The run's own receiver is closed and the sweep's handlers are back:
                # let them see the signal, between runs, where a stop is clean.
                signal.raise_signal(stop.received)
                raise KeyboardInterrupt  # a handler that did not raise: stop all the same
            yield row

    def close(self, abort: bool) -> None:
        pass
