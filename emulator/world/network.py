"""Wiring of the network side: Network Manager, NLBs and their health checks.

New instances from EC2 go to Network Manager and, for a share of them, into
NLB target groups; instances that leave target groups, and those customers
terminate, go to Network Manager as terminations. With
``network_manager.throttle`` on, launches are refused while the propagation
backlog is over its limit.

For now (until Network Manager and NLB take EC2's messages themselves) this
wiring translates: it keeps a lease-state view per droplet from EC2's
:class:`LeaseChanges`, turns :class:`InstanceLaunched` and
:class:`InstanceTerminated` into Network Manager's instance records, and
tells the launcher of the backlog's throttle by :class:`SetLaunchAdmission`,
checked at the launcher's ticks.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import trio

from actors.control import ControlPlane
from actors.ec2.messages import (
    InstanceLaunched,
    InstanceTerminated,
    LauncherControl,
    Lease,
    LeaseChanges,
    LeaseState,
    SetLaunchAdmission,
)
from actors.network.manager import NetworkManager, NetworkStats
from actors.network.messages import FULLY_PROPAGATED, NetworkedInstance
from actors.nlb.health_checks import HealthCheckSubsystem
from actors.nlb.load_balancers import NlbFleet, NlbStats
from emulator.config.tree import Config
from emulator.kernel.clock import Clock
from emulator.kernel.trace import Trace
from metrics.schema import HistogramSnapshot, Snapshot, spec

__all__ = ["NetworkSide"]

BUCKETS = spec("network_manager_propagation_seconds").buckets


class NetworkSide:
    def __init__(
        self,
        config: Config,
        *,
        azs: tuple[str, ...],
        clock: Clock,
        rng: Callable[[str], random.Random],
        trace: Trace,
        control: ControlPlane,
        droplet_azs: Sequence[int],
        lease_changes: trio.MemoryReceiveChannel[LeaseChanges],
        instances: trio.MemoryReceiveChannel[InstanceLaunched | InstanceTerminated],
        launcher: trio.MemorySendChannel[LauncherControl],
    ) -> None:
        self._config = config
        self._azs = azs
        self._clock = clock
        self._lease_changes = lease_changes
        self._instances = instances
        self._launcher = launcher
        leases = [Lease(droplet, az) for droplet, az in enumerate(droplet_azs)]
        self._leases = leases
        self.stats = NetworkStats(bucket_bounds=BUCKETS)
        self.manager = NetworkManager(
            clock=clock, rng=rng("network-manager"), config=config.network_manager, stats=self.stats, trace=trace
        )
        placement = rng("nlb-placement")
        by_az = [[lease for lease in leases if lease.az == az] for az in range(len(azs))]

        def existing_instance(az: int) -> NetworkedInstance:
            pool = by_az[az]
            lease = pool[placement.randrange(len(pool))] if pool else Lease(-1, az)
            return NetworkedInstance(0, az, lease, 0.0, propagated=FULLY_PROPAGATED)

        self.nlb_stats = NlbStats()
        self.nlb = NlbFleet(
            clock=clock,
            rng=rng("nlb"),
            config=config.nlb,
            azs=len(azs),
            stats=self.nlb_stats,
            trace=trace,
            existing_instance=existing_instance,
            terminate=self.on_terminate,
        )
        self.health_checks = HealthCheckSubsystem(
            clock=clock, rng=rng("nlb-health-checks"), config=config.nlb, control=control, nlb=self.nlb, trace=trace
        )

    def on_launch(self, instance: NetworkedInstance) -> None:
        self.manager.submit(instance, launch=True)
        self.nlb.on_launch(instance)

    def on_terminate(self, instance: NetworkedInstance) -> None:
        self.manager.submit(instance, launch=False)

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self.manager.run)
            nursery.start_soon(self.health_checks.run)
            nursery.start_soon(self._follow_leases)
            nursery.start_soon(self._follow_instances)
            if self._config.network_manager.throttle.enabled:
                nursery.start_soon(self._throttle_launches)

    async def _follow_leases(self) -> None:
        leases = self._leases
        async for changes in self._lease_changes:
            for droplet in changes.lapsed:
                leases[droplet].state = LeaseState.EXPIRED
            for droplet in changes.restored:
                leases[droplet].state = LeaseState.ACTIVE

    async def _follow_instances(self) -> None:
        leases, instances = self._leases, self._instances
        while True:
            try:
                event = instances.receive_nowait()  # the rest of a tick's batch: no scheduler round each
            except trio.WouldBlock:
                event = await instances.receive()
            instance = NetworkedInstance(event.instance_id, event.az, leases[event.droplet], event.at)
            if isinstance(event, InstanceLaunched):
                self.on_launch(instance)
            else:
                self.on_terminate(instance)

    async def _throttle_launches(self) -> None:
        """Queue-size throttling of launches: open while the backlog is under its limit."""
        clock, tick_s = self._clock, self._config.ec2.tick_s
        limit = self._config.network_manager.throttle.max_queue
        admitted, tick = True, 0
        while True:
            tick += 1
            await clock.sleep_until(tick * tick_s)
            if (self.manager.backlog < limit) != admitted:
                admitted = not admitted
                await self._launcher.send(SetLaunchAdmission(admitted))

    def snapshot(self) -> Snapshot:
        nm, nlb = self.stats, self.nlb_stats
        cumulative, total = [], 0
        for count in nm.bucket_counts:
            total += count
            cumulative.append(total)
        return {
            "network_manager_backlog": float(self.manager.backlog),
            "network_manager_propagation_seconds": HistogramSnapshot(
                tuple(cumulative), nm.latency_count, nm.latency_sum
            ),
            "network_manager_instances_without_connectivity": float(nm.without_connectivity),
            "nlb_health_checks_total": {(result,): float(n) for result, n in nlb.checks.items()},
            "nlb_health_transitions_total": float(nlb.health_flaps),
            "nlb_capacity_in_service_ratio": {
                (self._azs[az],): sum(lb.in_dns[az] for lb in self.nlb.load_balancers) / len(self.nlb.load_balancers)
                for az in range(len(self._azs))
            },
            "nlb_az_failovers_total": float(nlb.az_failovers),
            "nlb_connection_errors_total": float(nlb.connection_errors),
            "nlb_healthcheck_delay_seconds": nlb.healthcheck_delay_s,
        }

    def report(self) -> dict[str, dict[str, Any]]:
        nm, nlb = self.stats, self.nlb_stats
        p99 = nm.quantile(0.99)
        return {
            "network_manager": {
                "max_backlog": nm.max_backlog,
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
