"""The emulator's clock: the only way any actor reads time, sleeps or times out.

Why a clock of our own instead of ``trio.sleep`` under ``MockClock``: every
``trio.sleep`` is a cancel scope plus a cancellation, about 80 µs per wake-up
here, and the droplets of the EC2 cascade are thousands of periodic timers.
This clock parks sleeping tasks on its own binary heap with
``wait_task_rescheduled`` and a single *driver* task wakes every task that is
due at the same instant in one batch.

Two modes share the heap and differ only in how the driver waits:

* :class:`VirtualClock` jumps straight to the next deadline as soon as every
  task in the run is blocked (``wait_all_tasks_blocked``), so a run goes as
  fast as the CPU allows and is reproducible.
* :class:`RealtimeClock` waits on Trio's real clock, ``speed`` virtual
  seconds per wall second, for soak runs with live dashboards.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import trio
import trio.testing
from trio.lowlevel import Abort, Task, current_task, reschedule, wait_task_rescheduled

__all__ = ["Clock", "RealtimeClock", "TimerHandle", "VirtualClock"]

# Heap entry layout, a list for speed: [deadline, seq, task, callback, alive, args].
_DEADLINE, _SEQ, _TASK, _CALLBACK, _ALIVE, _ARGS = range(6)
_NO_ARGS: tuple[object, ...] = ()


class TimerHandle:
    """A scheduled callback that can be cancelled before it fires."""

    __slots__ = ("_entry",)

    def __init__(self, entry: list[object]) -> None:
        self._entry = entry

    def cancel(self) -> None:
        self._entry[_ALIVE] = False

    @property
    def deadline(self) -> float:
        deadline = self._entry[_DEADLINE]
        assert isinstance(deadline, float)
        return deadline


class Clock:
    """The shared timer heap; subclasses supply ``now`` and the driver loop."""

    def __init__(self) -> None:
        self._heap: list[list[object]] = []
        self._seq = itertools.count()
        self._pushed = trio.Event()
        self.wakeups = 0
        self.callbacks = 0

    # -- reading time ---------------------------------------------------
    def now(self) -> float:
        raise NotImplementedError

    # -- sleeping -------------------------------------------------------
    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self.now() + seconds)

    async def sleep_until(self, deadline: float) -> None:
        """Park the calling task until virtual time reaches ``deadline``."""
        if deadline <= self.now():
            await trio.lowlevel.checkpoint()
            return
        entry: list[object] = [float(deadline), next(self._seq), current_task(), None, True, _NO_ARGS]
        self._push(entry)

        def abort(_: object) -> Abort:
            entry[_ALIVE] = False
            return Abort.SUCCEEDED

        await wait_task_rescheduled(abort)

    async def sleep_forever(self) -> None:
        await trio.sleep_forever()

    # -- callbacks and timeouts -------------------------------------------
    def call_at(self, deadline: float, callback: Callable[..., object], *args: object) -> TimerHandle:
        """Run ``callback(*args)`` (not async) when time reaches ``deadline``.

        Passing ``args`` instead of a closure keeps a timer per droplet small.
        """
        entry: list[object] = [float(deadline), next(self._seq), None, callback, True, args]
        self._push(entry)
        return TimerHandle(entry)

    def call_later(self, seconds: float, callback: Callable[..., object], *args: object) -> TimerHandle:
        return self.call_at(self.now() + seconds, callback, *args)

    @contextmanager
    def move_on_after(self, seconds: float) -> Iterator[trio.CancelScope]:
        """Like ``trio.move_on_after`` but in this clock's time."""
        with trio.CancelScope() as scope:
            handle = self.call_later(seconds, scope.cancel)
            try:
                yield scope
            finally:
                handle.cancel()

    # -- the heap --------------------------------------------------------
    def _push(self, entry: list[object]) -> None:
        heap = self._heap
        heapq.heappush(heap, entry)
        if heap[0] is entry:
            self._earliest_changed()

    def _earliest_changed(self) -> None:
        if not self._pushed.is_set():
            self._pushed.set()

    def _next_deadline(self) -> float | None:
        heap = self._heap
        while heap and not heap[0][_ALIVE]:
            heapq.heappop(heap)
        if not heap:
            return None
        deadline = heap[0][_DEADLINE]
        assert isinstance(deadline, float)
        return deadline

    def _fire_due(self, now: float) -> None:
        """Wake every task and run every callback due at or before ``now``."""
        heap = self._heap
        pop = heapq.heappop
        while heap and heap[0][_DEADLINE] <= now:  # type: ignore[operator]
            entry = pop(heap)
            if not entry[_ALIVE]:
                continue
            entry[_ALIVE] = False
            task = entry[_TASK]
            if task is not None:
                assert isinstance(task, Task)
                reschedule(task)
                self.wakeups += 1
            else:
                callback = entry[_CALLBACK]
                assert callable(callback)
                callback(*entry[_ARGS])  # type: ignore[misc]
                self.callbacks += 1

    async def _wait_for_timers(self) -> None:
        self._pushed = trio.Event()
        await self._pushed.wait()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        raise NotImplementedError


