"""The DNS automation's message protocol: plans, change batches, queries, controls.

Every request that expects an answer carries a one-shot :class:`Reply`; the
requester owns the timeout. The plan store and the DNS store (Route 53) are
each one task that serialises the requests on its channel, which is what
makes each change batch atomic.

Who sends what:

* Planner -> plan store: :class:`PutPlan`.
* Enactor -> plan store: :class:`GetNewestPlan`; Enactor -> Route 53:
  :class:`GetRollbackState`, :class:`Transact`;
  Enactor -> clean-up: :class:`CleanupRequest`.
* Clean-up -> plan store: :class:`ListGenerations`, :class:`DeletePlans`;
  clean-up -> Route 53: :class:`DeleteRecordTrees`, :class:`GetRollbackState`.
* Resolvers (DynamoDB's clients) -> Route 53: :class:`Resolve`.
* Operator -> plan store: :class:`GetNewestPlan`; operator -> Route 53:
  :class:`RestoreRecords`; operator -> Enactors: :class:`SetAutomation`.
* Faults -> Route 53: :class:`ForceEmpty`; faults -> an Enactor: :class:`StallEnactor`.
"""

from __future__ import annotations

import enum

import attrs

from emulator.kernel.mailbox import Reply

__all__ = [
    "Address",
    "CleanupRequest",
    "DeletePlans",
    "DeleteRecordTrees",
    "EnactorControl",
    "ForceEmpty",
    "GetNewestPlan",
    "GetRollbackState",
    "ListGenerations",
    "Plan",
    "PlanStoreRequest",
    "PutPlan",
    "Resolve",
    "RestoreRecords",
    "RollbackState",
    "Route53Request",
    "SetAutomation",
    "StallEnactor",
    "Transact",
    "TransactionResult",
    "WeightedRecord",
]

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
    ``done`` carries the number of plans deleted.
    """

    generation: int
    enactor: str
    done: Reply[int] = attrs.field(factory=Reply)


class TransactionResult(enum.Enum):
    """Outcome of one endpoint's all-or-nothing DNS change batch."""

    APPLIED = "applied"
    LOCK_CONFLICT = "lock_conflict"  # another holder: abort, back off, retry
    STALE = "stale"  # race fix: the endpoint already has a newer generation
    INCONSISTENT = "inconsistent"  # the active plan is gone: cannot roll back or diff
    REFUSED_EMPTY = "refused_empty"  # plan protection: never apply an empty plan


# -- plan store ----------------------------------------------------------------


@attrs.frozen
class PutPlan:
    """Planner -> plan store: a new generation (must be newer than every stored one)."""

    plan: Plan


@attrs.frozen(eq=False)
class GetNewestPlan:
    """-> plan store: the newest plan, or None before the first."""

    reply: Reply[Plan | None]


@attrs.frozen(eq=False)
class ListGenerations:
    """-> plan store: every stored generation, oldest first."""

    reply: Reply[tuple[int, ...]]


@attrs.frozen(eq=False)
class DeletePlans:
    """Clean-up -> plan store: delete these generations; replies with those deleted."""

    generations: tuple[int, ...]
    reply: Reply[tuple[int, ...]]


# -- Route 53 (the DNS store) -----------------------------------------------------


@attrs.frozen(eq=False)
class Resolve:
    """Resolver -> Route 53: the endpoint's address set (empty: no error, no address)."""

    endpoint: str
    reply: Reply[tuple[Address, ...]]


@attrs.frozen
class RollbackState:
    """What an Enactor reads before a pass, and clean-up before deleting.

    ``rollback_generation`` is the rollback record: the plan last applied.
    ``inconsistent_endpoints`` are endpoints whose active plan's records are
    gone, so nothing can roll back from, or diff against, them (stuck).
    """

    rollback_generation: int
    active_generations: frozenset[int]
    record_generations: tuple[int, ...]
    inconsistent_endpoints: int


@attrs.frozen(eq=False)
class GetRollbackState:
    reply: Reply[RollbackState]


@attrs.frozen(eq=False)
class Transact:
    """One endpoint's all-or-nothing Route 53 transaction: lock, change batch, release.

    Route 53 takes the endpoint's lock record on receipt, or answers
    ``LOCK_CONFLICT`` at once if another holder's transaction is in flight on
    that endpoint. It holds the lock for the transaction's latency, then
    commits the change batch atomically, releases the lock and replies.

    With ``conditional_on_generation`` (the race fix) the batch applies only
    if the endpoint's active generation is older than the plan's, checked
    inside the batch, at the moment of the write.
    """

    endpoint: str
    plan: Plan
    holder: str
    conditional_on_generation: bool
    refuse_empty: bool
    reply: Reply[TransactionResult]


@attrs.frozen(eq=False)
class DeleteRecordTrees:
    """Clean-up -> Route 53: delete every record of these generations (replies with the count).

    With ``protect_active`` (plan protection) Route 53 also skips, inside the
    same request, any generation an alias points at when the delete runs, so
    an Enactor's write between clean-up's read and its delete cannot be lost.
    """

    generations: tuple[int, ...]
    reply: Reply[int]
    protect_active: bool = False


@attrs.frozen
class RestoreRecords:
    """Operator -> Route 53: the manual repair, every endpoint re-pointed at ``plan``."""

    plan: Plan


@attrs.frozen
class ForceEmpty:
    """Fault -> Route 53: answer ``endpoint`` with no address (or stop doing so)."""

    endpoint: str
    empty: bool


# -- Enactor controls ---------------------------------------------------------------


@attrs.frozen
class SetAutomation:
    """Operator -> Planner and Enactors: the global off-switch for the DNS automation."""

    enabled: bool


@attrs.frozen
class StallEnactor:
    """Fault -> Enactor: do nothing until virtual time ``until`` (a host pause)."""

    until: float


EnactorControl = SetAutomation | StallEnactor
PlanStoreRequest = PutPlan | GetNewestPlan | ListGenerations | DeletePlans
Route53Request = Resolve | GetRollbackState | Transact | DeleteRecordTrees | RestoreRecords | ForceEmpty
