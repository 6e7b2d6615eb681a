"""Route 53, the plan store and clean-up as tasks, for tests of the DNS automation's actors.

No world: the stores run on their channels in virtual time, and a test plays
(or runs) the Enactors against them. Shared by the Route 53 / clean-up tests
and the Enactor tests, which drive the same stores.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from actors.dns.asking import Request, ask
from actors.dns.cleanup import run_cleanup
from actors.dns.config import DnsConfig
from actors.dns.messages import (
    CleanupRequest,
    GetRollbackState,
    Plan,
    PlanStoreRequest,
    Resolve,
    RollbackState,
    Route53Request,
    Transact,
    WeightedRecord,
)
from actors.dns.plan_store import PlanStore
from actors.dns.route53 import DnsStore
from actors.dns.stats import DnsStats
from emulator.kernel.clock import VirtualClock
from emulator.kernel.mailbox import Reply
from emulator.kernel.trace import Trace

__all__ = ["ENDPOINTS", "OTHER", "REGIONAL", "Dns", "plan", "run_with"]

REGIONAL = "dynamodb.us-east-1.amazonaws.com"
OTHER = "dynamodb.us-east-1.api.aws"
ENDPOINTS = (REGIONAL, OTHER)


def plan(generation: int) -> Plan:
    """Generation ``g``'s addresses are 10.g.0.1 and 10.g.0.2 on every endpoint."""
    records = tuple(WeightedRecord(f"10.{generation}.0.{host}", 50) for host in (1, 2))
    return Plan(generation, tuple((endpoint, records) for endpoint in ENDPOINTS))


class Dns:
    """Route 53 and the plan store as tasks, with the ends a test talks to."""

    def __init__(self, clock: VirtualClock, config: DnsConfig) -> None:
        self.clock = clock
        self.config = config
        self.stats = DnsStats()
        self.cleanup_requested_at = 0.0
        self.trace = Trace(clock, seed=0)
        self.route53, route53_inbox = trio.open_memory_channel[Route53Request](64)
        self.plans, plans_inbox = trio.open_memory_channel[PlanStoreRequest](64)
        self.cleanup, self._cleanup_inbox = trio.open_memory_channel[CleanupRequest](4)
        self._store = DnsStore(
            route53_inbox,
            clock=clock,
            trace=self.trace,
            stats=self.stats,
            regional_endpoint=REGIONAL,
            rng=random.Random(0),
            config=config.route53,
        )
        self._plan_store = PlanStore(plans_inbox, stats=self.stats, trace=self.trace)

    def start(self, nursery: trio.Nursery) -> None:
        nursery.start_soon(self._store.run)
        nursery.start_soon(self._plan_store.run)
        nursery.start_soon(self._run_cleanup)

    async def _run_cleanup(self) -> None:
        await run_cleanup(
            clock=self.clock,
            config=self.config,
            requests=self._cleanup_inbox,
            plan_store=self.plans,
            route53=self.route53,
            stats=self.stats,
            trace=self.trace,
        )

    async def ask_route53(self, message: Request[Any]) -> object:
        return await ask(self.clock, self.route53, message, 5.0)

    def transact(self, endpoint: str, generation: int, holder: str, *, race_fix: bool = False) -> Transact:
        """Send one endpoint's transaction without waiting for its answer."""
        transaction = Transact(endpoint, plan(generation), holder, race_fix, refuse_empty=False, reply=Reply())
        self.route53.send_nowait(transaction)
        return transaction

    async def apply(self, endpoint: str, generation: int, holder: str, *, race_fix: bool = False) -> object:
        """What an Enactor does for one endpoint: one transaction, its answer."""
        return await self.transact(endpoint, generation, holder, race_fix=race_fix).reply.wait_until(
            self.clock, self.clock.now() + 60.0
        )

    async def resolve(self, endpoint: str) -> object:
        return await self.ask_route53(Resolve(endpoint, Reply()))

    async def rollback_state(self) -> RollbackState:
        state = await self.ask_route53(GetRollbackState(Reply()))
        assert isinstance(state, RollbackState)
        return state


def run_with(config: DnsConfig, body: Callable[[Dns], Awaitable[None]]) -> Dns:
    clock = VirtualClock()
    dns = Dns(clock, config)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(clock.run)
            dns.start(nursery)
            await body(dns)
            nursery.cancel_scope.cancel()

    trio.run(main)
    return dns
