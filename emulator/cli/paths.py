"""Output paths checked before any work: a run of hours must not end in a traceback.

Every file option (``--report``, ``--openmetrics``, ``--plot``, a sweep's
``--out``) goes through :func:`check_output` as soon as the arguments are
parsed. A directory, a missing parent folder (never created for the user),
a parent that cannot be written, or a wrong extension is refused as a
:class:`~emulator.config.loading.ConfigError`: one line, exit status 2,
nothing written.

A device or a FIFO (``/dev/null``, a named pipe) is written through, never
replaced (see :mod:`metrics.files`), so it needs only to be writable itself:
no extension, and no folder a temporary file could go in. A symlink is
checked as the file it points to, since that is where the output goes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from emulator.config.loading import ConfigError
from metrics.files import is_special

__all__ = ["STDOUT", "check_output", "check_output_folder"]

STDOUT = Path("-")


def check_output(option: str, path: Path | None, suffixes: Sequence[str] = (), *, allow_stdout: bool = False) -> None:
    """Refuse ``path`` for ``option`` unless a file could be written there."""
    if path is None or (allow_stdout and path == STDOUT):
        return
    shown = f"invalid {option} {str(path)!r}"
    if path.is_dir():
        raise ConfigError(f"{shown}: is a directory; expected a file name")
    if is_special(path):
        if path.is_socket():  # opening one for writing fails, and only once the run is over
            raise ConfigError(f"{shown}: is a socket; expected a file, a device or a FIFO")
        if not os.access(path, os.W_OK):
            raise ConfigError(f"{shown}: this device or pipe cannot be written")
        return
    if suffixes and path.suffix.lower() not in suffixes:
        raise ConfigError(f"{shown}: expected a file name ending in {' or '.join(suffixes)}")
    path = Path(os.path.realpath(path)) if path.is_symlink() else path
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ConfigError(f"{shown}: folder {str(parent)!r} does not exist")
    _probe(shown, parent, path.name)


def check_output_folder(option: str, path: Path) -> None:
    """Refuse ``path`` for ``option`` unless it is, or could be made, a folder to write in."""
    shown = f"invalid {option} {str(path)!r}"
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{shown}: is a file; expected a folder")
    folder = path if path.is_dir() else (path.parent if str(path.parent) else Path("."))
    if not folder.is_dir():
        raise ConfigError(f"{shown}: folder {str(folder)!r} does not exist")
    _probe(shown, folder, path.name)


def _probe(shown: str, folder: Path, name: str) -> None:
    try:  # the only sure test (permissions, read-only mounts, root): make a file there
        handle, probe = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot write in folder {str(folder)!r} ({exc.strerror})") from None
    os.close(handle)
    os.unlink(probe)
