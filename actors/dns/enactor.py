"""A DNS Enactor: applies the newest plan endpoint by endpoint.

Three run, one per AZ, fully independent. Each picks up the newest plan and
checks **once, at the start**, that it is newer than the plan already
applied; then for every endpoint it takes the endpoint's lock record, spends
the transaction's latency, and commits an all-or-nothing change batch. A lock
held by another Enactor aborts the attempt, which is retried after capped
exponential backoff with full jitter. Occasionally the Enactor stalls for a
long time between endpoints (the injected jitter): that is what lets its
start-of-pass freshness check go stale while the others race ahead.

With ``dns.race_fix`` the commit is conditional on the generation (the check
holds at write time); with ``dns.plan_protection`` an empty plan is refused.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

from actors.dns.messages import CleanupRequest, Plan, TransactionResult
from actors.dns.stats import DnsStats

if TYPE_CHECKING:
    import trio

    from actors.control import ControlPlane
    from actors.dns.config import DnsConfig
    from actors.dns.plan_store import PlanStore
    from actors.dns.route53 import DnsStore
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["DnsEnactor"]


class DnsEnactor:
    def __init__(
        self,
        name: str,
        *,
        clock: Clock,
        rng: random.Random,
        config: DnsConfig,
        plan_store: PlanStore,
        dns_store: DnsStore,
        control: ControlPlane,
        stats: DnsStats,
        trace: Trace,
        cleanup: trio.MemorySendChannel[CleanupRequest],
        regional_endpoint: str,
    ) -> None:
        self.name = name
        self._clock = clock
        self._rng = rng
        self._config = config
        self._settings = config.enactor
        self._plans = plan_store
        self._dns = dns_store
        self._control = control
        self._stats = stats
        self._trace = trace
        self._cleanup = cleanup
        self._regional = regional_endpoint
        self.applying_generation = 0
        self.applied_generation = 0
        self._stuck = False

    async def run(self) -> None:
        settings = self._settings
        while True:
            await self._wait_out_injected_stall()
            if not self._control.dns_automation_enabled:
                await self._clock.sleep(settings.idle_poll_s)
                continue
            plan = self._plans.newest()
            # The one-time freshness check, at the start of the pass.
            if plan is None or plan.generation <= self._dns.applied_generation:
                await self._clock.sleep(settings.idle_poll_s)
                continue
            if self._dns.inconsistent_endpoints():
                self._note_stuck()
                await self._clock.sleep(settings.stuck_retry_s)
                continue
            self._note_unstuck()
            if await self._apply(plan):
                self.applied_generation = plan.generation
                self._trace.record("plan_applied", self.name, generation=plan.generation)
                request = CleanupRequest(plan.generation, self.name)
                await self._cleanup.send(request)
                await request.done.wait()

    async def _apply(self, plan: Plan) -> bool:
        """Walk every endpoint; False if the pass had to be abandoned."""
        self.applying_generation = plan.generation
        for endpoint, _records in plan.endpoints:
            weight = self._config.regional_weight if endpoint == self._regional else 1.0
            await self._wait_out_injected_stall()
            await self._maybe_stall(weight)
            result = await self._transact(endpoint, plan)
            if result is TransactionResult.APPLIED:
                continue
            self._trace.record("pass_abandoned", self.name, generation=plan.generation, why=result.value)
            if result is TransactionResult.INCONSISTENT:
                self._note_stuck()
            return False
        return True

    async def _transact(self, endpoint: str, plan: Plan) -> TransactionResult:
        settings = self._settings
        attempt = 0
        while True:
            if self._dns.try_lock(endpoint, self.name, settings.lock_ttl_s):
                lag = self._plans.newest_generation - plan.generation
                if lag > self._stats.enactor_max_lag_generations:
                    self._stats.enactor_max_lag_generations = lag
                await self._clock.sleep(self._latency())
                result = self._dns.commit(
                    endpoint,
                    plan,
                    self.name,
                    conditional_on_generation=self._config.race_fix,
                    refuse_empty=self._config.plan_protection,
                )
                if result is not TransactionResult.LOCK_CONFLICT:
                    if result is TransactionResult.APPLIED and lag > self._config.cleanup.keep_generations:
                        self._stats.stale_writes += 1
                    self._trace.record(
                        "txn", self.name, endpoint=endpoint, generation=plan.generation, result=result.value
                    )
                    return result
            self._stats.lock_conflicts += 1
            self._trace.record("lock_conflict", self.name, endpoint=endpoint, attempt=attempt)
            ceiling = min(settings.backoff_cap_s, settings.backoff_base_s * 2**attempt)
            attempt += 1
            await self._clock.sleep(self._rng.uniform(0.0, ceiling))

    def _latency(self) -> float:
        settings = self._settings
        return settings.latency_median_s * math.exp(self._rng.gauss(0.0, settings.latency_sigma))

    async def _maybe_stall(self, weight: float) -> None:
        """The injected jitter: a rare, long pause before an endpoint's batch.

        Its chance scales with the endpoint's weight: the regional endpoint's
        record set is by far the largest, so its change batch is the one most
        likely to be held up.
        """
        settings = self._settings
        if settings.stall_probability and self._rng.random() < settings.stall_probability * weight:
            stall = self._rng.uniform(settings.stall_min_s, settings.stall_max_s)
            self._trace.record("enactor_stall", self.name, seconds=round(stall, 3))
            await self._clock.sleep(stall)

    async def _wait_out_injected_stall(self) -> None:
        until = self._control.enactor_stalled_until.get(self.name)
        if until is not None and until > self._clock.now():
            await self._clock.sleep_until(until)

    def _note_stuck(self) -> None:
        if self._stuck:
            return
        self._stuck = True
        stats = self._stats
        if stats.stuck_since is None:
            stats.stuck = True
            stats.stuck_since = self._clock.now()
            self._trace.milestone("dns_automation_stuck", self.name, endpoints=len(self._dns.inconsistent_endpoints()))

    def _note_unstuck(self) -> None:
        if not self._stuck:
            return
        self._stuck = False
        stats = self._stats
        if stats.stuck_since is not None:
            stats.stuck_seconds += self._clock.now() - stats.stuck_since
            stats.stuck_since = None
            self._trace.milestone("dns_automation_unstuck", self.name)
