"""Stopping a run by signal: Ctrl-C, SIGTERM or SIGHUP end it cleanly, report and all.

Without this, Trio turns Ctrl-C into a ``KeyboardInterrupt`` wrapped in
exception groups (a 30-line traceback and no report), and SIGTERM or SIGHUP
kill the process silently. :class:`SignalStop` is an observer of the world:
the first signal calls ``World.stop()``, so the actors are cancelled with
their state kept and the partial report is built as for a finished run.
:func:`ignoring_signals` then keeps a second signal from losing the report
while it is written. A sweep's loop is no Trio world: :func:`interrupting_signals`
turns the first stop signal into ``KeyboardInterrupt`` there, as Ctrl-C is,
and remembers which signal it was, so SIGTERM exits 143 with its rows kept.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from emulator.world.world import World

__all__ = ["STOP_SIGNALS", "SignalStop", "exit_status", "ignoring_signals", "interrupting_signals"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def exit_status(signum: int) -> int:
    """The shell's convention: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM)."""
    return 128 + signum


class SignalStop:
    """An observer that stops the world at the first stop signal and remembers which.

    From that signal until :meth:`restore`, further stop signals are ignored:
    the world's tasks unwinding (seconds, for a large fleet) and the report
    being written must not be cut short by an impatient second Ctrl-C.
    """

    def __init__(self) -> None:
        self.received: signal.Signals | None = None
        self._previous: dict[int, object] = {}

    async def observe(self, world: World) -> None:
        try:
            with trio.open_signal_receiver(*STOP_SIGNALS) as signals:
                async for signum in signals:
                    self.received = signal.Signals(signum)
                    world.stop()
                    return
        finally:
            if self.received is not None:
                self._previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in STOP_SIGNALS}

    def restore(self) -> None:
        """Put back the handlers that were there before the stop signal."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous = {}


@contextlib.contextmanager
def ignoring_signals() -> Iterator[None]:
    """While outputs are written after a stop: a second signal must not lose them."""
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class Received:
    """Which stop signal arrived, if any."""

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None


@contextlib.contextmanager
def interrupting_signals() -> Iterator[Received]:
    """While the block runs, the first stop signal raises ``KeyboardInterrupt``; later ones are ignored.

    Ignoring the later ones keeps a second Ctrl-C or SIGTERM from cutting
    short the clean stop (workers terminated, the folder closed) that the
    first one started.
    """
    received = Received()

    def interrupt(signum: int, _: FrameType | None) -> None:
        received.signal = signal.Signals(signum)
        for other in STOP_SIGNALS:
            signal.signal(other, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, interrupt) for signum in STOP_SIGNALS}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
