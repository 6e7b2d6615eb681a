"""Clean-up: deletes plans many generations older than the one just applied.

Asked (over its channel) by an Enactor that finished a pass. It lists the
plan store's generations and reads Route 53's rollback state, then deletes
the old plans from the plan store and their record trees from Route 53, all
by messages. Without plan protection it trusts that a plan
``keep_generations`` older than the one just applied cannot be in use; the
race proves it wrong. With ``dns.plan_protection`` it never deletes an active
plan (Route 53 re-checks that inside the delete), nor any of the newest
``keep_generations`` plans in the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.dns.asking import ask
from actors.dns.messages import (
    CleanupRequest,
    DeletePlans,
    DeleteRecordTrees,
    GetRollbackState,
    ListGenerations,
    PlanStoreRequest,
    Route53Request,
)
from emulator.kernel.mailbox import Reply

if TYPE_CHECKING:
    import trio

    from actors.dns.config import DnsConfig
    from actors.dns.stats import DnsStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["run_cleanup"]

ACTOR = "dns-cleanup"


async def run_cleanup(
    *,
    clock: Clock,
    config: DnsConfig,
    requests: trio.MemoryReceiveChannel[CleanupRequest],
    plan_store: trio.MemorySendChannel[PlanStoreRequest],
    route53: trio.MemorySendChannel[Route53Request],
    stats: DnsStats,
    trace: Trace,
) -> None:
    keep = config.cleanup.keep_generations
    timeout = config.enactor.request_timeout_s
    async for request in requests:
        await clock.sleep(config.cleanup.latency_s)
        stored = await ask(clock, plan_store, ListGenerations(Reply()), timeout)
        state = await ask(clock, route53, GetRollbackState(Reply()), timeout)
        if stored is None or state is None:
            trace.record("cleanup_skipped", ACTOR, requested_by=request.enactor)
            request.done.send(0)
            continue
        threshold = request.generation - keep
        protected: frozenset[int] = frozenset()
        if config.plan_protection:
            threshold = min(threshold, max(stored, default=0) - keep)
            protected = state.active_generations
        # A plan lives in DNS as a tree of records, so clean-up deletes the
        # record trees of old generations (including one a late Enactor has
        # just written again) as well as the stored plans.
        doomed = {g for g in state.record_generations if g < threshold} | {g for g in stored if g < threshold}
        generations = tuple(sorted(doomed - protected))
        if generations:
            await ask(clock, plan_store, DeletePlans(generations, Reply()), timeout)
            delete = DeleteRecordTrees(generations, Reply(), protect_active=config.plan_protection)
            await ask(clock, route53, delete, timeout)
        stats.plans_deleted += len(generations)
        request.done.send(len(generations))
        trace.record("cleanup", ACTOR, requested_by=request.enactor, below=threshold, deleted=len(generations))
