"""Wiring of the EC2 side: droplets, DWFM hosts, launches, collapse monitor.

Droplet ``i`` lives in AZ ``i % 3`` and is leased by one of that AZ's DWFM
hosts. Each host reaches DynamoDB through its own caching resolver, so hosts
regain DynamoDB one by one as their negative caches expire.

Channels built here: each droplet's inbox (from its host), each host's work
channel (inside the host; droplets get its intake), each host's control
channel and the launcher's (operator, Network Manager), the launcher's own
subscription to lease changes (:meth:`Fleet.lease_changes`), and the other
sides' inboxes as subscribers (:meth:`Fleet.subscribe`, before the run).
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Callable, Sequence

import trio

from actors.dynamodb.messages import Requester
from actors.ec2.collapse_monitor import run_collapse_monitor
from actors.ec2.droplet import run_droplet
from actors.ec2.dwfm_host import DwfmHost
from actors.ec2.launcher import Launcher
from actors.ec2.messages import (
    HostControl,
    InstanceLaunched,
    InstanceTerminated,
    LauncherControl,
    LeaseChanges,
    LeaseState,
    ReestablishmentOpen,
    WorkOutcome,
)
from actors.ec2.stats import DwfmStats, Ec2Stats
from actors.ec2.terminations import run_terminations
from emulator.config.tree import Config
from emulator.kernel.clock import Clock
from emulator.kernel.mailbox import Inbox
from emulator.kernel.trace import Trace
from metrics.schema import Snapshot

__all__ = ["Fleet"]

STATE_NAMES = {LeaseState.ACTIVE: "active", LeaseState.EXPIRED: "expired", LeaseState.REESTABLISHING: "reestablishing"}
CONTROL_BUFFER = 16
# One name shared by every droplet's task: Trio would otherwise format a new string per task.
DROPLET_TASK = "droplet"


def _wasted_fraction(stats: DwfmStats) -> float | None:
    """Of the work DWFM's workers finished, the share whose requester had given up."""
    finished = stats.work[WorkOutcome.COMPLETED] + stats.work[WorkOutcome.WASTED]
    return round(stats.work[WorkOutcome.WASTED] / finished, 4) if finished else None


