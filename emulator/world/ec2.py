"""Wiring of the EC2 side: droplets, DWFM hosts, launches, collapse monitor.

Droplet ``i`` lives in AZ ``i % 3`` and is leased by one of that AZ's DWFM
hosts. Each host reaches DynamoDB through its own caching resolver, so hosts
regain DynamoDB one by one as their negative caches expire.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import trio

from actors.control import ControlPlane
from actors.dynamodb.service import DynamoDBClient
from actors.ec2.collapse_monitor import run_collapse_monitor
from actors.ec2.droplet import run_droplet
from actors.ec2.dwfm_host import DwfmHost
from actors.ec2.launcher import Ec2Stats, run_launcher, run_terminations
from actors.ec2.messages import DwfmStats, Lease, LeaseState, WorkOutcome
from actors.network.messages import NetworkedInstance
from emulator.config.tree import Config
from emulator.kernel.clock import Clock
from emulator.kernel.trace import Trace
from metrics.schema import Snapshot

__all__ = ["Fleet"]

STATE_NAMES = {LeaseState.ACTIVE: "active", LeaseState.EXPIRED: "expired", LeaseState.REESTABLISHING: "reestablishing"}


class Fleet:
    def __init__(
        self,
        config: Config,
        *,
        azs: tuple[str, ...],
        clock: Clock,
        rng: Callable[[str], random.Random],
        trace: Trace,
        control: ControlPlane,
        client: Callable[[str], DynamoDBClient],
    ) -> None:
        self._config = config
        self._azs = azs
        self._clock = clock
        self._trace = trace
        self._control = control
        self._rng = rng
        self.stats = DwfmStats(azs=len(azs))
        self.ec2 = Ec2Stats()
        # Set by the network side (World wires them): where new and terminated
        # instances go, and whether Network Manager admits more launches.
        self.on_launch: Callable[[NetworkedInstance], None] = lambda instance: None
        self.on_terminate: Callable[[NetworkedInstance], None] = lambda instance: None
        self.admit_launch: Callable[[], bool] = lambda: True
        dwfm = config.dwfm
        self.hosts = [
            DwfmHost(
                f"dwfm-{azs[az]}-{index}",
                clock=clock,
                rng=rng(f"dwfm-{azs[az]}-{index}"),
                config=dwfm,
                control=control,
                client=client(f"dwfm-client-{azs[az]}-{index}"),
                stats=self.stats,
                trace=trace,
            )
            for az in range(len(azs))
            for index in range(dwfm.hosts_per_az)
        ]
        self.leases: list[Lease] = []
        for droplet in range(config.ec2.droplets):
            az = droplet % len(azs)
            host = az * dwfm.hosts_per_az + (droplet // len(azs)) % dwfm.hosts_per_az
            lease = Lease(droplet, az, host, expires_at=0.0)  # the host sets it
            self.leases.append(lease)
            self.hosts[host].assign(lease)
            self.stats.leases[az][LeaseState.ACTIVE] += 1

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            for host in self.hosts:
                nursery.start_soon(host.run)
            dwfm, stats, trace, clock = self._config.dwfm, self.stats, self._trace, self._clock
            for lease in self.leases:
                nursery.start_soon(run_droplet, lease, clock, self.hosts[lease.host], stats, dwfm, trace)
            nursery.start_soon(self._launcher)
            nursery.start_soon(self._terminations)
            nursery.start_soon(self._monitor)

    async def _launcher(self) -> None:
        await run_launcher(
            clock=self._clock,
            rng=self._rng("ec2-launcher"),
            config=self._config.ec2,
            leases=self.leases,
            control=self._control,
            stats=self.ec2,
            trace=self._trace,
            on_launch=self.on_launch,
            admit=self.admit_launch,
        )

    async def _terminations(self) -> None:
        await run_terminations(
            clock=self._clock,
            rng=self._rng("ec2-terminations"),
            config=self._config.ec2,
            leases=self.leases,
            stats=self.ec2,
            on_terminate=self.on_terminate,
        )

    async def _monitor(self) -> None:
        await run_collapse_monitor(
            clock=self._clock, config=self._config.dwfm, hosts=self.hosts, stats=self.stats, trace=self._trace
        )

    def snapshot(self) -> Snapshot:
        stats, ec2 = self.stats, self.ec2
        return {
            "dwfm_leases": {
                (self._azs[az], STATE_NAMES[state]): float(stats.leases[az][state])
                for az in range(len(self._azs))
                for state in LeaseState
            },
            "dwfm_queue_depth": {(host.name,): float(host.queue_depth) for host in self.hosts},
            "dwfm_work_total": {(outcome.value,): float(n) for outcome, n in stats.work.items()},
            "dwfm_collapsed": float(stats.collapsed),
            "ec2_launches_total": {
                ("ok",): float(ec2.launches_ok),
                ("insufficient_capacity",): float(ec2.launches_insufficient_capacity),
                ("throttled",): float(ec2.launches_throttled),
            },
            "ec2_instances_running": float(ec2.instances_running),
        }

    def report(self, now: float) -> dict[str, dict[str, object]]:
        stats, ec2 = self.stats, self.ec2
        open_collapse = now - stats.collapse_since if stats.collapse_since is not None else 0.0
        return {
            "dwfm": {
                "leases_expired_peak": stats.leases_expired_peak,
                "collapse": stats.collapse,
                "collapse_seconds": round(stats.collapse_seconds + open_collapse, 3),
                "lease_recovery_seconds": (
                    round(stats.lease_recovery_seconds, 3) if stats.lease_recovery_seconds is not None else None
                ),
                "max_queue_depth": stats.max_queue_depth,
                "work_timeouts": stats.work[WorkOutcome.TIMED_OUT],
                "work_completed": stats.work[WorkOutcome.COMPLETED],
                "work_wasted": stats.work[WorkOutcome.WASTED],
                "work_rejected": stats.work[WorkOutcome.REJECTED],
                "work_dropped": stats.work[WorkOutcome.DROPPED],
                "leases_not_active_at_end": stats.not_active(),
            },
            "ec2": {
                "launches_ok": ec2.launches_ok,
                "launches_insufficient_capacity": ec2.launches_insufficient_capacity,
                "launches_throttled": ec2.launches_throttled,
            },
        }
