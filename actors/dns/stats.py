"""The DNS automation's instrumentation: counters the actors update, the report reads.

Like a metrics registry, it is written by the actors and read only by the
world (snapshot, report); no actor decides anything from another's counters.
Each field has one writer, named beside it, except the stuck episode, which
an Enactor opens when it finds it cannot proceed and Route 53 closes when the
records are restored by hand.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["DnsStats"]


@attrs.define
class DnsStats:
    """What the report's ``dns`` section and the ``dns_*`` metrics are made of."""

    # Route 53: the race, the regional endpoint's answer.
    race_occurred: bool = False
    races: int = 0
    first_empty_at: float | None = None
    empty_since: float | None = None
    empty_record_seconds: float = 0.0
    regional_addresses: int = 0
    transactions: int = 0
    # One entry per race: when, the generation deleted, the Enactor that wrote it
    # to the regional endpoint and what had made that pass late (its lateness below).
    race_details: list[dict[str, Any]] = attrs.Factory(list)
    # Enactors open the stuck episode; Route 53's restore closes it.
    stuck: bool = False
    stuck_since: float | None = None
    stuck_seconds: float = 0.0
    # Enactors.
    enactor_max_lag_generations: int = 0
    lock_conflicts: int = 0
    stale_writes: int = 0
    applying_generation: dict[str, int] = attrs.Factory(dict)
    applied_generation: dict[str, int] = attrs.Factory(dict)
    automation_enabled: dict[str, bool] = attrs.Factory(dict)
    # Each Enactor's pass as it stood at its last regional write: lock conflicts,
    # backoff and stall seconds, seconds since its freshness check, plan lag.
    regional_write_lateness: dict[str, dict[str, Any]] = attrs.Factory(dict)
    # Plan store and clean-up.
    newest_generation: int = 0
    plans_held: int = 0  # in the plan store now: bounded only while clean-up keeps up
    plans_deleted: int = 0

    def empty_seconds_until(self, now: float) -> float:
        open_episode = now - self.empty_since if self.empty_since is not None else 0.0
        return self.empty_record_seconds + open_episode

    def stuck_seconds_until(self, now: float) -> float:
        open_episode = now - self.stuck_since if self.stuck_since is not None else 0.0
        return self.stuck_seconds + open_episode
