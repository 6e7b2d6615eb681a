"""The run's event trace: a hash over every event, and the milestones kept.

Every actor reports what it did through :meth:`Trace.record`. All events feed
a running SHA-256, so two runs with the same seed and config can be compared
bit for bit (``trace_hash`` in the report) without keeping millions of events
in memory; milestones are also kept (the printed timeline) and logged.

Every :data:`CHECKPOINT_EVERY` events the running hash is noted
(``checkpoints``), so two runs that differ can be told apart to within a
window of events without keeping the events: ``outage-emulator replay`` and
``diff`` re-run only up to that window, with a ``tap`` that sees each event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Protocol

import structlog

__all__ = ["CHECKPOINT_EVERY", "Trace"]

CHECKPOINT_EVERY = 1000  # events between noted hashes: ~40 bytes each in the report


class _Now(Protocol):
    def now(self) -> float: ...


class Trace:
    """Ordered event log of one run, in virtual time."""

    def __init__(self, clock: _Now, seed: int) -> None:
        self._clock = clock
        self._hasher = hashlib.sha256()
        self._unhashed: list[str] = []  # lines recorded since the last update of the hash
        self.events = 0
        self.timeline: list[dict[str, Any]] = []
        # Events per kind of actor (the name before its first '-': dns, droplet, dwfm, nlb ...);
        # bounded by the kinds of actor, not by the fleet.
        self.by_actor_kind: dict[str, int] = {}
        self._log = structlog.get_logger("emulator").bind(seed=seed)
        # (events so far, virtual time, running hash): one per CHECKPOINT_EVERY events.
        self.checkpoints: list[tuple[int, float, str]] = []
        # Sees every event as (its number, from 1, and its hashed line); for replay and diff.
        self.tap: Callable[[int, str], None] | None = None
        # Told of every milestone as it is kept (e.g. the world's phase tracker).
        self.milestone_listeners: list[Callable[[dict[str, Any]], None]] = []

    def record(self, event: str, actor: str, **fields: Any) -> None:
        """One event; hashed, not kept.

        The lines wait in ``_unhashed`` and go to SHA-256 in one update at the
        next checkpoint (or when the hash is read): the digest of the joined
        lines is the digest of feeding them one by one, at a fraction of the
        cost of an update per event.
        """
        self.events += 1
        kind = actor.partition("-")[0]
        by_kind = self.by_actor_kind
        by_kind[kind] = by_kind.get(kind, 0) + 1
        if not fields:
            line = f"{self._clock.now():.6f}|{actor}|{event}|"
        elif len(fields) == 1:  # the commonest case: nothing to sort
            ((key, value),) = fields.items()
            line = f"{self._clock.now():.6f}|{actor}|{event}|{key}={value}"
        else:
            detail = ",".join([f"{key}={fields[key]}" for key in sorted(fields)])
            line = f"{self._clock.now():.6f}|{actor}|{event}|{detail}"
        self._unhashed.append(line)
        if self.tap is not None:
            self.tap(self.events, line)
        if self.events % CHECKPOINT_EVERY == 0:
            self.checkpoints.append((self.events, round(self._clock.now(), 3), self._digest()[:16]))

    def _digest(self) -> str:
        if self._unhashed:
            self._unhashed.append("")  # every line ends in a newline, the last one too
            self._hasher.update("\n".join(self._unhashed).encode())
            self._unhashed.clear()
        return self._hasher.hexdigest()

    def milestone(self, event: str, actor: str, **fields: Any) -> None:
        """A key event: hashed, kept for the timeline and logged."""
        self.record(event, actor, **fields)
        t = round(self._clock.now(), 3)
        entry = {"t": t, "event": event, "actor": actor, **fields}
        self.timeline.append(entry)
        for listener in self.milestone_listeners:
            listener(entry)
        self._log.info(event, vt=t, actor=actor, **fields)

    @property
    def hash(self) -> str:
        return self._digest()

    def first(self, event: str) -> float | None:
        for entry in self.timeline:
            if entry["event"] == event:
                return float(entry["t"])
        return None
