"""Messages and records shared by DynamoDB's DNS automation actors."""

from __future__ import annotations

import enum

import attrs
import trio

__all__ = ["Address", "CleanupRequest", "Plan", "TransactionResult", "WeightedRecord"]

Address = str


@attrs.frozen
class WeightedRecord:
    """One load balancer behind an endpoint, with its DNS weight."""

    address: Address
    weight: int


@attrs.frozen
class Plan:
    """The Planner's view for one generation: endpoint -> weighted records."""

    generation: int
    endpoints: tuple[tuple[str, tuple[WeightedRecord, ...]], ...]

    def records_for(self, endpoint: str) -> tuple[WeightedRecord, ...]:
        for name, records in self.endpoints:
            if name == endpoint:
                return records
        return ()


@attrs.frozen(eq=False)
class CleanupRequest:
    """Sent by an Enactor after applying ``generation`` to every endpoint.

    The Enactor waits for ``done`` before its next pass: clean-up is part of
    finishing a plan, so it happens before that Enactor touches DNS again.
    """

    generation: int
    enactor: str
    done: trio.Event = attrs.field(factory=trio.Event)


class TransactionResult(enum.Enum):
    """Outcome of one endpoint's all-or-nothing DNS change batch."""

    APPLIED = "applied"
    LOCK_CONFLICT = "lock_conflict"  # another holder: abort, back off, retry
    STALE = "stale"  # race fix: the endpoint already has a newer generation
    INCONSISTENT = "inconsistent"  # the active plan is gone: cannot roll back or diff
    REFUSED_EMPTY = "refused_empty"  # plan protection: never apply an empty plan


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
