"""Atomic file output for the run's artefacts: report, OpenMetrics, plots.

Write a temporary file in the target's folder, then rename it over the
target, so a reader never sees half a file and a failed write leaves nothing
behind. The file gets the mode any new file would (0666 less the umask), not
the private 0600 of a temporary file. The target's folder must exist: it is
checked before the run (``emulator.cli.paths``), never created for the user.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "new_file_mode"]


def new_file_mode() -> int:
    """0666 less the process's umask (read without changing it for long)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(stream)`` on a temporary file, then move it to ``path``."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    try:
        os.fchmod(handle, new_file_mode())
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
