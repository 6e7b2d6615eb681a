"""Virtual time that follows the wall clock: soak runs with live dashboards.

It shares the timer heap of :class:`~emulator.kernel.clock.Clock` and differs
from the virtual clock only in how its driver waits: on Trio's real clock,
``speed`` virtual seconds per wall second.
"""

from __future__ import annotations

import trio

from emulator.kernel.clock import Clock

__all__ = ["RealtimeClock"]


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
        scope, deadline = self._wake_scope, self._head_deadline()
        if scope is not None and deadline is not None and self._real_origin is not None:
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
