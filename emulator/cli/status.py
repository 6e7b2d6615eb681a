"""The soak's one-line status: virtual time, open phases and the report's figures so far.

On a terminal the line is redrawn in place (carriage return, erase line),
fitted to the terminal's width as it is now (a resize is followed at the next
redraw), and log lines written meanwhile first erase it so they never run into
it; when output is piped each status is a plain line, in full, so a log file
reads as a history. Which figures, and why they are the report's, is
:mod:`emulator.cli.status_fields`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from emulator.cli.output import stream_to_devnull
from emulator.cli.status_fields import format_status, status_figures

if TYPE_CHECKING:
    from emulator.world.world import Observer, World

__all__ = ["ClearingStream", "StatusLine", "format_status", "status_figures", "terminal_columns"]

_ERASE = "\r\x1b[2K"


def terminal_columns() -> int:
    return shutil.get_terminal_size().columns


class StatusLine:
    """Prints statuses live (terminal) or as plain lines (pipe)."""

    def __init__(self, stream: TextIO, *, live: bool, columns: Callable[[], int] = terminal_columns) -> None:
        self.stream = stream
        self.live = live
        self._columns = columns
        self._shown = False
        self.reader_gone = False  # the pipe's reader closed it (| head): the soak ends quietly

    def write_through(self, text: str, stream: TextIO | None = None) -> int:
        """Write and flush; when the reader has gone, send everything after to /dev/null.

        A closed pipe must not crash the world from inside an actor's log line
        or this status line: from then on stdout is /dev/null (as ``main`` does
        for ``run``), and the observer stops the world.
        """
        stream = stream or self.stream
        try:
            written = stream.write(text)
            stream.flush()
        except BrokenPipeError:
            self.reader_gone = True
            stream_to_devnull(stream)
            return len(text)
        return written

    def width(self, prefix: str = "") -> int | None:
        """Room for a status after ``prefix``: None when piped (no limit).

        One column short of the terminal: a line that fills the last column
        leaves some terminals' cursor on the next row, and the redraw wraps.
        """
        return self._columns() - 1 - len(prefix) if self.live else None

    def show(self, text: str) -> None:
        if self.live:
            self.write_through(_ERASE + text)
            self._shown = True
        else:
            self.write_through(text + "\n")

    def clear(self) -> None:
        """Erase a live line (before someone else writes to the terminal)."""
        if self._shown:
            self.write_through(_ERASE)
            self._shown = False

    def finish(self) -> None:
        """Leave the last live status on screen and move to a new line."""
        if self._shown:
            self.write_through("\n")
            self._shown = False

    def observer(self, every_wall_s: float, speed: float) -> Observer:
        """An observer printing a status every ``every_wall_s`` wall seconds."""

        async def observe(world: World) -> None:
            while True:
                self.show(format_status(status_figures(world), self.width()))
                if self.reader_gone:
                    world.stop()
                    return
                await world.clock.sleep(every_wall_s * speed)

        return observe


class ClearingStream:
    """A stream for log lines that first erases the live status line."""

    def __init__(self, stream: TextIO, status: StatusLine) -> None:
        self._stream = stream
        self._status = status

    def write(self, text: str) -> int:
        self._status.clear()
        return self._status.write_through(text, self._stream)

    def flush(self) -> None:
        self._status.write_through("", self._stream)
