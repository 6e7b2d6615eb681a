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

Until EC2 publishes its messages itself, :class:`Ec2Shim` stands in for it
(see there); it goes when EC2's side does.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import trio

from actors.ec2.messages import (
    DwfmStats,
    InstanceLaunched,
    InstanceTerminated,
    Lease,
    LeaseChanges,
    LeaseState,
    SetLaunchAdmission,
)
from actors.network.manager import NetworkManager
from actors.network.messages import NetworkedInstance, PropagationProgress
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

__all__ = ["Ec2Shim", "NetworkSide"]

BUCKETS = spec("network_manager_propagation_seconds").buckets
INBOX_SIZE = 1024  # a load balancer's inbox: a tick of launches and progress


class NetworkSide:
    def __init__(
        self,
        config: Config,
        *,
        azs: tuple[str, ...],
        clock: Clock,
        rng: Callable[[str], random.Random],
        trace: Trace,
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
        admission_send, self._admission = trio.open_memory_channel[SetLaunchAdmission](64)
        progress: list[trio.MemorySendChannel[PropagationProgress]] = [send for send, _ in checker_inboxes]
        progress += [send for send, _ in lb_inboxes]
        self.manager = NetworkManager(
            clock=clock,
            rng=rng("network-manager"),
            config=config.network_manager,
            stats=self.stats,
            trace=trace,
            progress=progress,
            admission=admission_send,
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

    def admission(self) -> trio.MemoryReceiveChannel[SetLaunchAdmission]:
        """Network Manager's ``SetLaunchAdmission`` messages, for the launcher."""
        return self._admission

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
                "healthcheck_max_delay_seconds": round(nlb.healthcheck_max_delay_s, 3),
            },
        }


class Ec2Shim:
    """Stands in for EC2's published protocol until EC2 publishes it itself (goes at the merge).

    Translates the old launcher's calls into ``InstanceLaunched`` /
    ``InstanceTerminated``, answers its admission question from Network
    Manager's ``SetLaunchAdmission`` messages, and turns DWFM's lease state
    changes into one ``LeaseChanges`` per host per ``dwfm.check_tick_s``
    with news (observed by hooking the fleet's ``DwfmStats.move``, the one
    place a lease changes state).
    """

    def __init__(
        self,
        *,
        clock: Clock,
        tick_s: float,
        network: NetworkSide,
        dwfm_stats: DwfmStats,
        host_names: Sequence[str],
    ) -> None:
        self._clock = clock
        self._tick_s = tick_s
        self._manager = network.manager.inbox
        self._load_balancers = network.lb_inboxes
        self._admission = network.admission()
        self._open = True
        self._host_names = tuple(host_names)
        self._changed: dict[int, dict[int, bool]] = {}  # host -> droplet -> leased, since the last flush
        self._leased: dict[int, bool] = {}  # droplet -> leased, as last published
        changed = self._changed

        class _Watched(DwfmStats):
            __slots__ = ()

            def move(self, lease: Lease, new_state: LeaseState) -> None:
                was = lease.state is LeaseState.ACTIVE
                DwfmStats.move(self, lease, new_state)
                if was != (new_state is LeaseState.ACTIVE):
                    changed.setdefault(lease.host, {})[lease.droplet_id] = not was

        object.__setattr__(dwfm_stats, "__class__", _Watched)

    def on_launch(self, instance: NetworkedInstance) -> None:
        launched = InstanceLaunched(instance.instance_id, instance.az, instance.lease.droplet_id, instance.created_at)
        self._manager.send_nowait(launched)
        for inbox in self._load_balancers:
            inbox.send_nowait(launched)

    def on_terminate(self, instance: NetworkedInstance) -> None:
        self._manager.send_nowait(
            InstanceTerminated(instance.instance_id, instance.az, instance.lease.droplet_id, instance.created_at)
        )

    def admit_launch(self) -> bool:
        self._drain_admission()
        return self._open

    def _drain_admission(self) -> None:
        while True:
            try:
                self._open = self._admission.receive_nowait().open
            except trio.WouldBlock:
                return

    def start(self) -> None:
        self._clock.call_at(self._clock.now() + self._tick_s, self._flush)

    def _flush(self) -> None:
        self._drain_admission()
        leased = self._leased
        for host in sorted(self._changed):
            lapsed: list[int] = []
            restored: list[int] = []
            for droplet, now_leased in self._changed[host].items():
                if leased.get(droplet, True) == now_leased:
                    continue
                leased[droplet] = now_leased
                (restored if now_leased else lapsed).append(droplet)
            if lapsed or restored:
                self._manager.send_nowait(LeaseChanges(self._host_names[host], tuple(lapsed), tuple(restored)))
        self._changed.clear()
        self._clock.call_at(self._clock.now() + self._tick_s, self._flush)
