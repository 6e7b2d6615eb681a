"""Wiring of DynamoDB's side: the DNS automation, Route 53, DynamoDB and its clients.

Planner -> plan store -> Enactors (x3) -> Route 53 <- resolvers <- DynamoDB
clients -> DynamoDB service. Every actor is a task; this module only opens
their channels, hands each actor the ends it uses and starts them. The
customer workload's clients are started here; the DWFM hosts' clients are
built here too (:meth:`DnsSide.client`), so every client reaches DynamoDB
the same way. The snapshot and report read the stats objects only.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import trio

from actors.dns.cleanup import run_cleanup
from actors.dns.enactor import DnsEnactor
from actors.dns.messages import (
    CleanupRequest,
    EnactorControl,
    PlanStoreRequest,
    PutPlan,
    RestoreRecords,
    Route53Request,
    SetAutomation,
)
from actors.dns.plan_store import PlanStore
from actors.dns.planner import endpoint_names, make_plan, run_planner
from actors.dns.route53 import DnsStore
from actors.dns.stats import DnsStats
from actors.dynamodb.client import CachingResolver, DynamoDBClient
from actors.dynamodb.messages import DynamoDBRequest
from actors.dynamodb.service import DynamoDBService
from actors.dynamodb.stats import DynamoDBStats
from actors.dynamodb.workload import ErrorEpisodes, run_client
from emulator.config.tree import Config
from emulator.kernel.clock import Clock
from emulator.kernel.trace import Trace
from metrics.schema import Snapshot

__all__ = ["AZS", "DnsSide"]

AZS = ("use1-az1", "use1-az2", "use1-az4")
BOOTSTRAP_GENERATION = 1
# Channel buffers: every sender has at most one request outstanding, so these
# bound nothing in practice; they only have to exceed the number of senders.
STORE_BUFFER = 256
SERVICE_BUFFER = 1024
CONTROL_BUFFER = 16


class DnsSide:
    def __init__(
        self,
        config: Config,
        *,
        clock: Clock,
        rng: Callable[[str], random.Random],
        trace: Trace,
    ) -> None:
        self._config = config
        self._clock = clock
        self._rng = rng
        self._trace = trace
        dns = config.dns
        self.endpoints = endpoint_names(dns.endpoints, dns.regional_position)
        self.regional_endpoint = self.endpoints[min(dns.regional_position, dns.endpoints - 1)]
        self.dns_stats = DnsStats()
        self.dynamodb_stats = DynamoDBStats()
        self.error_episodes = ErrorEpisodes()
        self.enactor_names = tuple(
            f"dns-enactor-{AZS[i % len(AZS)]}" + (f"-{i}" if i >= len(AZS) else "") for i in range(dns.enactors)
        )
        # The channels: senders are handed out below; each actor keeps its receiver.
        self.plan_store_requests, plan_store_inbox = trio.open_memory_channel[PlanStoreRequest](STORE_BUFFER)
        self.route53_requests, route53_inbox = trio.open_memory_channel[Route53Request](STORE_BUFFER)
        self._dynamodb_requests, dynamodb_inbox = trio.open_memory_channel[DynamoDBRequest](SERVICE_BUFFER)
        self._cleanup_send, self._cleanup_receive = trio.open_memory_channel[CleanupRequest](CONTROL_BUFFER)
        self.enactor_controls: dict[str, trio.MemorySendChannel[EnactorControl]] = {}
        self._planner_control_send, self._planner_control = trio.open_memory_channel[SetAutomation](CONTROL_BUFFER)
        self.plan_store = PlanStore(plan_store_inbox, stats=self.dns_stats, trace=trace)
        self.route53 = DnsStore(
            route53_inbox,
            clock=clock,
            trace=trace,
            stats=self.dns_stats,
            regional_endpoint=self.regional_endpoint,
            rng=rng("route53"),
            config=dns.route53,
        )
        self.dynamodb = DynamoDBService(
            dynamodb_inbox, clock=clock, config=config.dynamodb.service, stats=self.dynamodb_stats, trace=trace
        )
        self.enactors = []
        for name in self.enactor_names:
            self.enactor_controls[name], control_inbox = trio.open_memory_channel[EnactorControl](CONTROL_BUFFER)
            self.enactors.append(
                DnsEnactor(
                    name,
                    clock=clock,
                    rng=rng(name),
                    config=dns,
                    plan_store=self.plan_store_requests,
                    route53=self.route53_requests,
                    cleanup=self._cleanup_send,
                    control=control_inbox,
                    stats=self.dns_stats,
                    trace=trace,
                    regional_endpoint=self.regional_endpoint,
                )
            )

    @property
    def automation_switches(self) -> tuple[trio.MemorySendChannel[SetAutomation], ...]:
        """Where the off-switch goes: the Planner and every Enactor (the whole automation)."""
        return (self._planner_control_send, *self.enactor_controls.values())

    def resolver(self, name: str) -> CachingResolver:
        return CachingResolver(
            name,
            clock=self._clock,
            route53=self.route53_requests,
            endpoint=self.regional_endpoint,
            config=self._config.dynamodb.resolver,
            trace=self._trace,
        )

    def client(self, name: str) -> DynamoDBClient:
        """A DynamoDB client with its own caching resolver (one per host)."""
        return DynamoDBClient(
            clock=self._clock,
            resolver=self.resolver(name),
            service=self._dynamodb_requests,
            rng=self._rng(name),
            config=self._config.dynamodb.client,
            stats=self.dynamodb_stats,
        )

    def bootstrap(self) -> None:
        """Generation 1 is in place before the run starts, as in steady state.

        Sent as the first message on each store's channel, before any actor
        runs, so every later request finds it there.
        """
        config = self._config.dns
        first = make_plan(
            BOOTSTRAP_GENERATION, self.endpoints, config.addresses_per_endpoint, self._rng("dns-planner-bootstrap")
        )
        self.plan_store_requests.send_nowait(PutPlan(first))
        self.route53_requests.send_nowait(RestoreRecords(first))

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self.plan_store.run)
            nursery.start_soon(self.route53.run)
            nursery.start_soon(self.dynamodb.run)
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
            plan_store=self.plan_store_requests,
            control=self._planner_control,
            last_generation=BOOTSTRAP_GENERATION,
            trace=self._trace,
        )

    async def _cleanup(self) -> None:
        await run_cleanup(
            clock=self._clock,
            config=self._config.dns,
            requests=self._cleanup_receive,
            plan_store=self.plan_store_requests,
            route53=self.route53_requests,
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
        dns, ddb = self.dns_stats, self.dynamodb_stats
        newest = dns.newest_generation
        return {
            "dns_plan_newest_generation": float(newest),
            "dns_enactor_applied_generation": {
                (name,): float(generation) for name, generation in dns.applied_generation.items()
            },
            "dns_enactor_lag_generations": {
                (name,): float(max(0, newest - generation)) for name, generation in dns.applying_generation.items()
            },
            "dns_regional_endpoint_addresses": float(dns.regional_addresses),
            "dns_lock_conflicts_total": float(dns.lock_conflicts),
            "dns_plans_deleted_total": float(dns.plans_deleted),
            "dns_races_total": float(dns.races),
            "dns_automation_stuck": float(dns.stuck_since is not None),
            "dns_automation_enabled": float(all(dns.automation_enabled.values())),
            "dynamodb_requests_total": {
                ("ok",): float(ddb.ok),
                ("unresolvable",): float(ddb.failed_unresolvable),
                ("throttled",): float(ddb.throttled),
                ("timed_out",): float(ddb.timed_out),
            },
            "dynamodb_failing_clients": float(self.error_episodes.failing_clients),
        }

    def report(self, now: float) -> dict[str, dict[str, Any]]:
        dns, ddb = self.dns_stats, self.dynamodb_stats
        return {
            "dns": {
                "race_occurred": dns.race_occurred,
                "races": dns.races,
                "first_empty_at": dns.first_empty_at,
                "empty_record_seconds": round(dns.empty_seconds_until(now), 3),
                "stuck": dns.stuck,
                "stuck_seconds": round(dns.stuck_seconds_until(now), 3),
                "enactor_max_lag_generations": dns.enactor_max_lag_generations,
                "newest_generation": dns.newest_generation,
                "plans_held": dns.plans_held,
                "plans_deleted": dns.plans_deleted,
                "lock_conflicts": dns.lock_conflicts,
                "stale_writes": dns.stale_writes,
                # Per race: the late Enactor and what made it late in that pass.
                "race_details": list(dns.race_details),
            },
            "dynamodb": {
                "requests": ddb.requests,
                "failed_unresolvable": ddb.failed_unresolvable,
                "throttled": ddb.throttled,
                "timed_out": ddb.timed_out,
                "error_seconds": round(self.error_episodes.seconds_until(now), 3),
            },
        }
