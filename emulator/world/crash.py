"""Naming the actor that crashed a run: which one, at what virtual time, with which seed.

Trio wraps an exception that escapes a task in exception groups, one per
nursery it crossed, and a task has no name a user would know. The actor is
found instead from the traceback: the innermost frame in one of the
``actors`` packages, named by the actor's own ``name`` (an attribute of its
object or a parameter of its ``run``), else by its module and function.
"""

from __future__ import annotations

import types
from pathlib import Path

import actors

__all__ = ["crashed_actor", "innermost_error"]

_ACTORS_DIR = Path(actors.__file__).resolve().parent


def innermost_error(exc: BaseException) -> BaseException:
    """The first exception that is not a group, however deeply nested."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _actor_name(frame: types.FrameType) -> str | None:
    owner = frame.f_locals.get("self")
    name = getattr(owner, "name", None)
    if isinstance(name, str):
        return name
    name = frame.f_locals.get("name")
    return name if isinstance(name, str) else None


def crashed_actor(exc: BaseException) -> str:
    """The crashed actor's name (e.g. ``dns-planner``), or ``module.function``; '' if none."""
    traceback = innermost_error(exc).__traceback__
    found = ""
    while traceback is not None:
        frame = traceback.tb_frame
        path = Path(frame.f_code.co_filename).resolve()
        if _ACTORS_DIR in path.parents:
            module = ".".join(path.relative_to(_ACTORS_DIR.parent).with_suffix("").parts)
            found = _actor_name(frame) or f"{module}.{frame.f_code.co_name}"
        traceback = traceback.tb_next
    return found
