"""Wiring of the network side: Network Manager, the NLBs, their health checkers and monitor.

Channels, as the data flows:

* EC2 launches -> Network Manager's inbox and every load balancer's inbox
  (autoscaling); customer terminations -> Network Manager; DWFM hosts'
  ``LeaseChanges`` -> Network Manager.
* Network Manager -> every checker and load balancer: ``PropagationProgress``;
  -> the launcher: ``SetLaunchAdmission`` (``network_manager.throttle``).
* Load balancers <-> checkers: one request and one result per pair per tick;
  load balancers -> monitor: one report per tick; retired targets -> Network
  Manager. The operator -> each load balancer's control channel.

The instances in service at the start are numbered below zero (EC2 numbers
its launches from one) and are fully propagated.

The world subscribes Network Manager's inbox (``manager.inbox``) and
:attr:`NetworkSide.lb_inboxes` to EC2's publications (``Fleet.subscribe``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import trio

from actors.ec2.messages import LauncherControl
from actors.network.manager import NetworkManager
from actors.network.messages import PropagationProgress
from actors.network.stats import NetworkStats
from actors.nlb.health_checker import CheckerMessage, HealthChecker
from actors.nlb.load_balancer import LoadBalancer, LoadBalancerMessage
from actors.nlb.messages import CheckResults, LoadBalancerTick, SetAutomaticFailover
from actors.nlb.monitor import NlbMonitor
from actors.nlb.stats import NlbStats
from emulator.config.tree import Config
from emulator.kernel.clock import Clock
from emulator.kernel.trace import Trace
from metrics.schema import HistogramSnapshot, Snapshot, spec

__all__ = ["NetworkSide"]

BUCKETS = spec("network_manager_propagation_seconds").buckets
# Load balancers' and checkers' inboxes are unbounded: Network Manager's
# progress reaches them from a clock timer, which cannot wait for room.
# (Launches and check requests come once per tick, so they stay small.)
INBOX_SIZE = math.inf


class NetworkSide:
    def __init__(
        self,
        config: Config,
        *,
        azs: tuple[str, ...],
        clock: Clock,
        rng: Callable[[str], random.Random],
        trace: Trace,
        launcher: trio.MemorySendChannel[LauncherControl],
    ) -> None:
        self._config = config
        self._azs = azs
        nlb, n_azs = config.nlb, len(azs)
        self.stats = NetworkStats(bucket_bounds=BUCKETS)
        self.nlb_stats = NlbStats(azs=n_azs, load_balancers=nlb.load_balancers)
        checker_inboxes = [trio.open_memory_channel[CheckerMessage](INBOX_SIZE) for _ in range(n_azs)]
        lb_inboxes = [trio.open_memory_channel[LoadBalancerMessage](INBOX_SIZE) for _ in range(nlb.load_balancers)]
        results = [trio.open_memory_channel[CheckResults](2 * n_azs) for _ in range(nlb.load_balancers)]
        controls = [trio.open_memory_channel[SetAutomaticFailover](8) for _ in range(nlb.load_balancers)]
        reports_send, reports = trio.open_memory_channel[LoadBalancerTick](2 * nlb.load_balancers)
        progress: list[trio.MemorySendChannel[PropagationProgress]] = [send for send, _ in checker_inboxes]
        progress += [send for send, _ in lb_inboxes]
        self.manager = NetworkManager(
            clock=clock,
            rng=rng("network-manager"),
            config=config.network_manager,
            stats=self.stats,
            trace=trace,
            progress=progress,
            admission=launcher,
        )
        self.lb_inboxes: list[trio.MemorySendChannel[LoadBalancerMessage]] = [send for send, _ in lb_inboxes]
        self.failover_controls: list[trio.MemorySendChannel[SetAutomaticFailover]] = [send for send, _ in controls]
        initial = self._initial_targets(config, n_azs, rng("nlb-placement"))
        self.load_balancers = [
            LoadBalancer(
                index,
                clock=clock,
                rng=rng(f"nlb-{index}"),
                config=nlb,
                stats=self.nlb_stats,
                trace=trace,
                targets=initial[index],
                inbox=lb_inboxes[index][1],
                control=controls[index][1],
                results=results[index][1],
                checkers=[send for send, _ in checker_inboxes],
                terminations=self.manager.inbox,
                monitor=reports_send,
            )
            for index in range(nlb.load_balancers)
        ]
        in_service = [instance for per_lb in initial for per_az in per_lb for instance, _ in per_az]
        self.checkers = [
            HealthChecker(
                az,
                clock=clock,
                config=nlb,
                stats=self.nlb_stats,
                trace=trace,
                inbox=checker_inboxes[az][1],
                results=[send for send, _ in results],
                peers=[send for send, _ in checker_inboxes],
                reachable=in_service,
            )
            for az in range(n_azs)
        ]
        self.monitor = NlbMonitor(
            clock=clock,
            config=nlb,
            stats=self.nlb_stats,
            trace=trace,
            reports=reports,
            load_balancers=nlb.load_balancers,
        )

    @staticmethod
    def _initial_targets(config: Config, azs: int, placement: random.Random) -> list[list[list[tuple[int, int]]]]:
        """Per load balancer, per AZ: ``(instance id, droplet)`` of the targets in service at the start."""
        droplets = [list(range(az, config.ec2.droplets, azs)) for az in range(azs)]
        next_id = 0
        initial = []
        for _ in range(config.nlb.load_balancers):
            per_az = []
            for az in range(azs):
                group = []
                for _ in range(config.nlb.targets_per_az):
                    next_id -= 1
                    pool = droplets[az]
                    group.append((next_id, pool[placement.randrange(len(pool))] if pool else -1))
                per_az.append(group)
            initial.append(per_az)
        return initial

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(self.manager.run)
            await nursery.start(self.monitor.run)
            for checker in self.checkers:
                await nursery.start(checker.run)
            for lb in self.load_balancers:
                await nursery.start(lb.run)

    def snapshot(self) -> Snapshot:
        nm, nlb = self.stats, self.nlb_stats
        cumulative, total = [], 0
        for count in nm.bucket_counts:
            total += count
            cumulative.append(total)
        return {
            "network_manager_backlog": float(nm.backlog),
            "network_manager_propagation_seconds": HistogramSnapshot(
                tuple(cumulative), nm.latency_count, nm.latency_sum
            ),
            "network_manager_instances_without_connectivity": float(nm.without_connectivity),
            "nlb_health_checks_total": {(result,): float(n) for result, n in nlb.checks.items()},
            "nlb_health_transitions_total": float(nlb.health_flaps),
            "nlb_capacity_in_service_ratio": {
                (self._azs[az],): nlb.nodes_in_dns[az] / nlb.load_balancers for az in range(len(self._azs))
            },
            "nlb_az_failovers_total": float(nlb.az_failovers),
            "nlb_connection_errors_total": float(nlb.connection_errors),
            "nlb_healthcheck_delay_seconds": nlb.healthcheck_delay_s,
            "nlb_automatic_failover_enabled": float(all(nlb.automatic_failover)),
        }

    def report(self) -> dict[str, dict[str, Any]]:
        nm, nlb = self.stats, self.nlb_stats
        p99 = nm.quantile(0.99)
        return {
            "network_manager": {
                "max_backlog": nm.max_backlog,
                "max_inbox_depth": nm.max_inbox_depth,
                "p99_propagation_seconds": round(p99, 3) if p99 is not None else None,
                "instances_without_connectivity_peak": nm.without_connectivity_peak,
                "propagations": nm.latency_count,
            },
            "nlb": {
                "health_flaps": nlb.health_flaps,
                "az_failovers": nlb.az_failovers,
                "failovers_refused": nlb.failovers_refused,
                "min_capacity_fraction": round(nlb.min_capacity_fraction, 4),
                "connection_errors": round(nlb.connection_errors, 1),
                "connection_errors_by_cause": {
                    cause: round(value, 1) for cause, value in nlb.connection_errors_by_cause.items()
                },
                "healthcheck_max_delay_seconds": round(nlb.healthcheck_max_delay_s, 3),
            },
        }
