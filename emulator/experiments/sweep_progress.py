"""The progress of a run of many runs (sweep, compare), on stderr."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

__all__ = ["Progress"]


class Progress:
    """A progress bar on stderr: one live line on a terminal, a plain line every 5% when piped.

    Small enough not to justify a dependency (tqdm/rich) in every install.
    """

    def __init__(
        self, total: int, done: int, stream: TextIO | None = None, *, shown: bool = True, label: str = "sweep"
    ) -> None:
        self.total, self.done, self.failed = total, done, 0
        self._label = label
        self._stream = stream if stream is not None else sys.stderr
        self._shown = shown
        self._live = self._stream.isatty()
        self._started = time.monotonic()
        self._fresh = 0
        self._step = max(1, total // 20)

    def update(self, row: dict[str, Any]) -> None:
        self.done += 1
        self._fresh += 1
        self.failed += row.get("status") == "failed"
        if not self._shown:
            return
        if self._live:
            self._stream.write("\r" + self._line())
        elif self.done % self._step == 0 or self.done == self.total:
            self._stream.write(self._line() + "\n")
        self._stream.flush()

    def finish(self) -> None:
        if self._shown and self._live and self._fresh:
            self._stream.write("\n")
            self._stream.flush()

    def _line(self) -> str:
        elapsed = time.monotonic() - self._started
        left = elapsed / self._fresh * (self.total - self.done) if self._fresh else 0.0
        filled = round(24 * self.done / self.total) if self.total else 24
        failed = f"  {self.failed} failed" if self.failed else ""
        return (
            f"{self._label} [{'#' * filled}{'.' * (24 - filled)}] {self.done}/{self.total} runs{failed}"
            f"  {elapsed:.0f}s elapsed  ~{left:.0f}s left"
        )
