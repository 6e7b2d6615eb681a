"""What a resumable command (``sweep``, ``compare``) says when it stops before its end.

Both keep every finished row in ``--out`` and resume from it with the same
command, so both stop the same way: one line on stderr, and the exit status
of the signal that stopped them (128 + its number) or 1 for a full disk.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from emulator.cli.signals import Received, exit_status
from emulator.experiments.sweep_store import RESULTS_FILE, read_rows
from metrics.files import OutputError

__all__ = ["say_disk_full", "say_stopped"]

PROG = "outage-emulator"


def say_stopped(folder: Path, received: Received) -> int:
    """The line for a stop signal (or Ctrl-C), with how many finished runs are kept; its exit status."""
    results = folder / RESULTS_FILE
    kept = len(read_rows(results)[1]) if results.exists() else 0
    by = f" by {received.signal.name}" if received.signal is not None else ""
    print(
        f"{PROG}: interrupted{by}; {kept} finished runs kept in {results}; run the same command again to resume",
        file=sys.stderr,
    )
    return exit_status(received.signal or signal.SIGINT)


def say_disk_full(error: OutputError) -> int:
    """The line for a full disk: the rows written so far are whole (see ``ResultsStore.append``)."""
    print(f"{PROG}: error: {error}; finished runs are kept, run the same command again to resume", file=sys.stderr)
    return 1