class Fleet:
    def __init__(
        self,
        config: Config,
        *,
        azs: tuple[str, ...],
        clock: Clock,
        rng: Callable[[str], random.Random],
        trace: Trace,
        client: Callable[[str], Requester],
    ) -> None:
        self._config = config
        self._azs = azs
        self._clock = clock
        self._trace = trace
        self._rng = rng
        self.stats = DwfmStats(azs=len(azs))
        self.ec2 = Ec2Stats()
        dwfm, droplets = config.dwfm, config.ec2.droplets
        self.droplet_azs = bytes(droplet % len(azs) for droplet in range(droplets))
        by_host: list[list[int]] = [[] for _ in range(len(azs) * dwfm.hosts_per_az)]
        for droplet in range(droplets):
            az = droplet % len(azs)
            by_host[az * dwfm.hosts_per_az + (droplet // len(azs)) % dwfm.hosts_per_az].append(droplet)
            self.stats.leases[az][LeaseState.ACTIVE] += 1
        self._inboxes: list[Inbox[ReestablishmentOpen]] = [Inbox() for _ in range(droplets)]
        self._lease_subscribers: list[trio.MemorySendChannel[LeaseChanges]] = []
        self._launch_subscribers: list[trio.MemorySendChannel[InstanceLaunched]] = []
        self._termination_subscribers: list[trio.MemorySendChannel[InstanceTerminated]] = []
        self.host_controls: dict[str, trio.MemorySendChannel[HostControl]] = {}
        self._hosts: list[DwfmHost] = []
        self._members = [array("q", members) for members in by_host]
        for index, members in enumerate(by_host):
            az = index // dwfm.hosts_per_az
            name = f"dwfm-{azs[az]}-{index % dwfm.hosts_per_az}"
            control_send, control_receive = trio.open_memory_channel[HostControl](CONTROL_BUFFER)
            self.host_controls[name] = control_send
            self._hosts.append(
                DwfmHost(
                    name,
                    az=az,
                    droplets=members,
                    inboxes=[self._inboxes[droplet] for droplet in members],
                    clock=clock,
                    rng=rng(name),
                    config=dwfm,
                    client=client(f"dwfm-client-{azs[az]}-{index % dwfm.hosts_per_az}"),
                    control=control_receive,
                    subscribers=self._lease_subscribers,
                    stats=self.stats,
                    trace=trace,
                )
            )
        self.launcher_control, launcher_control = trio.open_memory_channel[LauncherControl](CONTROL_BUFFER)
        self._launcher = Launcher(
            clock=clock,
            rng=rng("ec2-launcher"),
            config=config.ec2,
            droplet_azs=self.droplet_azs,
            lease_changes=self.lease_changes(),
            control=launcher_control,
            subscribers=self._launch_subscribers,
            stats=self.ec2,
            trace=trace,
        )

    def lease_changes(self) -> trio.MemoryReceiveChannel[LeaseChanges]:
        """A new subscriber to every host's lease changes (call before :meth:`run`)."""
        ec2, dwfm = self._config.ec2, self._config.dwfm
        # Room for every host's messages between two of the launcher's ticks, twice over.
        buffer = max(16, 2 * len(self._hosts) * math.ceil(ec2.tick_s / dwfm.check_tick_s))
        send, receive = trio.open_memory_channel[LeaseChanges](buffer)
        self._lease_subscribers.append(send)
        return receive

    def subscribe(
        self,
        *,
        lease_changes: Sequence[trio.MemorySendChannel[LeaseChanges]] = (),
        launches: Sequence[trio.MemorySendChannel[InstanceLaunched]] = (),
        terminations: Sequence[trio.MemorySendChannel[InstanceTerminated]] = (),
    ) -> None:
        """Add the other sides' inboxes as subscribers (call before :meth:`run`).

        Publishers wait when a bounded inbox is full, so an inbox that a
        clock timer also feeds should be unbounded.
        """
        self._lease_subscribers.extend(lease_changes)
        self._launch_subscribers.extend(launches)
        self._termination_subscribers.extend(terminations)

    async def run(self) -> None:
        dwfm, stats, clock = self._config.dwfm, self.stats, self._clock
        async with trio.open_nursery() as nursery:
            for host in self._hosts:
                nursery.start_soon(host.run)
            for host, members in zip(self._hosts, self._members, strict=True):
                for droplet in members:
                    nursery.start_soon(
                        run_droplet, droplet, self._inboxes[droplet], host.intake, clock, dwfm, stats, name=DROPLET_TASK
                    )
            nursery.start_soon(self._launcher.run)
            nursery.start_soon(self._terminations)
            nursery.start_soon(self._monitor)

    def end(self) -> None:
        """The run is over: parked droplets return instead of being cancelled (see ``Inbox.close``)."""
        for inbox in self._inboxes:
            inbox.close()

    async def _terminations(self) -> None:
        await run_terminations(
            clock=self._clock,
            rng=self._rng("ec2-terminations"),
            config=self._config.ec2,
            droplet_azs=self.droplet_azs,
            subscribers=self._termination_subscribers,
            stats=self.ec2,
            trace=self._trace,
        )

    async def _monitor(self) -> None:
        await run_collapse_monitor(clock=self._clock, config=self._config.dwfm, stats=self.stats, trace=self._trace)

    def snapshot(self) -> Snapshot:
        stats, ec2 = self.stats, self.ec2
        return {
            "dwfm_leases": {
                (self._azs[az], STATE_NAMES[state]): float(stats.leases[az][state])
                for az in range(len(self._azs))
                for state in LeaseState
            },
            "dwfm_queue_depth": {(name,): float(depth) for name, depth in stats.queue_depths.items()},
            "dwfm_work_total": {(outcome.value,): float(n) for outcome, n in stats.work.items()},
            "dwfm_work_admitted_total": float(stats.admitted),
            "dwfm_work_in_service": float(stats.in_service),
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
                "work_discarded": stats.work[WorkOutcome.DISCARDED],
                "work_gave_up": stats.gave_up,
                "retries_refused_by_budget": stats.retries_refused,
                "work_wasted_fraction": _wasted_fraction(stats),
                "leases_not_active_at_end": stats.not_active(),
            },
            "ec2": {
                "launches_ok": ec2.launches_ok,
                "launches_insufficient_capacity": ec2.launches_insufficient_capacity,
                "launches_throttled": ec2.launches_throttled,
            },
        }
