"""The droplets' end of a DWFM host's work channel, where admission control lives.

A host's waiting queue *is* its work channel's buffer (unbounded, as DWFM's
queue was). Admission control by queue size (AWS remediation 6) refuses a
request at the send, when the buffer is at its limit, so it costs no extra
hop per request: the droplet learns at once that it was refused, and the
host hears of it at its next step (``returned``), to offer re-establishment
again as the queue drains. ``invited`` counts the droplets the host has
offered a place to and that have not sent their first request yet, so the
host never offers more places than the queue has.

The host owns this object; a droplet uses only :meth:`send_nowait` and
:meth:`give_up`, as it would a send channel.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from actors.ec2.messages import LeaseState, ReestablishLease, WorkOutcome

if TYPE_CHECKING:
    from trio import MemorySendChannel

    from actors.ec2.stats import DwfmStats

__all__ = ["WorkIntake"]


class WorkIntake:
    __slots__ = (
        "_az",
        "_host",
        "_send",
        "_stats",
        "gave_up",
        "invited",
        "max_queue",
        "rejected",
        "retried",
        "returned",
    )

    def __init__(
        self, host: str, az: int, send: MemorySendChannel[ReestablishLease], stats: DwfmStats, max_queue: int | None
    ) -> None:
        self._host = host
        self._az = az
        self._send = send
        self._stats = stats
        self.max_queue = max_queue  # None: admit everything
        self.invited = 0
        self.returned: deque[int] = deque()  # droplets refused or given up, for the host to take back
        # Per-tick counts the host records and resets.
        self.rejected = self.retried = self.gave_up = 0

    def depth(self) -> int:
        return self._send.statistics().current_buffer_used

    def send_nowait(self, request: ReestablishLease) -> bool:
        """Queue the request; False when admission control refuses it (queue at its limit)."""
        if request.attempt:
            self.retried += 1  # the droplet timed out before
        elif self.invited:
            self.invited -= 1
        depth = self._send.statistics().current_buffer_used
        stats = self._stats
        if self.max_queue is not None and depth >= self.max_queue:
            stats.count(WorkOutcome.REJECTED)
            self.rejected += 1
            self._back_to_waiting(request.droplet)
            return False
        self._send.send_nowait(request)
        depth += 1
        stats.queue_depths[self._host] = depth
        if depth > stats.max_queue_depth:
            stats.max_queue_depth = depth
        return True

    def give_up(self, droplet: int) -> None:
        """The droplet ran out of retries: its lease waits until the host offers again."""
        self.gave_up += 1
        self._back_to_waiting(droplet)

    def _back_to_waiting(self, droplet: int) -> None:
        self._stats.move(self._az, LeaseState.REESTABLISHING, LeaseState.EXPIRED)
        self.returned.append(droplet)
