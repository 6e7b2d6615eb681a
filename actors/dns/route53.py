"""Route 53, the DNS store: records, aliases, lock records, the rollback record.

Each plan's records for an endpoint live under that plan's generation (a
plan is a tree of records); an endpoint's alias points at the generation now
active for it. Deleting a generation deletes its records, so an endpoint
whose alias still points there resolves to *no addresses*, with no error,
exactly as in the incident.

The **rollback record** is the generation of the plan last applied: every
change batch rewrites it, and a later batch diffs against, or rolls back
from, that plan. AWS's later account of the incident: the inconsistent state
was the rollback record pointing at a plan that clean-up had deleted. So a
batch is refused as ``INCONSISTENT`` when the endpoint's active records are
gone (nothing to diff against) or the rollback record's plan is gone
(nothing to roll back from); the Enactors cannot proceed until an operator
restores the records.

One task serves every request from one channel (:meth:`DnsStore.run`). An
Enactor's whole per-endpoint transaction is one message (:class:`Transact`):
on receipt Route 53 takes the endpoint's lock record, or answers
``LOCK_CONFLICT`` at once while another holder's transaction is in flight
there; it holds the lock for the transaction's latency on a clock timer
(``clock.call_at``: no task wakes for it), then commits the change batch in
one step, releases the lock and replies. So the Enactor wakes once per
endpoint, and a lock conflict is exactly another transaction in flight on
the same endpoint.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import trio

from actors.dns.messages import (
    Address,
    DeleteRecordTrees,
    ForceEmpty,
    GetRollbackState,
    Plan,
    Resolve,
    RestoreRecords,
    RollbackState,
    Route53Request,
    Transact,
    TransactionResult,
)

if TYPE_CHECKING:
    import random

    from actors.dns.config import Route53Config
    from actors.dns.stats import DnsStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["DnsStore"]

ACTOR = "route53"


class DnsStore:
    """Route 53's state, owned by :meth:`run`; nothing else reads or writes it."""

    def __init__(
        self,
        requests: trio.MemoryReceiveChannel[Route53Request],
        *,
        clock: Clock,
        trace: Trace,
        stats: DnsStats,
        regional_endpoint: str,
        rng: random.Random,
        config: Route53Config,
    ) -> None:
        self._requests = requests
        self._clock = clock
        self._rng = rng
        self._config = config
        self._trace = trace
        self._stats = stats
        self._regional = regional_endpoint
        self._records: dict[int, dict[str, tuple[Address, ...]]] = {}
        self._alias: dict[str, int] = {}
        self._locks: dict[str, Transact] = {}  # endpoint -> the transaction holding its lock record
        self._regional_writer: tuple[str, int] | None = None  # (holder, generation) of its last write
        self._forced_empty: set[str] = set()
        self._rollback = 0  # the rollback record: generation of the plan last applied (0: none yet)
        self._regional_was_empty = True

    async def run(self) -> None:
        requests = self._requests
        while True:
            self._serve(await requests.receive())
            while True:  # whatever else arrived in the same instant, without a wake-up each
                try:
                    request = requests.receive_nowait()
                except trio.WouldBlock:
                    break
                self._serve(request)

    def _serve(self, request: Route53Request) -> None:
        if isinstance(request, Resolve):
            request.reply.send(self._resolve(request.endpoint))
        elif isinstance(request, Transact):
            self._begin(request)
        elif isinstance(request, GetRollbackState):
            request.reply.send(self._rollback_state())
        elif isinstance(request, DeleteRecordTrees):
            request.reply.send(self._delete_generations(request.generations, protect_active=request.protect_active))
        elif isinstance(request, RestoreRecords):
            self._restore(request.plan)
        elif isinstance(request, ForceEmpty):
            self._force_empty(request.endpoint, request.empty)
        else:  # pragma: no cover - the union is closed
            raise TypeError(f"route53: unexpected request {request!r}")

    # -- reads ---------------------------------------------------------------
    def _resolve(self, endpoint: str) -> tuple[Address, ...]:
        """The (possibly empty) address set an authoritative query returns."""
        if endpoint in self._forced_empty:
            return ()
        generation = self._alias.get(endpoint)
        if generation is None:
            return ()
        return self._records.get(generation, {}).get(endpoint, ())

    def _inconsistent_endpoints(self) -> int:
        """Endpoints whose active plan's records are gone (nothing to diff against)."""
        records = self._records
        return sum(1 for endpoint, generation in self._alias.items() if endpoint not in records.get(generation, {}))

    def _rollback_state(self) -> RollbackState:
        return RollbackState(
            rollback_generation=self._rollback,
            active_generations=frozenset(self._alias.values()),
            record_generations=tuple(sorted(self._records)),
            inconsistent_endpoints=self._inconsistent_endpoints(),
        )

    # -- the transaction: lock record, change batch, release ---------------------
    def _begin(self, transaction: Transact) -> None:
        """Take the endpoint's lock record and start the clock on the batch, or refuse at once."""
        endpoint = transaction.endpoint
        if endpoint in self._locks:  # another transaction is in flight on this endpoint
            transaction.reply.send(TransactionResult.LOCK_CONFLICT)
            return
        self._locks[endpoint] = transaction
        config = self._config
        median = config.transaction_median_s
        if endpoint == self._regional:  # the largest record set: the longest batch
            median *= config.regional_record_set_factor
        latency = median * math.exp(self._rng.gauss(0.0, config.transaction_sigma))
        self._clock.call_at(self._clock.now() + latency, self._finish, transaction)

    def _finish(self, transaction: Transact) -> None:
        """The transaction's latency is over: commit its batch whole and answer."""
        endpoint = transaction.endpoint
        if self._locks.get(endpoint) is not transaction:
            # The operator's repair deleted the lock record under it: the batch's lock check fails.
            transaction.reply.send(TransactionResult.LOCK_CONFLICT)
            return
        del self._locks[endpoint]
        result = self.commit(
            endpoint,
            transaction.plan,
            conditional_on_generation=transaction.conditional_on_generation,
            refuse_empty=transaction.refuse_empty,
        )
        if result is TransactionResult.APPLIED and endpoint == self._regional:
            self._regional_writer = (transaction.holder, transaction.plan.generation)
        if endpoint == self._regional:
            self._observe_regional()
        transaction.reply.send(result)

    def commit(
        self, endpoint: str, plan: Plan, *, conditional_on_generation: bool, refuse_empty: bool
    ) -> TransactionResult:
        """Apply ``plan`` to ``endpoint`` all-or-nothing (its lock already held and released)."""
        current = self._alias.get(endpoint)
        if current is not None and endpoint not in self._records.get(current, {}):
            return TransactionResult.INCONSISTENT  # nothing to diff against
        if self._rollback and self._rollback not in self._records:
            return TransactionResult.INCONSISTENT  # nothing to roll back from
        if conditional_on_generation and current is not None and current >= plan.generation:
            return TransactionResult.STALE
        addresses = tuple(record.address for record in plan.records_for(endpoint))
        if refuse_empty and not addresses:
            return TransactionResult.REFUSED_EMPTY
        self._records.setdefault(plan.generation, {})[endpoint] = addresses
        self._alias[endpoint] = plan.generation
        self._rollback = plan.generation
        self._stats.transactions += 1
        return TransactionResult.APPLIED

    def _delete_generations(self, generations: tuple[int, ...], *, protect_active: bool) -> int:
        """Clean-up: drop every record of these generations (active ones too, unless protected)."""
        active = set(self._alias.values()) if protect_active else set()
        deleted = 0
        for generation in sorted(generations):
            if generation in active:
                continue
            records = self._records.pop(generation, None)
            if records is None:
                continue
            deleted += 1
            if self._alias.get(self._regional) == generation and self._regional in records:
                self._note_race(generation)
            if generation == self._rollback:
                self._trace.record("rollback_record_dangling", ACTOR, generation=generation)
        if deleted:
            self._trace.record("record_trees_deleted", ACTOR, generations=deleted)
            self._observe_regional()
        return deleted

    def _note_race(self, generation: int) -> None:
        """Clean-up deleted the plan the regional endpoint points at: record who wrote it, and why late."""
        stats = self._stats
        stats.race_occurred = True
        stats.races += 1
        writer = self._regional_writer
        holder = writer[0] if writer is not None and writer[1] == generation else None
        # The writer's pass as it stood at its regional write (instrumentation only).
        lateness = stats.regional_write_lateness.get(holder) if holder is not None else None
        stats.race_details.append(
            {"at": round(self._clock.now(), 3), "generation": generation, "late_enactor": holder, **(lateness or {})}
        )
        self._trace.milestone("dns_race", ACTOR, generation=generation, late_enactor=holder)

    def _restore(self, plan: Plan) -> None:
        """The manual repair (and the bootstrap): every endpoint re-pointed at ``plan``."""
        records = self._records.setdefault(plan.generation, {})
        for endpoint, weighted in plan.endpoints:
            records[endpoint] = tuple(record.address for record in weighted)
            self._alias[endpoint] = plan.generation
        self._locks.clear()
        self._rollback = plan.generation
        self._trace.record("records_restored", ACTOR, generation=plan.generation)
        stats = self._stats
        if stats.stuck_since is not None:  # nothing is inconsistent any more
            stats.stuck_seconds += self._clock.now() - stats.stuck_since
            stats.stuck_since = None
            self._trace.milestone("dns_automation_unstuck", ACTOR)
        self._observe_regional()

    def _force_empty(self, endpoint: str, empty: bool) -> None:
        """Fault injection: empty an endpoint's answer without the race."""
        if empty:
            self._forced_empty.add(endpoint)
        else:
            self._forced_empty.discard(endpoint)
        self._trace.record("forced_empty", ACTOR, endpoint=endpoint, empty=empty)
        self._observe_regional()

    # -- instrumentation ---------------------------------------------------------------
    def _observe_regional(self) -> None:
        answer = self._resolve(self._regional)
        stats = self._stats
        stats.regional_addresses = len(answer)
        empty = not answer
        if empty == self._regional_was_empty:
            return
        self._regional_was_empty = empty
        now = self._clock.now()
        if empty:
            stats.empty_since = now
            if stats.first_empty_at is None:
                stats.first_empty_at = now
            self._trace.milestone("regional_endpoint_empty", ACTOR, endpoint=self._regional)
        elif stats.empty_since is not None:  # not the bootstrap write
            stats.empty_record_seconds += now - stats.empty_since
            stats.empty_since = None
            self._trace.milestone("regional_endpoint_restored", ACTOR, endpoint=self._regional)
