"""One DWFM host and its droplets in virtual time, with a stand-in DynamoDB.

The host runs with the default DWFM settings (only the lease TTL is shorter,
so leases lapse within minutes); DynamoDB is unreachable for the first
``outage_s`` and fine after it, so every lease lapses and the whole host's
share of the fleet asks at once when DynamoDB answers again: the burst
of 02:25 on one host. Small and fast enough for the default test set.
"""

from __future__ import annotations

import random
from typing import Any

import attrs
import trio

from actors.dynamodb.messages import Outcome
from actors.ec2.collapse_monitor import run_collapse_monitor
from actors.ec2.config import DwfmConfig
from actors.ec2.droplet import run_droplet
from actors.ec2.dwfm_host import DwfmHost
from actors.ec2.messages import HostControl, LeaseChanges, LeaseState, ReestablishmentOpen, WorkOutcome
from actors.ec2.stats import DwfmStats
from emulator.kernel.clock import VirtualClock
from emulator.kernel.mailbox import Inbox
from emulator.kernel.trace import Trace

OUTAGE_S = 900.0
LEASE_TTL_S = 600.0


class _DynamoDB:
    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock

    async def request(self, key: str, items: int = 1) -> Outcome:
        return Outcome.UNRESOLVABLE if self.clock.now() < OUTAGE_S else Outcome.OK


def burst(droplets: int, *, seed: int = 1, hours: float = 3.0, **dwfm: Any) -> dict[str, Any]:
    """Run one host leasing ``droplets``; its work counts and recovery, as a report's ``dwfm`` section."""
    config = attrs.evolve(DwfmConfig(lease_ttl_s=LEASE_TTL_S), **dwfm)
    stats = DwfmStats(azs=1)
    stats.leases[0][LeaseState.ACTIVE] = droplets
    stats.queue_depths["host"] = 0

    async def main() -> None:
        clock = VirtualClock()
        async with trio.open_nursery() as nursery:
            await nursery.start(clock.run)
            inboxes: list[Inbox[ReestablishmentOpen]] = [Inbox() for _ in range(droplets)]
            _, control = trio.open_memory_channel[HostControl](4)
            changes, changes_out = trio.open_memory_channel[LeaseChanges](1_000_000)
            trace = Trace(clock, seed)
            host = DwfmHost(
                "host",
                az=0,
                droplets=range(droplets),
                inboxes=inboxes,
                clock=clock,
                rng=random.Random(f"{seed}:host"),
                config=config,
                client=_DynamoDB(clock),
                control=control,
                subscribers=[changes],
                stats=stats,
                trace=trace,
            )
            nursery.start_soon(host.run)
            for droplet, inbox in enumerate(inboxes):
                nursery.start_soon(run_droplet, droplet, inbox, host.intake, clock, config, stats)
            nursery.start_soon(lambda: run_collapse_monitor(clock=clock, config=config, stats=stats, trace=trace))
            await clock.sleep(hours * 3600)
            nursery.cancel_scope.cancel()
        del changes_out

    trio.run(main)
    work = stats.work
    return {
        "collapse": stats.collapse,
        "collapse_seconds": stats.collapse_seconds + (hours * 3600 - (stats.collapse_since or hours * 3600)),
        "lease_recovery_seconds": stats.lease_recovery_seconds,
        "leases_not_active_at_end": stats.not_active(),
        "work_completed": work[WorkOutcome.COMPLETED],
        "work_wasted": work[WorkOutcome.WASTED],
        "work_timeouts": work[WorkOutcome.TIMED_OUT],
        "work_dropped": work[WorkOutcome.DROPPED],
        "work_gave_up": stats.gave_up,
        "retries_refused_by_budget": stats.retries_refused,
        "max_queue_depth": stats.max_queue_depth,
    }
