"""Customer traffic to DynamoDB: steady requests, so errors are visible.

Each client sends Poisson-spaced requests through its own resolver and
waits for each answer (its client's timeout bounds the wait). The
workload tracks error *episodes* (first failure to last failure before a
success) to report how long customers saw DynamoDB failing.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import attrs

from actors.dynamodb.messages import Outcome

if TYPE_CHECKING:
    from actors.dynamodb.client import DynamoDBClient
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["ErrorEpisodes", "run_client"]


@attrs.define
class ErrorEpisodes:
    """Union of the periods in which customer requests were failing."""

    failing_clients: int = 0
    started_at: float | None = None
    error_seconds: float = 0.0

    def seconds_until(self, now: float) -> float:
        return self.error_seconds + (now - self.started_at if self.started_at is not None else 0.0)


async def run_client(
    name: str,
    *,
    clock: Clock,
    rng: random.Random,
    client: DynamoDBClient,
    rate_per_s: float,
    episodes: ErrorEpisodes,
    trace: Trace,
) -> None:
    failing = False
    sequence = 0
    while True:
        await clock.sleep(rng.expovariate(rate_per_s))
        sequence += 1
        ok = await client.request(f"{name}-{sequence % 1000}") is Outcome.OK
        if ok == (not failing):
            continue
        failing = not ok
        now = clock.now()
        if failing:
            episodes.failing_clients += 1
            if episodes.failing_clients == 1:
                episodes.started_at = now
                trace.milestone("dynamodb_errors_start", name)
        else:
            episodes.failing_clients -= 1
            if episodes.failing_clients == 0 and episodes.started_at is not None:
                episodes.error_seconds += now - episodes.started_at
                episodes.started_at = None
                trace.milestone("dynamodb_errors_end", name)
