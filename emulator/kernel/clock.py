"""The emulator's clock: the only way any actor reads time, sleeps or times out.

Why a clock of our own instead of ``trio.sleep`` under ``MockClock``: every
``trio.sleep`` is a cancel scope plus a cancellation, about 80 µs per wake-up
here, and the droplets of the EC2 cascade are thousands of periodic timers.
This clock parks sleeping tasks on its own binary heap with
``wait_task_rescheduled`` and a single *driver* task wakes every task that is
due at the same instant in one batch.

Two modes share the heap and differ only in how the driver waits:

* :class:`VirtualClock` jumps straight to the next deadline as soon as every
  task in the run is blocked, so a run goes as fast as the CPU allows and is
  reproducible. Run under ``trio.run(..., clock=virtual.trio_clock())``, it
  learns that the run is idle from Trio's own loop and wakes the next
  instant's tasks right there, without a scheduler round for a driver task
  (that round was a quarter of a healthy run's rounds). Without that clock,
  e.g. in a test's own ``trio.run``, its driver task waits for idle with
  ``wait_all_tasks_blocked`` instead.
* :class:`~emulator.kernel.realtime_clock.RealtimeClock` waits on Trio's
  real clock, ``speed`` virtual seconds per wall second, for soak runs with
  live dashboards.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator, Sized
from contextlib import contextmanager

import outcome
import trio
from trio.lowlevel import Abort, Task, current_task, reschedule, wait_task_rescheduled

from emulator.kernel.trio_idle import IdleJumpingClock, run_queue_of_this_run

__all__ = ["Clock", "TimerHandle", "VirtualClock", "wait_until_idle"]

# Heap entry layout, a list for speed: [deadline, seq, task, callback, alive, args].
_DEADLINE, _SEQ, _TASK, _CALLBACK, _ALIVE, _ARGS = range(6)
_NO_ARGS: tuple[object, ...] = ()
# Instants whose callbacks woke no task that one idle moment may run through (see jump_if_idle).
_JUMPS_PER_IDLE_MOMENT = 64


async def wait_until_idle() -> None:
    """Trio's ``wait_all_tasks_blocked``, imported when first needed.

    ``trio.testing`` imports pytest when it is installed (for its RaisesGroup):
    about a tenth of a second of every process's start-up, for a wait that a
    command-line run in virtual time never makes.
    """
    from trio.testing import wait_all_tasks_blocked

    await wait_all_tasks_blocked()


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
        await wait_task_rescheduled(self._park(deadline))

    def _park(self, deadline: float) -> Callable[[object], Abort]:
        """Put the calling task on the heap until ``deadline``; returns the abort that takes it off."""
        entry: list[object] = [float(deadline), next(self._seq), current_task(), None, True, _NO_ARGS]
        self._push(entry)

        def abort(_: object) -> Abort:
            entry[_ALIVE] = False
            return Abort.SUCCEEDED

        return abort

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

    def _head_deadline(self) -> float | None:
        """The heap's first deadline, even a cancelled one's (no pops: for a quick bound)."""
        if not self._heap:
            return None
        deadline = self._heap[0][_DEADLINE]
        assert isinstance(deadline, float)
        return deadline

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
            # (No isinstance checks: this loop runs for every wake-up of the run.)
            if task is not None:
                reschedule(task)  # type: ignore[arg-type]
                self.wakeups += 1
            else:
                entry[_CALLBACK](*entry[_ARGS])  # type: ignore[misc,operator]
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
        # The driver task while Trio's loop hands this clock its idle moments (see trio_clock).
        self._hooked_driver: Task | None = None
        # Trio's queue of runnable tasks while hooked (see run_queue_of_this_run), else None.
        self._run_queue: Sized | None = None

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        """:meth:`Clock.sleep` with :meth:`~Clock.sleep_until` written out: one coroutine, not two.

        The most frequent call of a run (every periodic actor's tick); it parks
        exactly as sleep_until does (:meth:`~Clock._park`).
        """
        deadline = self._now + seconds
        if deadline <= self._now:
            await trio.lowlevel.checkpoint()
            return
        await wait_task_rescheduled(self._park(deadline))

    def trio_clock(self) -> trio.abc.Clock:
        """The clock to give ``trio.run``: it tells this one whenever the run is idle."""
        return IdleJumpingClock(self)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The driver: wait until every task is blocked, then jump and wake.

        Under its own Trio clock (:meth:`trio_clock`) Trio's idle moments drive
        time instead, and this task only stands by for a callback's error.
        """
        task_status.started()
        trio_clock = trio.lowlevel.current_clock()
        if isinstance(trio_clock, IdleJumpingClock) and trio_clock.virtual is self:
            await self._stand_by_while_trio_jumps()
            return
        while True:
            await wait_until_idle()
            deadline = self._next_deadline()
            if deadline is None:
                await self._wait_for_timers()
                continue
            self._jump_to(deadline)

    def _jump_to(self, deadline: float) -> None:
        if deadline > self._now:
            self._now = deadline
        self._fire_due(self._now)

    async def _stand_by_while_trio_jumps(self) -> None:
        """Park until cancelled, or until a timer's callback raised: then raise it here.

        The callbacks run inside Trio's loop, where an exception would be Trio's
        internal error; handed to this task, it fails the run like any actor's.
        """
        self._hooked_driver = current_task()
        self._run_queue = run_queue_of_this_run()

        def abort(_: object) -> Abort:
            self._hooked_driver = None  # the run is over: time stands still
            return Abort.SUCCEEDED

        await wait_task_rescheduled(abort)

    def jump_if_idle(self) -> bool:
        """Trio found nothing runnable: move to the next instant; False if there is none."""
        jumped = False
        # A bound on the instants taken at once: Trio polls for I/O (a Ctrl-C) between idle moments.
        for _ in range(_JUMPS_PER_IDLE_MOMENT):
            if self._hooked_driver is None:
                break
            deadline = self._next_deadline()
            if deadline is None:
                return jumped
            woken = self.wakeups
            try:
                self._jump_to(deadline)
            except BaseException as error:  # every error goes to the driver: none is lost
                driver, self._hooked_driver = self._hooked_driver, None
                reschedule(driver, outcome.Error(error))
                return True
            jumped = True
            # Only callbacks fired: if they woke nobody either (a timer that only counts), the run
            # is still idle, so on to the next instant. (Asking Trio costs more than the counter.)
            if self.wakeups != woken or self._tasks_runnable():
                return True
        return jumped

    def _tasks_runnable(self) -> int:
        queue = self._run_queue
        return len(queue) if queue is not None else trio.lowlevel.current_statistics().tasks_runnable
