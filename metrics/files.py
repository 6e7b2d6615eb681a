"""File output for the run's artefacts (report, OpenMetrics, plots, a sweep's files), in one place.

A regular file (or a name not yet taken) is written atomically: a temporary
file in the target's folder, flushed to disk, then renamed over the target,
so a reader never sees half a file and a failed write (a full disk) leaves
the old file, or nothing, behind. The file gets the mode any new file would
(0666 less the umask), not the private 0600 of a temporary file.

Anything else is written *through*, never replaced: renaming over
``/dev/null`` or a FIFO would swap the device for a regular file (and, run as
root, break the machine for everyone). The content is produced in memory
first, so a writer that fails sends nothing half-made. Symlinks are followed:
the link stays a link and its target gets the content.

The target's folder must exist: it is checked before the run
(``emulator.cli.paths``), never created for the user. Every failure to
write is an :class:`OutputError` with one line naming the file and the cause.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["OutputError", "atomic_write", "is_special", "new_file_mode", "remove_leftover_temporaries", "write_all"]


class OutputError(Exception):
    """An output could not be written (full disk, I/O error): one line, the file and the cause."""

    def __init__(self, path: Path, exc: OSError) -> None:
        super().__init__(f"cannot write {str(path)!r}: {exc.strerror or exc}")
        self.path = path
        self.errno = exc.errno


def new_file_mode() -> int:
    """0666 less the process's umask (read without changing it for long)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def is_special(path: Path) -> bool:
    """Whether ``path`` (symlinks followed) exists and is neither a regular file nor a folder."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def write_all(handle: int, data: bytes) -> None:
    """``os.write`` until every byte is out: a pipe or a slow device may take less per call."""
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(stream)`` and put what it wrote at ``path``; raise :class:`OutputError` if it cannot be."""
    target = Path(os.path.realpath(path))
    try:
        if is_special(target):
            _write_through(target, write)
        else:
            _replace(target, write)
    except OSError as exc:
        raise OutputError(path, exc) from None


def remove_leftover_temporaries(path: Path) -> None:
    """Delete the temporaries a killed :func:`atomic_write` of ``path`` left behind.

    SIGKILL (or a lost machine) between creating the temporary and renaming
    it leaves a hidden ``.NAME.XXXXXXXX.SUFFIX`` beside the target; only a
    writer that owns the folder (a sweep resuming in its ``--out``) may call this.
    """
    for leftover in path.parent.glob(f".{path.name}.*{path.suffix}"):
        leftover.unlink(missing_ok=True)


def _write_through(target: Path, write: Callable[[BinaryIO], object]) -> None:
    buffer = io.BytesIO()
    write(buffer)
    handle = os.open(target, os.O_WRONLY)  # no O_CREAT, no O_TRUNC: the node is kept as it is
    try:
        write_all(handle, buffer.getvalue())
    finally:
        os.close(handle)


def _replace(target: Path, write: Callable[[BinaryIO], object]) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    try:
        os.fchmod(handle, new_file_mode())
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())  # a full disk shows here at the latest, before the old file is replaced
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