class VirtualClock(Clock):
    """Virtual time that jumps to the next deadline whenever the run is idle."""

    def __init__(self, start: float = 0.0) -> None:
        super().__init__()
        self._now = float(start)

    def now(self) -> float:
        return self._now

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The driver: wait until every task is blocked, then jump and wake."""
        task_status.started()
        while True:
            await trio.testing.wait_all_tasks_blocked()
            deadline = self._next_deadline()
            if deadline is None:
                await self._wait_for_timers()
                continue
            if deadline > self._now:
                self._now = deadline
            self._fire_due(self._now)


class RealtimeClock(Clock):
    """Virtual time that follows the wall clock, ``speed`` times faster."""

    def __init__(self, speed: float = 1.0, start: float = 0.0) -> None:
        super().__init__()
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.speed = float(speed)
        self._virtual_origin = float(start)
        self._real_origin: float | None = None
        self._begun = trio.Event()
        self._wake_scope: trio.CancelScope | None = None
        # How far behind its timers the world fell (virtual seconds): a world
        # too big for its speed cannot keep up, and the user must be told.
        self.max_lag_s = 0.0

    def now(self) -> float:
        if self._real_origin is None:
            return self._virtual_origin
        return self._virtual_origin + (trio.current_time() - self._real_origin) * self.speed

    def _real_time_of(self, deadline: float) -> float:
        assert self._real_origin is not None
        return self._real_origin + (deadline - self._virtual_origin) / self.speed

    def _earliest_changed(self) -> None:
        super()._earliest_changed()
        scope = self._wake_scope
        if scope is not None and self._heap and self._real_origin is not None:
            deadline = self._heap[0][_DEADLINE]
            assert isinstance(deadline, float)
            scope.deadline = min(scope.deadline, self._real_time_of(deadline))

    def begin(self) -> None:
        """Let time flow from now on.

        Until then it stands at its start, so that building the world (tens of
        thousands of tasks taking their first step) costs no virtual time: at
        a high ``speed`` it would otherwise eat the first minutes of the run.
        """
        if not self._begun.is_set():
            self._real_origin = trio.current_time()
            self._begun.set()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        await self._begun.wait()
        try:
            while True:
                deadline = self._next_deadline()
                if deadline is None:
                    await self._wait_for_timers()
                    continue
                with trio.CancelScope(deadline=self._real_time_of(deadline)) as scope:
                    self._wake_scope = scope
                    await trio.sleep_forever()
                self._wake_scope = None
                now = self.now()
                self.max_lag_s = max(self.max_lag_s, now - deadline)
                self._fire_due(now)
        finally:
            # Freeze time where the run stopped: the report is built after
            # trio.run has returned, where Trio's clock can no longer be read.
            self.freeze(self.now())

    def freeze(self, at: float) -> None:
        """Stop time at ``at``: the run is over, and its tear-down takes no virtual time."""
        if self._real_origin is not None:
            self._virtual_origin, self._real_origin = at, None
