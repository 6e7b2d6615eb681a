"""The DNS automation's instrumentation: counters the actors update, the report reads.

Like a metrics registry, it is written by the actors and read only by the
world (snapshot, report); no actor decides anything from another's counters.
"""

from __future__ import annotations

import attrs

__all__ = ["DnsStats"]


@attrs.define
class DnsStats:
    """What the report's ``dns`` section is made of; updated by the actors."""

    race_occurred: bool = False
    races: int = 0
    first_empty_at: float | None = None
    empty_since: float | None = None
    empty_record_seconds: float = 0.0
    stuck: bool = False
    stuck_since: float | None = None
    stuck_seconds: float = 0.0
    enactor_max_lag_generations: int = 0
    plans_deleted: int = 0
    lock_conflicts: int = 0
    stale_writes: int = 0
    transactions: int = 0

    def empty_seconds_until(self, now: float) -> float:
        open_episode = now - self.empty_since if self.empty_since is not None else 0.0
        return self.empty_record_seconds + open_episode

    def stuck_seconds_until(self, now: float) -> float:
        open_episode = now - self.stuck_since if self.stuck_since is not None else 0.0
        return self.stuck_seconds + open_episode
