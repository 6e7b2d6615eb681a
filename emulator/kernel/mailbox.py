"""Slim channels for the hot paths: one-shot replies and single-reader inboxes.

Actors talk over Trio memory channels where messages are few. Two kinds of
traffic are too numerous for them:

* **Replies.** Every request that expects an answer carries a :class:`Reply`,
  a one-shot channel built on the same park/reschedule primitive as
  ``trio.Event``. The requester owns the timeout: :meth:`Reply.wait_until`
  gives up at a virtual deadline on the emulator's clock, and from then on
  :meth:`Reply.send` returns False, which is how a worker learns, *after*
  doing the work, that its requester had already given up (wasted work).
* **Inboxes of droplets.** A Trio memory channel pair costs about 1.8 KB
  here; a million droplet actors each with one would need 1.8 GB. An
  :class:`Inbox` is a FIFO with one reader, about 100 bytes when empty.

Both are channels in the CSP sense (send never blocks, receive parks the
reader until a message arrives); neither exposes its reader's state.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import trio
from trio.lowlevel import Abort, Task, current_task, reschedule, wait_task_rescheduled

if TYPE_CHECKING:
    from emulator.kernel.clock import Clock

__all__ = ["Inbox", "Reply"]

T = TypeVar("T")

_EMPTY = object()


class Reply(Generic[T]):
    """A one-shot reply channel: one :meth:`send`, one waiter."""

    __slots__ = ("_abandoned", "_task", "_value")

    def __init__(self) -> None:
        self._value: object = _EMPTY
        self._task: Task | None = None
        self._abandoned = False

    @property
    def abandoned(self) -> bool:
        """True once the requester stopped waiting (timed out or was cancelled)."""
        return self._abandoned

    def send(self, value: T) -> bool:
        """Deliver the answer; False if the requester gave up or was already answered."""
        if self._abandoned or self._value is not _EMPTY:
            return False
        self._value = value
        task = self._task
        if task is not None:
            self._task = None
            reschedule(task)
        return True

    async def wait(self) -> T:
        """Park until the answer arrives."""
        if self._value is _EMPTY:
            self._task = current_task()

            def abort(_: object) -> Abort:
                self._task = None
                self._abandoned = True
                return Abort.SUCCEEDED

            await wait_task_rescheduled(abort)
        else:
            await trio.lowlevel.checkpoint()
        return self._value  # type: ignore[return-value]

    async def wait_until(self, clock: Clock, deadline: float) -> T | None:
        """The answer, or None if virtual time reaches ``deadline`` first.

        A timer on the clock's own heap, not a cancel scope: a droplet's
        timeout is the hot path of DWFM's collapse.
        """
        if self._value is not _EMPTY:
            await trio.lowlevel.checkpoint()
            return self._value  # type: ignore[return-value]
        if deadline <= clock.now():
            self._abandoned = True
            await trio.lowlevel.checkpoint()
            return None
        timer = clock.call_at(deadline, self._expire)
        self._task = current_task()

        def abort(_: object) -> Abort:
            self._task = None
            self._abandoned = True
            timer.cancel()
            return Abort.SUCCEEDED

        await wait_task_rescheduled(abort)
        timer.cancel()
        return None if self._abandoned else self._value  # type: ignore[return-value]

    def _expire(self) -> None:
        task = self._task
        if task is not None and self._value is _EMPTY:
            self._task = None
            self._abandoned = True
            reschedule(task)


class Inbox(Generic[T]):
    """An unbounded FIFO channel with a single reader; send never blocks."""

    __slots__ = ("_closed", "_messages", "_reader")

    def __init__(self) -> None:
        self._messages: deque[T] | None = None
        self._reader: Task | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called: the reader should return."""
        return self._closed

    def close(self) -> None:
        """No more messages: wake a parked reader, which finds :attr:`closed` set.

        How a run's end stops a million parked droplets. Cancelling them
        costs far more: each task then ends with an error that its nursery
        formats twice (``repr`` of the task and of the ``Cancelled``) and keeps
        until the nursery closes. Woken, each returns normally.
        """
        self._closed = True
        reader = self._reader
        if reader is not None:
            self._reader = None
            reschedule(reader)

    def __len__(self) -> int:
        return len(self._messages) if self._messages else 0

    def send_nowait(self, message: T) -> None:
        if self._messages is None:
            self._messages = deque()
        self._messages.append(message)
        reader = self._reader
        if reader is not None:
            self._reader = None
            reschedule(reader)

    def receive_nowait(self) -> T:
        if not self._messages:
            raise trio.WouldBlock
        message = self._messages.popleft()
        if not self._messages:
            self._messages = None  # an idle droplet keeps no deque
        return message

    async def receive(self) -> T:
        await self.wait()
        return self.receive_nowait()

    def wait(self) -> Coroutine[Any, Any, object]:
        """Park the reader until a message is waiting; take it with :meth:`receive_nowait`.

        A plain function handing back Trio's own awaitable, so a parked reader
        holds no coroutine frame of this class: a million idle droplets each
        save one. A bound method, not a closure, is the abort callback, for
        the same reason.
        """
        if self._messages or self._closed:
            return trio.lowlevel.cancel_shielded_checkpoint()
        self._reader = current_task()
        return wait_task_rescheduled(self._abort_receive)

    def _abort_receive(self, _: object) -> Abort:
        self._reader = None
        return Abort.SUCCEEDED
