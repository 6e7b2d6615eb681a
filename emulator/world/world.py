"""Wiring of the actor graph, and the run itself.

Data flows the way the incident flowed: Planner -> plan store -> Enactors ->
DNS store <- resolvers <- DynamoDB clients. :class:`World` builds every store
and actor up front (so a crash still leaves state to report), then
:meth:`World.run` starts them all in one root nursery, with the clock's
driver first, and cancels everything when the duration is reached.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Awaitable, Callable, Sequence

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
from actors.operator.recovery import run_nlb_runbook, run_throttle_relaxation
from actors.operator.runbooks import run_dwfm_runbook, run_operator
from emulator.config.loading import ConfigError
from emulator.config.tree import Config
from emulator.kernel.clock import Clock, VirtualClock
from emulator.kernel.determinism import actor_rng, seed_trio_scheduler
from emulator.kernel.trace import Trace
from emulator.world.ec2 import Fleet
from emulator.world.faults import schedule_faults
from emulator.world.network import NetworkSide
from emulator.world.phases import phases_from_timeline
from metrics.schema import PHASE_NAMES, Snapshot

__all__ = ["AZS", "Observer", "World"]

AZS = ("use1-az1", "use1-az2", "use1-az4")


Observer = Callable[["World"], Awaitable[None]]


class World:
    """Every store and actor of one run, built from a config and a seed."""

    def __init__(self, config: Config, seed: int, clock: Clock) -> None:
        self.config = config
        self.seed = seed
        self.clock = clock
        self.trace = Trace(clock, seed)
        self.control = ControlPlane(
            dns_automation_enabled=config.dns.automation_enabled,
            dwfm_throttle_enabled=config.dwfm.throttle.enabled,
            dwfm_throttle_max_queue=config.dwfm.throttle.max_queue,
            nlb_automatic_failover=config.nlb.automatic_failover,
        )
        dns = config.dns
        self.endpoints = endpoint_names(dns.endpoints, dns.regional_position)
        self.regional_endpoint = self.endpoints[min(dns.regional_position, dns.endpoints - 1)]
        self.dns_stats = DnsStats()
        self.plan_store = PlanStore()
        self.dns_store = DnsStore(clock, self.trace, self.dns_stats, self.regional_endpoint)
        self.dynamodb_stats = DynamoDBStats()
        self.dynamodb = DynamoDBStore(self.dynamodb_stats)
        self.error_episodes = ErrorEpisodes()
        self.enactor_names = tuple(
            f"dns-enactor-{AZS[i % len(AZS)]}" + (f"-{i}" if i >= len(AZS) else "") for i in range(dns.enactors)
        )
        self._check_fault_targets()
        self._cleanup_send, self._cleanup_receive = trio.open_memory_channel[CleanupRequest](16)
        self.enactors = [
            DnsEnactor(
                name,
                clock=clock,
                rng=self.rng(name),
                config=dns,
                plan_store=self.plan_store,
                dns_store=self.dns_store,
                control=self.control,
                stats=self.dns_stats,
                trace=self.trace,
                cleanup=self._cleanup_send,
                regional_endpoint=self.regional_endpoint,
            )
            for name in self.enactor_names
        ]
        self.fleet = Fleet(
            config,
            azs=AZS,
            clock=clock,
            rng=self.rng,
            trace=self.trace,
            control=self.control,
            resolver=self.resolver,
            dynamodb=self.dynamodb,
        )
        self.network = NetworkSide(
            config,
            azs=AZS,
            clock=clock,
            rng=self.rng,
            trace=self.trace,
            control=self.control,
            leases=self.fleet.leases,
        )
        self.fleet.on_launch = self.network.on_launch
        self.fleet.on_terminate = self.network.on_terminate
        self.fleet.admit_launch = self.network.admit_launch
        self.finished = False
        self._root_scope: trio.CancelScope | None = None

    def _check_fault_targets(self) -> None:
        for fault in self.config.faults:
            allowed = self.enactor_names if fault.kind == "stall_enactor" else self.endpoints
            if fault.target and fault.target not in allowed:
                raise ConfigError(
                    f"invalid fault target {fault.target!r} for {fault.kind}: allowed {', '.join(allowed[:5])}"
                    + (" ..." if len(allowed) > 5 else "")
                )

    def rng(self, actor: str) -> random.Random:
        return actor_rng(self.seed, actor)

    def resolver(self) -> CachingResolver:
        return CachingResolver(self.clock, self.dns_store, self.regional_endpoint, self.config.dynamodb.resolver)

    def metrics_snapshot(self) -> Snapshot:
        """Every metric of :mod:`metrics.schema`, read from the actors' own counters."""
        now = self.clock.now()
        newest = self.plan_store.newest_generation
        dns = self.dns_stats
        ddb = self.dynamodb_stats
        open_phases = {phase["name"] for phase in phases_from_timeline(self.trace.timeline) if phase["end"] is None}
        return {
            "emulator_virtual_time_seconds": now,
            "emulator_phase_active": {(name,): float(name in open_phases) for name in PHASE_NAMES},
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
            "dns_automation_enabled": float(self.control.dns_automation_enabled),
            "dynamodb_requests_total": {
                ("ok",): float(ddb.requests - ddb.failed_unresolvable),
                ("unresolvable",): float(ddb.failed_unresolvable),
            },
            "dynamodb_failing_clients": float(self.error_episodes.failing_clients),
            "operator_actions_total": {(action,): float(n) for action, n in self.control.operator_actions.items()},
            **self.fleet.snapshot(),
            **self.network.snapshot(),
            "nlb_automatic_failover_enabled": float(self.control.nlb_automatic_failover),
        }

    def _bootstrap(self) -> None:
        """Generation 1 is in place before the run starts, as in steady state."""
        first = make_plan(1, self.endpoints, self.config.dns.addresses_per_endpoint, self.rng("dns-planner-bootstrap"))
        self.plan_store.put(first)
        self.dns_store.restore(first)

    def stop(self) -> None:
        """End the run early (Ctrl-C in a soak): actors are cancelled, state kept."""
        if self._root_scope is not None:
            self._root_scope.cancel()

    async def run(self, observers: Sequence[Observer] = ()) -> None:
        """Run every actor until ``run.duration_s`` (or :meth:`stop`).

        ``observers`` are started after the clock and before any actor, each
        as ``observer(world)``: samplers, exporters, status printers.
        """
        config = self.config
        if isinstance(self.clock, VirtualClock):
            seed_trio_scheduler(self.seed)
        self._bootstrap()
        async with trio.open_nursery() as root:
            self._root_scope = root.cancel_scope
            await root.start(self.clock.run)
            for observer in observers:
                root.start_soon(observer, self)
            if isinstance(self.clock, VirtualClock):
                # Let the observers take their first steps, then reseed Trio's
                # batch order, so a run with observers (recorders, exporters)
                # replays the same world as one without. (Not by waiting for
                # idle: that would race the clock's driver, which jumps time.)
                for _ in range(3):
                    await trio.lowlevel.checkpoint()
                seed_trio_scheduler(self.seed)
            root.start_soon(self._run_dns_automation)
            root.start_soon(self.fleet.run)
            root.start_soon(self.network.run)
            for index in range(config.dynamodb.workload.clients):
                name = f"dynamodb-client-{index}"
                client = DynamoDBClient(self.resolver(), self.dynamodb, self.rng(name))
                root.start_soon(self._client, name, client)
            if config.operator.enabled:
                root.start_soon(self._operator)
            schedule_faults(
                config.faults,
                clock=self.clock,
                dns_store=self.dns_store,
                control=self.control,
                enactor_names=self.enactor_names,
                trace=self.trace,
            )
            await self.clock.sleep_until(config.run.duration_s)
            self.finished = True
            root.cancel_scope.cancel()

    async def _run_dns_automation(self) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._planner)
            for enactor in self.enactors:
                nursery.start_soon(enactor.run)
            nursery.start_soon(self._cleanup, self._cleanup_receive)

    async def _planner(self) -> None:
        await run_planner(
            clock=self.clock,
            rng=self.rng("dns-planner"),
            config=self.config.dns,
            endpoints=self.endpoints,
            plan_store=self.plan_store,
            trace=self.trace,
        )

    async def _cleanup(self, requests: trio.MemoryReceiveChannel[CleanupRequest]) -> None:
        await run_cleanup(
            clock=self.clock,
            config=self.config.dns,
            requests=requests,
            plan_store=self.plan_store,
            dns_store=self.dns_store,
            stats=self.dns_stats,
            trace=self.trace,
        )

    async def _client(self, name: str, client: DynamoDBClient) -> None:
        await run_client(
            name,
            clock=self.clock,
            rng=self.rng(name),
            client=client,
            rate_per_s=self.config.dynamodb.workload.rate_per_s,
            episodes=self.error_episodes,
            trace=self.trace,
        )

    async def _operator(self) -> None:
        """The runbooks, each a task: DNS, DWFM, NLB failover, throttle relaxation."""
        common = {"clock": self.clock, "control": self.control, "trace": self.trace}
        operator = self.config.operator
        runbooks = (
            functools.partial(run_operator, config=operator, dns_store=self.dns_store, plan_store=self.plan_store),
            functools.partial(run_dwfm_runbook, config=operator, hosts=self.fleet.hosts, stats=self.fleet.stats),
            functools.partial(
                run_nlb_runbook,
                operator=operator,
                configured_failover=self.config.nlb.automatic_failover,
                stats=self.network.nlb_stats,
            ),
            functools.partial(
                run_throttle_relaxation,
                operator=operator,
                configured_admission=(self.config.dwfm.throttle.enabled, self.config.dwfm.throttle.max_queue),
                # Lift the launch limit once doubling takes it past 4x the demand (calibrated).
                launch_ceiling_per_s=4 * (self.config.ec2.launch_rate_per_s + self.config.ec2.retry_rate_per_s),
                dwfm=self.fleet.stats,
            ),
        )
        async with trio.open_nursery() as nursery:
            for runbook in runbooks:
                nursery.start_soon(functools.partial(runbook, **common))
