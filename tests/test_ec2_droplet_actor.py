"""EC2's droplets in isolation: a droplet task with its inbox, and a recording stand-in for its host's intake.

Each test runs a tiny world of its own in virtual time (a ``VirtualClock``
driving ``trio.run``): when a droplet asks to re-establish its lease, how it
times out, retries and gives up, judged by the requests it sends.
"""

from __future__ import annotations

from typing import Any

import trio

from actors.ec2.config import DwfmConfig
from actors.ec2.droplet import run_droplet
from actors.ec2.messages import ReestablishLease, ReestablishmentOpen, WorkOutcome
from actors.ec2.stats import DwfmStats
from emulator.kernel.clock import VirtualClock
from emulator.kernel.mailbox import Inbox
from tests.actor_harness import run_with_clock


class _RecordingWork:
    """A stand-in for a host's intake: keeps every request, admits them all."""

    def __init__(self) -> None:
        self.requests: list[tuple[float, ReestablishLease]] = []
        self.given_up: list[tuple[float, int]] = []
        self.clock: VirtualClock | None = None

    def send_nowait(self, request: ReestablishLease) -> bool:
        assert self.clock is not None
        self.requests.append((self.clock.now(), request))
        return True

    def give_up(self, droplet: int) -> None:
        assert self.clock is not None
        self.given_up.append((self.clock.now(), droplet))

    def backoff_s(self, attempt: int) -> float:
        return 0.0  # retries at once, as with DWFM's backoff off


def test_a_droplet_offered_re_establishment_asks_once_and_stops_asking_once_granted() -> None:
    work, stats = _RecordingWork(), DwfmStats()
    outcome: dict[str, Any] = {}

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        work.clock = clock
        inbox: Inbox[ReestablishmentOpen] = Inbox()
        nursery.start_soon(run_droplet, 7, inbox, work, clock, DwfmConfig(work_timeout_s=10.0), stats)
        await clock.sleep(1.0)
        outcome["before_offer"] = len(work.requests)
        inbox.send_nowait(ReestablishmentOpen())
        await clock.sleep(2.0)
        _, request = work.requests[0]
        outcome["granted"] = request.reply.send(True)
        await clock.sleep(60.0)

    run_with_clock(body)
    assert outcome == {"before_offer": 0, "granted": True}
    [(at, request)] = work.requests
    assert (at, request.droplet, request.attempt, request.deadline) == (1.0, 7, 0, 11.0)
    assert stats.work[WorkOutcome.TIMED_OUT] == 0


def test_a_droplet_whose_requests_time_out_asks_again_until_it_runs_out_of_retries() -> None:
    work, stats = _RecordingWork(), DwfmStats()
    late_replies: list[bool] = []

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        work.clock = clock
        inbox: Inbox[ReestablishmentOpen] = Inbox()
        config = DwfmConfig(work_timeout_s=10.0, max_retries=2)
        nursery.start_soon(run_droplet, 3, inbox, work, clock, config, stats)
        inbox.send_nowait(ReestablishmentOpen())
        await clock.sleep(100.0)
        late_replies.extend(request.reply.send(True) for _, request in work.requests)

    run_with_clock(body)
    assert [(at, request.attempt, request.deadline) for at, request in work.requests] == [
        (0.0, 0, 10.0),
        (10.0, 1, 20.0),
        (20.0, 2, 30.0),
    ]
    assert work.given_up == [(30.0, 3)]
    assert stats.work[WorkOutcome.TIMED_OUT] == 3
    assert late_replies == [False, False, False], "a worker learns its droplet had given up"


def test_a_parked_droplet_returns_when_the_run_closes_its_inbox_instead_of_waiting_to_be_cancelled() -> None:
    """How a run's end stops a million parked droplets cheaply (``Fleet.end``)."""
    work, stats = _RecordingWork(), DwfmStats()
    outcome: dict[str, Any] = {}

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        work.clock = clock
        inbox: Inbox[ReestablishmentOpen] = Inbox()
        nursery.start_soon(run_droplet, 7, inbox, work, clock, DwfmConfig(), stats, name="droplet")
        await clock.sleep(1.0)
        outcome["parked"] = [task.name for task in nursery.child_tasks if task.name == "droplet"]
        inbox.close()
        await clock.sleep(1.0)
        outcome["after_close"] = [task.name for task in nursery.child_tasks if task.name == "droplet"]

    run_with_clock(body)
    assert outcome["parked"] == ["droplet"]
    assert outcome["after_close"] == []  # it returned: the nursery was never cancelled
    assert work.requests == []
