"""A DWFM host's work queue and the droplets' end of it: admission, retry budget, backoff.

*The queue.* A host's waiting queue is a plain deque, unbounded as DWFM's
queue was, read by the host's workers: FIFO, or newest first while it is
overloaded (``dwfm.lifo_under_overload``: more items than the host can serve
within one timeout, ``workers x work_timeout_s / work_service_s``). A request
sent while a worker is idle goes straight to that worker. A restart empties
the queue.

*Admission control* by queue size (AWS remediation 6) refuses a request at
the send, when the queue is at its limit, so it costs no extra hop per
request: the droplet learns at once that it was refused, and the host hears
of it at its next step (``returned``), to offer re-establishment again as
the queue drains. ``invited`` counts the droplets the host has offered a
place to and that have not sent their first request yet, so the host never
offers more places than the queue has.

*Retry budget* (``dwfm.retry_budget``): a retry (a request after a timeout)
takes a token from the host's bucket; without one it is refused and the
droplet waits in ``retry_waiting`` for the host to offer it a token.

The host owns this object; a droplet uses only :meth:`send_nowait`,
:meth:`give_up` and :meth:`backoff_s`, as it would a send channel.
"""

from __future__ import annotations

import math
import random
from collections import deque
from typing import TYPE_CHECKING

import outcome
from trio.lowlevel import Abort, Task, current_task, reschedule, wait_task_rescheduled

from actors.ec2.messages import LeaseState, ReestablishLease, WorkOutcome

if TYPE_CHECKING:
    from actors.ec2.config import DwfmConfig
    from actors.ec2.stats import DwfmStats
    from emulator.kernel.clock import Clock

__all__ = ["WorkIntake"]


class WorkIntake:
    __slots__ = (
        "_az",
        "_budget_max",
        "_budget_rate",
        "_clock",
        "_config",
        "_host",
        "_lifo_over",
        "_queue",
        "_refilled_at",
        "_rng",
        "_stats",
        "_tokens",
        "_workers",
        "budget_refused",
        "gave_up",
        "given_up",
        "invited",
        "max_queue",
        "rejected",
        "retried",
        "retry_waiting",
        "returned",
    )

    def __init__(
        self,
        host: str,
        az: int,
        stats: DwfmStats,
        *,
        clock: Clock,
        rng: random.Random,
        config: DwfmConfig,
        max_queue: int | None,
    ) -> None:
        self._host = host
        self._az = az
        self._stats = stats
        self._clock = clock
        self._rng = rng
        self._config = config
        self._queue: deque[ReestablishLease] = deque()
        self._workers: deque[Task] = deque()  # idle workers, parked
        capacity_per_timeout = config.workers * config.work_timeout_s / config.work_service_s
        self._lifo_over = capacity_per_timeout if config.lifo_under_overload else math.inf
        budget = config.retry_budget
        self._budget_rate = budget.capacity_fraction * config.workers / config.work_service_s if budget.enabled else 0.0
        self._budget_max = max(1.0, self._budget_rate * budget.burst_s)
        self._tokens, self._refilled_at = self._budget_max, clock.now()
        self.max_queue = max_queue  # None: admit everything
        self.invited = 0
        self.returned: deque[int] = deque()  # refused by admission, for the host to take back
        self.retry_waiting: deque[int] = deque()  # retries waiting for a token of the budget
        self.given_up: list[int] = []  # out of retries, for the host to park until their next check
        # Per-tick counts the host records and resets.
        self.rejected = self.retried = self.gave_up = self.budget_refused = 0

    # -- the host's side ---------------------------------------------------------------
    def depth(self) -> int:
        return len(self._queue)

    async def take(self) -> ReestablishLease:
        """A worker's next request, counted in service: the oldest, or the newest while overloaded; parks when empty."""
        queue = self._queue
        if queue:
            self._stats.in_service += 1
            return queue.pop() if len(queue) > self._lifo_over else queue.popleft()
        task = current_task()
        self._workers.append(task)

        def abort(_: object) -> Abort:
            self._workers.remove(task)
            return Abort.SUCCEEDED

        request: ReestablishLease = await wait_task_rescheduled(abort)
        return request

    def clear(self) -> int:
        """Empty the queue (a restart); how many requests it held."""
        discarded = len(self._queue)
        self._queue.clear()
        self._stats.count(WorkOutcome.DISCARDED, discarded)
        return discarded

    @property
    def budgeted(self) -> bool:
        return self._budget_rate > 0

    def tokens(self) -> int:
        """Whole tokens in the retry budget now (refilled lazily)."""
        now = self._clock.now()
        self._tokens = min(self._budget_max, self._tokens + (now - self._refilled_at) * self._budget_rate)
        self._refilled_at = now
        return int(self._tokens)

    def spend(self, n: int) -> None:
        self._tokens -= n

    # -- the droplets' side ------------------------------------------------------------
    def send_nowait(self, request: ReestablishLease) -> bool:
        """Queue the request; False when admission control or the retry budget refuses it."""
        if request.attempt:
            self.retried += 1  # the droplet timed out before
        elif self.invited:
            self.invited -= 1
        queue, stats = self._queue, self._stats
        if self.max_queue is not None and len(queue) >= self.max_queue:
            stats.count(WorkOutcome.REJECTED)
            self.rejected += 1
            self._back_to_waiting(request.droplet, self.retry_waiting if request.attempt and self.budgeted else None)
            return False
        if request.attempt and self.budgeted:
            if self.tokens() < 1:
                stats.retries_refused += 1
                self.budget_refused += 1
                self._back_to_waiting(request.droplet, self.retry_waiting)
                return False
            self._tokens -= 1
        stats.admitted += 1
        if self._workers:
            # In service from the hand-off on, not from when the worker next runs: in between,
            # the request is in no queue, and the accounting invariant must still find it.
            stats.in_service += 1
            reschedule(self._workers.popleft(), outcome.Value(request))
            return True
        queue.append(request)
        depth = len(queue)
        stats.queue_depths[self._host] = depth
        if depth > stats.max_queue_depth:
            stats.max_queue_depth = depth
        return True

    def give_up(self, droplet: int) -> None:
        """The droplet ran out of retries: its lease waits for its next state check."""
        self.gave_up += 1
        self._stats.gave_up += 1
        self._stats.move(self._az, LeaseState.REESTABLISHING, LeaseState.EXPIRED)
        self.given_up.append(droplet)

    def backoff_s(self, attempt: int) -> float:
        """How long to wait before retry ``attempt`` (capped exponential, full jitter; 0 when off)."""
        backoff = self._config.backoff
        if not backoff.enabled:
            return 0.0
        return self._rng.uniform(0.0, min(backoff.max_s, backoff.base_s * 2.0 ** (attempt - 1)))

    def _back_to_waiting(self, droplet: int, into: deque[int] | None) -> None:
        self._stats.move(self._az, LeaseState.REESTABLISHING, LeaseState.EXPIRED)
        (self.returned if into is None else into).append(droplet)
