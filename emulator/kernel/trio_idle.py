"""Where the virtual clock meets Trio's run loop: its idle moments and its run queue.

:class:`~emulator.kernel.clock.VirtualClock` jumps to the next instant when
Trio finds nothing runnable. It learns of that moment from the Trio clock
here, and after firing an instant's callbacks it asks whether they made any
task runnable, through the run queue read here.
"""

from __future__ import annotations

import time
from collections.abc import Sized
from typing import Protocol

import trio

__all__ = ["IdleJumpingClock", "run_queue_of_this_run"]


class _JumpsWhenIdle(Protocol):
    def jump_if_idle(self) -> bool: ...


def run_queue_of_this_run() -> Sized | None:
    """Trio's run queue, whose length is ``current_statistics().tasks_runnable``; None if it moved.

    Asking ``current_statistics`` builds the whole statistics record, I/O
    backend's included: about 5 µs, against 0.2 µs for the length, and the
    idle check asks after every instant whose callbacks answered a request
    (each Route 53 commit). The one Trio internal besides the scheduler's
    generator (:mod:`emulator.kernel.determinism`); ``tests/test_clock.py``
    fails loudly if an upgrade moves it, and without it the clock falls back
    to the public call.
    """
    runner = getattr(getattr(trio._core._run, "GLOBAL_RUN_CONTEXT", None), "runner", None)
    queue = getattr(runner, "runq", None)
    return queue if isinstance(queue, Sized) else None


class IdleJumpingClock(trio.abc.Clock):
    """Trio's clock for a virtual run: real time, and a hook into Trio's idle moments.

    Trio asks its clock how long it may sleep only when no task is runnable;
    that is exactly when the virtual clock may jump, so it jumps there and
    Trio does not sleep (the woken tasks run in the very next batch).
    """

    def __init__(self, virtual: _JumpsWhenIdle) -> None:
        self.virtual = virtual

    def start_clock(self) -> None:
        pass

    def current_time(self) -> float:
        return time.perf_counter()

    def deadline_to_sleep_time(self, deadline: float) -> float:
        if self.virtual.jump_if_idle():
            return 0.0
        return deadline - time.perf_counter()
