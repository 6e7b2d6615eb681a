"""Wiring of DynamoDB's side: the DNS automation, the DNS store, DynamoDB and its clients.

Planner -> plan store -> Enactors (x3) -> DNS store <- resolvers <- DynamoDB
clients. The customer workload's clients are started here; the DWFM hosts'
clients are built here too (:meth:`DnsSide.client`), so every client reaches
DynamoDB the same way.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import trio

from actors.control import ControlPlane
from actors.dns.cleanup import run_cleanup
from actors.dns.enactor import DnsEnactor
from actors.dns.messages import CleanupRequest
from actors.dns.plan_store import PlanStore
from actors.dns.planner import endpoint_names, make_plan, run_planner
from actors.dns.route53 import DnsStore
from actors.dns.stats import DnsStats
from actors.dynamodb.service import CachingResolver, DynamoDBClient, DynamoDBStats, DynamoDBStore
from actors.dynamodb.workload import ErrorEpisodes, run_client
from emulator.config.tree import Config
from emulator.kernel.clock import Clock
from emulator.kernel.trace import Trace
from metrics.schema import Snapshot

__all__ = ["AZS", "DnsSide"]

AZS = ("use1-az1", "use1-az2", "use1-az4")


class DnsSide:
    def __init__(
        self,
        config: Config,
        *,
        clock: Clock,
        rng: Callable[[str], random.Random],
        trace: Trace,
        control: ControlPlane,
    ) -> None:
        self._config = config
        self._clock = clock
        self._rng = rng
        self._trace = trace
        self._control = control
        dns = config.dns
        self.endpoints = endpoint_names(dns.endpoints, dns.regional_position)
        self.regional_endpoint = self.endpoints[min(dns.regional_position, dns.endpoints - 1)]
        self.dns_stats = DnsStats()
        self.plan_store = PlanStore()
        self.dns_store = DnsStore(clock, trace, self.dns_stats, self.regional_endpoint)
        self.dynamodb_stats = DynamoDBStats()
        self.dynamodb = DynamoDBStore(self.dynamodb_stats)
        self.error_episodes = ErrorEpisodes()
        self.enactor_names = tuple(
            f"dns-enactor-{AZS[i % len(AZS)]}" + (f"-{i}" if i >= len(AZS) else "") for i in range(dns.enactors)
        )
        self._cleanup_send, self._cleanup_receive = trio.open_memory_channel[CleanupRequest](16)
        self.enactors = [
            DnsEnactor(
                name,
                clock=clock,
                rng=rng(name),
                config=dns,
                plan_store=self.plan_store,
                dns_store=self.dns_store,
                control=control,
                stats=self.dns_stats,
                trace=trace,
                cleanup=self._cleanup_send,
                regional_endpoint=self.regional_endpoint,
            )
            for name in self.enactor_names
        ]

    def resolver(self) -> CachingResolver:
        return CachingResolver(self._clock, self.dns_store, self.regional_endpoint, self._config.dynamodb.resolver)

    def client(self, name: str) -> DynamoDBClient:
        """A DynamoDB client with its own caching resolver (one per host)."""
        return DynamoDBClient(self.resolver(), self.dynamodb, self._rng(name))

    def bootstrap(self) -> None:
        """Generation 1 is in place before the run starts, as in steady state."""
        config = self._config.dns
        first = make_plan(1, self.endpoints, config.addresses_per_endpoint, self._rng("dns-planner-bootstrap"))
        self.plan_store.put(first)
        self.dns_store.restore(first)

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._planner)
            for enactor in self.enactors:
                nursery.start_soon(enactor.run)
            nursery.start_soon(self._cleanup)
            for index in range(self._config.dynamodb.workload.clients):
                nursery.start_soon(self._client, f"dynamodb-client-{index}")

    async def _planner(self) -> None:
        await run_planner(
            clock=self._clock,
            rng=self._rng("dns-planner"),
            config=self._config.dns,
            endpoints=self.endpoints,
            plan_store=self.plan_store,
            trace=self._trace,
        )

    async def _cleanup(self) -> None:
        await run_cleanup(
            clock=self._clock,
            config=self._config.dns,
            requests=self._cleanup_receive,
            plan_store=self.plan_store,
            dns_store=self.dns_store,
            stats=self.dns_stats,
            trace=self._trace,
        )

    async def _client(self, name: str) -> None:
        await run_client(
            name,
            clock=self._clock,
            rng=self._rng(name),
            client=self.client(name),
            rate_per_s=self._config.dynamodb.workload.rate_per_s,
            episodes=self.error_episodes,
            trace=self._trace,
        )

    def snapshot(self) -> Snapshot:
        newest = self.plan_store.newest_generation
        dns = self.dns_stats
        ddb = self.dynamodb_stats
        return {
            "dns_plan_newest_generation": float(newest),
            "dns_enactor_applied_generation": {(e.name,): float(e.applied_generation) for e in self.enactors},
            "dns_enactor_lag_generations": {
                (e.name,): float(max(0, newest - e.applying_generation)) for e in self.enactors
            },
            "dns_regional_endpoint_addresses": float(len(self.dns_store.resolve(self.regional_endpoint))),
            "dns_lock_conflicts_total": float(dns.lock_conflicts),
            "dns_plans_deleted_total": float(dns.plans_deleted),
            "dns_races_total": float(dns.races),
            "dns_automation_stuck": float(dns.stuck_since is not None),
            "dns_automation_enabled": float(self._control.dns_automation_enabled),
            "dynamodb_requests_total": {
                ("ok",): float(ddb.requests - ddb.failed_unresolvable),
                ("unresolvable",): float(ddb.failed_unresolvable),
            },
            "dynamodb_failing_clients": float(self.error_episodes.failing_clients),
        }

    def report(self, now: float) -> dict[str, dict[str, Any]]:
        dns = self.dns_stats
        return {
            "dns": {
                "race_occurred": dns.race_occurred,
                "races": dns.races,
                "first_empty_at": dns.first_empty_at,
                "empty_record_seconds": round(dns.empty_seconds_until(now), 3),
                "stuck": dns.stuck,
                "stuck_seconds": round(dns.stuck_seconds_until(now), 3),
                "enactor_max_lag_generations": dns.enactor_max_lag_generations,
                "plans_deleted": dns.plans_deleted,
                "lock_conflicts": dns.lock_conflicts,
                "stale_writes": dns.stale_writes,
            },
            "dynamodb": {
                "requests": self.dynamodb_stats.requests,
                "failed_unresolvable": self.dynamodb_stats.failed_unresolvable,
                "error_seconds": round(self.error_episodes.seconds_until(now), 3),
            },
        }
