"""A DNS Enactor: applies the newest plan endpoint by endpoint.

Three run, one per AZ, fully independent. At the start of a pass an Enactor
asks the plan store for the newest plan and Route 53 for its rollback state,
and checks **once** that the plan is newer than the one last applied (the
rollback record). Then for every endpoint, in the walk order, it sends one
all-or-nothing Route 53 transaction (:class:`Transact`: lock record, change
batch, release) and waits for its answer. Another Enactor's transaction in
flight on that endpoint aborts the attempt (``LOCK_CONFLICT``), which is
retried after capped exponential backoff with full jitter. Now and then the
Enactor is held up before an endpoint (the injected jitter: a processing
delay, drawn the same way for every endpoint).

Nothing else makes an Enactor late: its lost locks, backoff and processing
delays add up over the pass, and the regional endpoint is reached only
after the endpoints before it in the walk. If by then the others have
applied plans many generations newer, its freshness check is stale (time of
check vs. time of use): it overwrites the regional endpoint with its old
plan, and a faster Enactor's clean-up deletes that plan. What made the pass
late is kept with each regional write, so the report can say it per race.

Its control channel carries the operator's off-switch (:class:`SetAutomation`)
and fault injection's host pause (:class:`StallEnactor`); it drains them with
``receive_nowait`` at each step, so a control costs no extra wake-up.

With ``dns.race_fix`` the commit is conditional on the generation (the check
holds at write time); with ``dns.plan_protection`` an empty plan is refused.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import trio

from actors.dns.asking import Request, ask
from actors.dns.messages import (
    CleanupRequest,
    EnactorControl,
    GetNewestPlan,
    GetRollbackState,
    Plan,
    PlanStoreRequest,
    RollbackState,
    Route53Request,
    SetAutomation,
    StallEnactor,
    Transact,
    TransactionResult,
)
from emulator.kernel.mailbox import Reply

if TYPE_CHECKING:
    import random

    from actors.dns.config import DnsConfig
    from actors.dns.stats import DnsStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["DnsEnactor"]

T = TypeVar("T")


class DnsEnactor:
    def __init__(
        self,
        name: str,
        *,
        clock: Clock,
        rng: random.Random,
        config: DnsConfig,
        plan_store: trio.MemorySendChannel[PlanStoreRequest],
        route53: trio.MemorySendChannel[Route53Request],
        cleanup: trio.MemorySendChannel[CleanupRequest],
        control: trio.MemoryReceiveChannel[EnactorControl],
        stats: DnsStats,
        trace: Trace,
        regional_endpoint: str,
    ) -> None:
        self.name = name
        self._clock = clock
        self._rng = rng
        self._config = config
        self._settings = config.enactor
        self._plans = plan_store
        self._route53 = route53
        self._cleanup = cleanup
        self._control = control
        self._stats = stats
        self._trace = trace
        self._regional = regional_endpoint
        self._enabled = config.automation_enabled
        self._stalled_until = -math.inf
        self._stuck = False
        # Doubling past this many attempts no longer changes the capped ceiling,
        # so the exponent is clamped there and 2**attempt can never overflow.
        base, cap = self._settings.backoff_base_s, self._settings.backoff_cap_s
        self._max_doublings = max(0, math.ceil(math.log2(cap / base)))
        stats.applying_generation[name] = 0
        stats.applied_generation[name] = 0
        stats.automation_enabled[name] = self._enabled

    async def run(self) -> None:
        settings = self._settings
        while True:
            await self._wait_out_injected_stall()
            if not self._enabled:
                # Switched off, an Enactor has no step to take: it waits for its
                # next control instead of polling the switch.
                self._take_control(await self._control.receive())
                continue
            plan = await self._ask(self._plans, GetNewestPlan(Reply()))
            state = await self._ask(self._route53, GetRollbackState(Reply()))
            # The one-time freshness check, at the start of the pass.
            if plan is None or state is None or plan.generation <= state.rollback_generation:
                await self._clock.sleep(settings.idle_poll_s)
                continue
            if _cannot_proceed(state):
                self._note_stuck(state.inconsistent_endpoints)
                await self._clock.sleep(settings.stuck_retry_s)
                continue
            self._note_unstuck()
            if await self._apply(plan):
                self._stats.applied_generation[self.name] = plan.generation
                self._trace.record("plan_applied", self.name, generation=plan.generation)
                # Clean-up is part of finishing a plan: wait for it before the next pass.
                request = CleanupRequest(plan.generation, self.name)
                await self._cleanup.send(request)
                await request.done.wait_until(self._clock, self._clock.now() + self._settings.request_timeout_s)

    async def _apply(self, plan: Plan) -> bool:
        """Walk every endpoint; False if the pass had to be abandoned."""
        self._stats.applying_generation[self.name] = plan.generation
        lateness = _Lateness(self._clock.now())
        for endpoint, _records in plan.endpoints:
            await self._wait_out_injected_stall(lateness)
            await self._maybe_stall(endpoint, lateness)
            result = await self._transact(endpoint, plan, lateness)
            if result is TransactionResult.APPLIED:
                continue
            self._trace.record("pass_abandoned", self.name, generation=plan.generation, why=result.value)
            if result is TransactionResult.INCONSISTENT:
                state = await self._ask(self._route53, GetRollbackState(Reply()))
                self._note_stuck(state.inconsistent_endpoints if state is not None else 0)
            return False
        return True

    async def _transact(self, endpoint: str, plan: Plan, lateness: _Lateness) -> TransactionResult:
        settings = self._settings
        attempt = 0
        while True:
            transaction = Transact(
                endpoint,
                plan,
                self.name,
                conditional_on_generation=self._config.race_fix,
                refuse_empty=self._config.plan_protection,
                reply=Reply(),
            )
            result = await self._ask(self._route53, transaction)
            if result is not None and result is not TransactionResult.LOCK_CONFLICT:
                self._note_result(endpoint, plan, result, lateness)
                return result
            self._stats.lock_conflicts += 1
            lateness.lock_conflicts += 1
            self._trace.record("lock_conflict", self.name, endpoint=endpoint, attempt=attempt)
            ceiling = min(settings.backoff_cap_s, settings.backoff_base_s * 2 ** min(attempt, self._max_doublings))
            attempt += 1
            backoff = self._rng.uniform(0.0, ceiling)
            lateness.backoff_s += backoff
            await self._clock.sleep(backoff)

    def _note_result(self, endpoint: str, plan: Plan, result: TransactionResult, lateness: _Lateness) -> None:
        """Instrumentation only: read from the DNS stats the plan store keeps, not asked of it."""
        stats = self._stats
        lag = self._note_lag(plan.generation)
        if result is TransactionResult.APPLIED:
            if lag > self._config.cleanup.keep_generations:
                stats.stale_writes += 1
            if endpoint == self._regional:
                stats.regional_write_lateness[self.name] = lateness.as_report(self._clock.now(), lag)
        self._trace.record("txn", self.name, endpoint=endpoint, generation=plan.generation, result=result.value)

    def _note_lag(self, generation: int) -> int:
        """Generations between ``generation`` and the newest plan, kept if the largest yet."""
        stats = self._stats
        lag = stats.newest_generation - generation
        if lag > stats.enactor_max_lag_generations:
            stats.enactor_max_lag_generations = lag
        return lag

    async def _maybe_stall(self, endpoint: str, lateness: _Lateness) -> None:
        """The injected jitter: now and then a processing delay before an endpoint's transaction.

        Drawn the same way before every endpoint, the regional one included
        (``endpoint`` only names it in the trace).
        """
        settings = self._settings
        if settings.stall_probability and self._rng.random() < settings.stall_probability:
            stall = self._rng.uniform(settings.stall_min_s, settings.stall_max_s)
            lateness.stall_s += stall
            self._trace.record("enactor_stall", self.name, endpoint=endpoint, seconds=round(stall, 3))
            await self._clock.sleep(stall)

    # -- controls ----------------------------------------------------------------
    async def _wait_out_injected_stall(self, lateness: _Lateness | None = None) -> None:
        """The Enactor's natural step: take the controls that arrived, honour a stall."""
        self._drain_controls()
        now = self._clock.now()
        if self._stalled_until > now:
            self._trace.record("stalled", self.name, until=self._stalled_until)
            if lateness is not None:
                lateness.stall_s += self._stalled_until - now
            await self._clock.sleep_until(self._stalled_until)
            # Held up, it fell behind whether or not it was mid-pass: the plans
            # written meanwhile are generations it has not applied.
            self._note_lag(self._stats.applied_generation[self.name])

    def _drain_controls(self) -> None:
        while True:
            try:
                control = self._control.receive_nowait()
            except trio.WouldBlock:
                return
            self._take_control(control)

    def _take_control(self, control: EnactorControl) -> None:
        if isinstance(control, SetAutomation):
            if control.enabled != self._enabled:
                self._trace.record("automation_switched", self.name, enabled=control.enabled)
            self._enabled = control.enabled
            self._stats.automation_enabled[self.name] = control.enabled
        elif isinstance(control, StallEnactor):
            self._stalled_until = control.until

    # -- requests and instrumentation --------------------------------------------------
    async def _ask(self, channel: trio.MemorySendChannel[Any], request: Request[T]) -> T | None:
        answer = await ask(self._clock, channel, request, self._settings.request_timeout_s)
        if answer is None and request.reply.abandoned:
            self._trace.record("request_timed_out", self.name, request=type(request).__name__)
        return answer

    def _note_stuck(self, inconsistent_endpoints: int) -> None:
        if self._stuck:
            return
        self._stuck = True
        stats = self._stats
        if stats.stuck_since is None:
            stats.stuck = True
            stats.stuck_since = self._clock.now()
            self._trace.milestone("dns_automation_stuck", self.name, endpoints=inconsistent_endpoints)

    def _note_unstuck(self) -> None:
        if not self._stuck:
            return
        self._stuck = False
        stats = self._stats
        if stats.stuck_since is not None:
            stats.stuck_seconds += self._clock.now() - stats.stuck_since
            stats.stuck_since = None
            self._trace.milestone("dns_automation_unstuck", self.name)


@attrs.define
class _Lateness:
    """What held one pass up since its freshness check: its own instrumentation."""

    checked_at: float
    lock_conflicts: int = 0
    backoff_s: float = 0.0
    stall_s: float = 0.0

    def as_report(self, now: float, lag_generations: int) -> dict[str, float | int]:
        return {
            "lock_conflicts": self.lock_conflicts,
            "backoff_s": round(self.backoff_s, 3),
            "stall_s": round(self.stall_s, 3),
            "since_check_s": round(now - self.checked_at, 3),
            "lag_generations": lag_generations,
        }


def _cannot_proceed(state: RollbackState) -> bool:
    """Stuck: an endpoint's active plan is gone, or the rollback record points at a deleted plan."""
    return state.inconsistent_endpoints > 0 or (
        state.rollback_generation != 0 and state.rollback_generation not in state.record_generations
    )
