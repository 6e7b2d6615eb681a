"""The DNS store, a Route 53 stand-in: records, aliases, locks, atomic batches.

Each plan's records for an endpoint live under that plan's generation; an
endpoint's alias points at the generation now active for it. Deleting a
generation deletes its records, so an endpoint whose alias still points there
resolves to *no addresses*, with no error, exactly as in the incident.

A passive store: every method runs atomically (one Trio task at a time), as a
Route 53 change batch does. Transaction latency is paid by the Enactor, which
holds the endpoint's lock record meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.dns.messages import Address, Plan, TransactionResult
from actors.dns.stats import DnsStats

if TYPE_CHECKING:
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["DnsStore"]


class DnsStore:
    def __init__(self, clock: Clock, trace: Trace, stats: DnsStats, regional_endpoint: str) -> None:
        self._clock = clock
        self._trace = trace
        self.stats = stats
        self.regional_endpoint = regional_endpoint
        self._records: dict[int, dict[str, tuple[Address, ...]]] = {}
        self._alias: dict[str, int] = {}
        self._locks: dict[str, tuple[str, float]] = {}
        self._forced_empty: set[str] = set()
        self.applied_generation = 0
        self._regional_was_empty = True

    # -- reads ---------------------------------------------------------------
    def resolve(self, endpoint: str) -> tuple[Address, ...]:
        """The (possibly empty) address set an authoritative query returns."""
        if endpoint in self._forced_empty:
            return ()
        generation = self._alias.get(endpoint)
        if generation is None:
            return ()
        return self._records.get(generation, {}).get(endpoint, ())

    def active_generation(self, endpoint: str) -> int | None:
        return self._alias.get(endpoint)

    def active_generations(self) -> set[int]:
        return set(self._alias.values())

    def generations_below(self, threshold: int) -> list[int]:
        """Generations that still have records, older than ``threshold``."""
        return sorted(generation for generation in self._records if generation < threshold)

    def inconsistent_endpoints(self) -> list[str]:
        """Endpoints whose active plan no longer exists (nothing to diff against)."""
        return [
            endpoint
            for endpoint, generation in self._alias.items()
            if endpoint not in self._records.get(generation, {})
        ]

    # -- the per-endpoint lock record ----------------------------------------------
    def try_lock(self, endpoint: str, holder: str, ttl_s: float) -> bool:
        """Delete and re-create the lock record, unless someone else holds it."""
        now = self._clock.now()
        current = self._locks.get(endpoint)
        if current is not None and current[0] != holder and current[1] > now:
            return False
        self._locks[endpoint] = (holder, now + ttl_s)
        return True

    def release(self, endpoint: str, holder: str) -> None:
        current = self._locks.get(endpoint)
        if current is not None and current[0] == holder:
            del self._locks[endpoint]

    # -- the change batch ---------------------------------------------------------
    def commit(
        self,
        endpoint: str,
        plan: Plan,
        holder: str,
        *,
        conditional_on_generation: bool,
        refuse_empty: bool,
    ) -> TransactionResult:
        """Apply ``plan`` to ``endpoint`` all-or-nothing, releasing the lock."""
        try:
            now = self._clock.now()
            lock = self._locks.get(endpoint)
            if lock is None or lock[0] != holder or lock[1] <= now:
                return TransactionResult.LOCK_CONFLICT
            current = self._alias.get(endpoint)
            if current is not None and endpoint not in self._records.get(current, {}):
                return TransactionResult.INCONSISTENT
            if conditional_on_generation and current is not None and current >= plan.generation:
                return TransactionResult.STALE
            addresses = tuple(record.address for record in plan.records_for(endpoint))
            if refuse_empty and not addresses:
                return TransactionResult.REFUSED_EMPTY
            self._records.setdefault(plan.generation, {})[endpoint] = addresses
            self._alias[endpoint] = plan.generation
            self.applied_generation = plan.generation  # the rollback record
            self.stats.transactions += 1
            return TransactionResult.APPLIED
        finally:
            self.release(endpoint, holder)
            if endpoint == self.regional_endpoint:
                self._observe_regional()

    def delete_generation(self, generation: int) -> bool:
        """Clean-up: drop every record of ``generation``."""
        records = self._records.pop(generation, None)
        if records is None:
            return False
        if self._alias.get(self.regional_endpoint) == generation and self.regional_endpoint in records:
            self.stats.race_occurred = True
            self.stats.races += 1
            self._trace.milestone("dns_race", "dns-store", generation=generation)
        self._observe_regional()
        return True

    def restore(self, plan: Plan) -> None:
        """The operator's repair: every endpoint re-pointed at ``plan``."""
        records = self._records.setdefault(plan.generation, {})
        for endpoint, weighted in plan.endpoints:
            records[endpoint] = tuple(record.address for record in weighted)
            self._alias[endpoint] = plan.generation
        self._locks.clear()
        self.applied_generation = plan.generation
        stats = self.stats
        if stats.stuck_since is not None:  # nothing is inconsistent any more
            stats.stuck_seconds += self._clock.now() - stats.stuck_since
            stats.stuck_since = None
            self._trace.milestone("dns_automation_unstuck", "dns-store")
        self._observe_regional()

    def force_empty(self, endpoint: str, empty: bool) -> None:
        """Fault injection: empty an endpoint's answer without the race."""
        if empty:
            self._forced_empty.add(endpoint)
        else:
            self._forced_empty.discard(endpoint)
        self._observe_regional()

    # -- bookkeeping -------------------------------------------------------------
    def _observe_regional(self) -> None:
        empty = not self.resolve(self.regional_endpoint)
        if empty == self._regional_was_empty:
            return
        self._regional_was_empty = empty
        now = self._clock.now()
        stats = self.stats
        if empty:
            stats.empty_since = now
            if stats.first_empty_at is None:
                stats.first_empty_at = now
            self._trace.milestone("regional_endpoint_empty", "dns-store", endpoint=self.regional_endpoint)
        elif stats.empty_since is not None:  # not the bootstrap write
            stats.empty_record_seconds += now - stats.empty_since
            stats.empty_since = None
            self._trace.milestone("regional_endpoint_restored", "dns-store", endpoint=self.regional_endpoint)
