"""Clean-up: deletes plans many generations older than the one just applied.

Invoked (over a channel) by an Enactor that finished a pass. Without plan
protection it trusts that a plan ``keep_generations`` older than the one just
applied cannot be in use; the race proves it wrong. With
``dns.plan_protection`` it never deletes an active plan, nor any of the
newest ``keep_generations`` plans in the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.dns.messages import CleanupRequest
from actors.dns.stats import DnsStats

if TYPE_CHECKING:
    import trio

    from actors.dns.config import DnsConfig
    from actors.dns.plan_store import PlanStore
    from actors.dns.route53 import DnsStore
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["run_cleanup"]


async def run_cleanup(
    *,
    clock: Clock,
    config: DnsConfig,
    requests: trio.MemoryReceiveChannel[CleanupRequest],
    plan_store: PlanStore,
    dns_store: DnsStore,
    stats: DnsStats,
    trace: Trace,
) -> None:
    keep = config.cleanup.keep_generations
    async for request in requests:
        await clock.sleep(config.cleanup.latency_s)
        threshold = request.generation - keep
        protected: set[int] = set()
        if config.plan_protection:
            threshold = min(threshold, plan_store.newest_generation - keep)
            protected = dns_store.active_generations()
        deleted = 0
        # A plan lives in DNS as a tree of records, so clean-up deletes the
        # record trees of old generations (including one a late Enactor has
        # just written again) as well as the stored plans.
        doomed = set(dns_store.generations_below(threshold)) | set(plan_store.generations_below(threshold))
        for generation in sorted(doomed - protected):
            plan_store.delete(generation)
            dns_store.delete_generation(generation)
            deleted += 1
        stats.plans_deleted += deleted
        request.done.send(deleted)
        trace.record("cleanup", "dns-cleanup", requested_by=request.enactor, below=threshold, deleted=deleted)
