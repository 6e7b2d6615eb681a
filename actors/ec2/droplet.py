"""A droplet lease actor: one Trio task per EC2 physical host.

In steady state the task is parked and costs nothing: its DWFM host renews
the lease in its batched state checks and notices when it lapses. When the
host asks for the lease to be
re-established, the droplet waits for that work with a timeout; on timeout it
abandons the item (which stays in the queue: the worker holding it cannot
know) and queues the work again, up to ``dwfm.max_retries`` (unlimited by
default, as in the incident). That re-queueing is the feedback loop that
keeps DWFM collapsed after DynamoDB has recovered.

Arguments are positional so the fleet can start 100,000 of these without a
wrapper coroutine or a partial per droplet (memory is the limit there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.ec2.messages import DwfmStats, Lease, LeaseAuthority, LeaseState, WorkOutcome

if TYPE_CHECKING:
    from actors.ec2.config import DwfmConfig
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["run_droplet"]


async def run_droplet(
    lease: Lease,
    clock: Clock,
    host: LeaseAuthority,
    stats: DwfmStats,
    config: DwfmConfig,
    trace: Trace,
) -> None:
    while True:
        await lease.park()  # until the host has queued re-establishment for us
        while (item := lease.item) is not None:
            timer = clock.call_at(item.deadline, lease.wake)
            while not item.succeeded and clock.now() < item.deadline:
                await lease.park()
            timer.cancel()
            if item.succeeded:
                lease.item = None
                lease.expires_at = clock.now() + config.lease_ttl_s
                stats.move(lease, LeaseState.ACTIVE)
                if stats.all_active_again(clock.now()):
                    trace.milestone("dwfm_leases_recovered", f"droplet-{lease.droplet_id}")
                break
            item.abandoned = True
            stats.count(WorkOutcome.TIMED_OUT)
            lease.retries += 1
            if 0 <= config.max_retries < lease.retries:
                lease.item = None
            else:
                lease.item = host.try_submit(lease)
            if lease.item is None:
                stats.move(lease, LeaseState.EXPIRED)
                host.on_lease_expired(lease)
