"""A droplet lease actor: one Trio task per EC2 physical host.

In steady state the task is parked on its inbox and costs nothing: its DWFM
host renews the lease in its batched state checks and notices when it
lapses. When the host offers re-establishment (:class:`ReestablishmentOpen`),
the droplet sends its request, with its deadline and a one-shot reply, to
the host's work channel and waits for the reply until the deadline. On
timeout it asks again, up to ``dwfm.max_retries`` (unlimited by default, as
in the incident), at once or after a capped, jittered backoff
(``dwfm.backoff``); its abandoned request stays queued, and the worker that
gets to it does it anyway. That re-queueing is the feedback loop that keeps
DWFM collapsed after DynamoDB has recovered.

When the host refuses the request (admission control, retry budget) it
waits for the host to offer again; out of retries, it waits for its next
state check, which starts a new workflow. Its timeouts reach the
trace through the host, which records per tick the retries it received
(each carries its attempt number): one event per timeout would cost more
than the rest of EC2's trace.

Arguments are positional so the fleet can start 100,000 of these without a
wrapper coroutine or a partial per droplet (memory is the limit there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from actors.ec2.messages import ReestablishLease, ReestablishmentOpen, WorkOutcome
from emulator.kernel.mailbox import Reply

if TYPE_CHECKING:
    from actors.ec2.config import DwfmConfig
    from actors.ec2.stats import DwfmStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.mailbox import Inbox

__all__ = ["LeaseWork", "run_droplet"]


class LeaseWork(Protocol):
    """The droplet's end of its DWFM host's work channel."""

    def send_nowait(self, request: ReestablishLease) -> bool:
        """Queue the request; False when admission control refuses it."""

    def give_up(self, droplet: int) -> None:
        """Tell the host this droplet stopped asking (out of retries)."""

    def backoff_s(self, attempt: int) -> float:
        """How long to wait before retry ``attempt`` (0: at once)."""


async def run_droplet(
    droplet: int,
    inbox: Inbox[ReestablishmentOpen],
    work: LeaseWork,
    clock: Clock,
    config: DwfmConfig,
    stats: DwfmStats,
) -> None:
    while True:
        await inbox.wait()  # parked here, the whole time the lease is fine
        if inbox.closed:
            return  # the run is over
        inbox.receive_nowait()  # the host offers re-establishment
        await _reestablish(droplet, work, clock, config, stats)


async def _reestablish(droplet: int, work: LeaseWork, clock: Clock, config: DwfmConfig, stats: DwfmStats) -> None:
    """Ask until the lease is back, refused, or out of retries (its own frame: a parked droplet stays small)."""
    attempt = 0
    while True:
        reply: Reply[bool] = Reply()
        deadline = clock.now() + config.work_timeout_s
        if not work.send_nowait(ReestablishLease(droplet, attempt, deadline, reply)):
            return  # refused: the host offers again as its queue drains
        if await reply.wait_until(clock, deadline) is not None:
            return  # the lease is active again
        stats.count(WorkOutcome.TIMED_OUT)
        attempt += 1
        if 0 <= config.max_retries < attempt:
            work.give_up(droplet)
            return
        if config.backoff.enabled:
            await clock.sleep(work.backoff_s(attempt))
