"""Wiring of the actor graph, and the run itself.

Data flows the way the incident flowed: Planner -> plan store -> Enactors ->
DNS store <- resolvers <- DynamoDB clients (DWFM, EC2 launches) -> DWFM
hosts <-> droplet lease actors -> launches -> Network Manager -> NLB targets
<- health checkers. Each stage's wiring lives in its own module (``dns``,
``ec2``, ``network``); :class:`World` builds them all up front (so a crash
still leaves state to report), connects them, then :meth:`World.run` starts
them in one root nursery, with the clock's driver first, and cancels
everything when the duration is reached.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Awaitable, Callable, Sequence

import trio

from actors.operator.dns_runbook import run_dns_runbook
from actors.operator.dwfm_runbook import run_dwfm_runbook
from actors.operator.nlb_runbook import run_nlb_runbook
from actors.operator.stats import OperatorStats
from actors.operator.throttle_runbook import run_throttle_relaxation
from emulator.config.loading import ConfigError
from emulator.config.tree import Config
from emulator.kernel.clock import Clock, VirtualClock, wait_until_idle
from emulator.kernel.determinism import actor_rng, seed_trio_scheduler
from emulator.kernel.realtime_clock import RealtimeClock
from emulator.kernel.trace import Trace
from emulator.world.dns import AZS, DnsSide
from emulator.world.ec2 import Fleet
from emulator.world.faults import schedule_faults
from emulator.world.invariants import start_invariant_checker
from emulator.world.network import NetworkSide
from emulator.world.phases import PhaseTracker
from metrics.schema import PHASE_NAMES, Snapshot

__all__ = ["AZS", "Observer", "World"]


Observer = Callable[["World"], Awaitable[None]]


class World:
    """Every store and actor of one run, built from a config and a seed."""

    def __init__(self, config: Config, seed: int, clock: Clock) -> None:
        self.config = config
        self.seed = seed
        self.clock = clock
        self.trace = Trace(clock, seed)
        self.phases = PhaseTracker()
        self.trace.milestone_listeners.append(self.phases.observe)
        self.operator_stats = OperatorStats()
        self.dns = DnsSide(config, clock=clock, rng=self.rng, trace=self.trace)
        self._check_fault_targets()
        self.fleet = Fleet(
            config,
            azs=AZS,
            clock=clock,
            rng=self.rng,
            trace=self.trace,
            client=self.dns.client,
        )
        self.network = NetworkSide(
            config, azs=AZS, clock=clock, rng=self.rng, trace=self.trace, launcher=self.fleet.launcher_control
        )
        manager = self.network.manager.inbox
        self.fleet.subscribe(
            lease_changes=[manager], launches=[manager, *self.network.lb_inboxes], terminations=[manager]
        )
        self.finished = False
        self._root_scope: trio.CancelScope | None = None

    def _check_fault_targets(self) -> None:
        for fault in self.config.faults:
            allowed = self.dns.enactor_names if fault.kind == "stall_enactor" else self.dns.endpoints
            if fault.target and fault.target not in allowed:
                raise ConfigError(
                    f"invalid fault target {fault.target!r} for {fault.kind}: allowed {', '.join(allowed[:5])}"
                    + (" ..." if len(allowed) > 5 else "")
                )

    def rng(self, actor: str) -> random.Random:
        return actor_rng(self.seed, actor)

    def metrics_snapshot(self) -> Snapshot:
        """Every metric of :mod:`metrics.schema`, read from the actors' own counters."""
        open_phases = self.phases.open
        return {
            "emulator_virtual_time_seconds": self.clock.now(),
            "emulator_phase_active": {(name,): float(name in open_phases) for name in PHASE_NAMES},
            **self.dns.snapshot(),
            "operator_actions_total": {(action,): float(n) for action, n in self.operator_stats.actions.items()},
            **self.fleet.snapshot(),
            **self.network.snapshot(),
        }

    def report_sections(self) -> dict[str, dict[str, object]]:
        """The report's per-stage sections: dns, dynamodb, dwfm, ec2, network_manager, nlb."""
        now = self.clock.now()
        return {**self.dns.report(now), **self.fleet.report(now), **self.network.report()}

    def stop(self) -> None:
        """End the run, at its duration or early (Ctrl-C in a soak): actors are cancelled, state kept.

        Parked droplets are told by their inboxes instead (``Fleet.end``): with
        a large fleet, cancelling them is most of the cost of stopping.
        """
        if self._root_scope is not None:
            self.fleet.end()
            self._root_scope.cancel()

    async def run(self, observers: Sequence[Observer] = ()) -> None:
        """Run every actor until ``run.duration_s`` (or :meth:`stop`).

        ``observers`` are started after the clock and before any actor, each
        as ``observer(world)``: samplers, exporters, status printers.
        """
        config = self.config
        if isinstance(self.clock, VirtualClock):
            seed_trio_scheduler(self.seed)
        self.dns.bootstrap()
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
            root.start_soon(self.dns.run)
            root.start_soon(self.fleet.run)
            root.start_soon(self.network.run)
            if config.operator.enabled:
                root.start_soon(self._operator)
            schedule_faults(
                config.faults,
                clock=self.clock,
                route53=self.dns.route53_requests,
                regional_endpoint=self.dns.regional_endpoint,
                enactors=self.dns.enactor_controls,
                trace=self.trace,
            )
            start_invariant_checker(self.clock, self.config, self.metrics_snapshot)
            if isinstance(self.clock, RealtimeClock):
                # Time starts once every actor has taken its first step.
                await wait_until_idle()
                self.clock.begin()
            await self.clock.sleep_until(config.run.duration_s)
            self.finished = True
            if isinstance(self.clock, RealtimeClock):
                self.clock.freeze(self.clock.now())  # tear-down takes no virtual time
            self.stop()

    async def _operator(self) -> None:
        """The runbooks, each a task: DNS, DWFM, NLB failover, throttle relaxation."""
        common = {"clock": self.clock, "actions": self.operator_stats, "trace": self.trace}
        operator = self.config.operator
        runbooks = (
            functools.partial(
                run_dns_runbook,
                config=operator,
                scrape=self.metrics_snapshot,
                regional_endpoint=self.dns.regional_endpoint,
                plan_store=self.dns.plan_store_requests,
                route53=self.dns.route53_requests,
                automation=self.dns.automation_switches,
            ),
            functools.partial(
                run_dwfm_runbook,
                config=operator,
                scrape=self.metrics_snapshot,
                hosts=self.fleet.host_controls,
                launcher=self.fleet.launcher_control,
            ),
            functools.partial(
                run_nlb_runbook,
                operator=operator,
                configured_failover=self.config.nlb.automatic_failover,
                scrape=self.metrics_snapshot,
                failover=self.network.failover_controls,
            ),
            functools.partial(
                run_throttle_relaxation,
                operator=operator,
                configured_admission=(self.config.dwfm.throttle.enabled, self.config.dwfm.throttle.max_queue),
                launch_ceiling_per_s=operator.relax_lift_at_demand_multiple
                * (self.config.ec2.launch_rate_per_s + self.config.ec2.retry_rate_per_s),
                scrape=self.metrics_snapshot,
                hosts=self.fleet.host_controls,
                launcher=self.fleet.launcher_control,
            ),
        )
        async with trio.open_nursery() as nursery:
            for runbook in runbooks:
                nursery.start_soon(functools.partial(runbook, **common))
