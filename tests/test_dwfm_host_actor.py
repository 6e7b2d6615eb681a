"""One DWFM host in isolation: its intake's admission control, and the host with its droplets.

Each test runs a tiny world of its own in virtual time (a ``VirtualClock``
driving ``trio.run``): one host (AZ 0) and its droplets' tasks, with a stand-in
DynamoDB client that is unreachable at first, judged by the lease changes the
host publishes and by its work and queue statistics.
"""

from __future__ import annotations

import random
from typing import Any

import trio
import trio.testing

from actors.dynamodb.messages import Outcome
from actors.ec2.config import DwfmConfig
from actors.ec2.droplet import run_droplet
from actors.ec2.dwfm_host import DwfmHost
from actors.ec2.intake import WorkIntake
from actors.ec2.messages import (
    HostControl,
    LeaseChanges,
    LeaseState,
    ReestablishLease,
    ReestablishmentOpen,
    RestartHost,
    SetAdmission,
    WorkOutcome,
)
from actors.ec2.stats import DwfmStats
from emulator.kernel.clock import VirtualClock
from emulator.kernel.mailbox import Inbox, Reply
from emulator.kernel.trace import Trace
from tests.actor_harness import run_with_clock


class _DynamoDB:
    """A stand-in DynamoDB client: unreachable for the first ``OUTAGE_S``, then fine."""

    def __init__(self) -> None:
        self.clock: VirtualClock | None = None
        self.items = 0

    async def request(self, key: str, items: int = 1) -> Outcome:
        assert self.clock is not None
        self.items += items
        return Outcome.UNRESOLVABLE if self.clock.now() < OUTAGE_S else Outcome.OK


def test_admission_control_refuses_requests_once_the_queue_is_at_its_limit() -> None:
    stats = DwfmStats()
    stats.leases[0][LeaseState.REESTABLISHING] = 5
    intake = WorkIntake("host", 0, stats, clock=VirtualClock(), rng=random.Random(1), config=DwfmConfig(), max_queue=2)
    admitted = [intake.send_nowait(ReestablishLease(droplet, 0, 10.0, Reply())) for droplet in range(5)]
    assert admitted == [True, True, False, False, False]
    assert intake.depth() == stats.max_queue_depth == 2
    assert stats.work[WorkOutcome.REJECTED] == 3
    assert list(intake.returned) == [2, 3, 4], "refused droplets wait for the host to offer again"
    assert stats.leases[0][LeaseState.EXPIRED] == 3


def test_a_request_handed_to_a_parked_worker_counts_as_in_service_before_the_worker_runs() -> None:
    """Between the hand-off and the worker's next step the request is in no queue: a soak's
    real-time checker can look right then, and the accounting must still find it."""
    stats = DwfmStats()
    stats.leases[0][LeaseState.REESTABLISHING] = 1
    intake = WorkIntake(
        "host", 0, stats, clock=VirtualClock(), rng=random.Random(1), config=DwfmConfig(), max_queue=None
    )
    seen: dict[str, int] = {}

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(intake.take)
            await trio.testing.wait_all_tasks_blocked()  # the worker is parked
            assert intake.send_nowait(ReestablishLease(7, 0, 10.0, Reply()))
            seen.update(admitted=stats.admitted, queued=intake.depth(), in_service=stats.in_service)

    trio.run(main)
    assert seen == {"admitted": 1, "queued": 0, "in_service": 1}


def _host(
    clock: VirtualClock,
    nursery: trio.Nursery,
    *,
    droplets: int,
    config: DwfmConfig,
    dynamodb: _DynamoDB,
    stats: DwfmStats,
) -> tuple[trio.MemorySendChannel[HostControl], trio.MemoryReceiveChannel[LeaseChanges]]:
    """One host (AZ 0) leasing ``droplets`` droplets, with their tasks running."""
    inboxes: list[Inbox[ReestablishmentOpen]] = [Inbox() for _ in range(droplets)]
    control_send, control_receive = trio.open_memory_channel[HostControl](4)
    changes_send, changes_receive = trio.open_memory_channel[LeaseChanges](64)
    stats.leases[0][LeaseState.ACTIVE] = droplets
    dynamodb.clock = clock
    host = DwfmHost(
        "host",
        az=0,
        droplets=range(droplets),
        inboxes=inboxes,
        clock=clock,
        rng=random.Random(1),
        config=config,
        client=dynamodb,
        control=control_receive,
        subscribers=[changes_send],
        stats=stats,
        trace=Trace(clock, 0),
    )
    nursery.start_soon(host.run)
    for droplet, inbox in enumerate(inboxes):
        nursery.start_soon(run_droplet, droplet, inbox, host.intake, clock, config, stats)
    return control_send, changes_receive


def _drain(channel: trio.MemoryReceiveChannel[LeaseChanges]) -> tuple[set[int], set[int]]:
    lapsed: set[int] = set()
    restored: set[int] = set()
    while True:
        try:
            changes = channel.receive_nowait()
        except trio.WouldBlock:
            return lapsed, restored
        lapsed.update(changes.lapsed)
        restored.update(changes.restored)


# Two check ticks per interval and a lease TTL of 2.5 intervals: every lease
# is found lapsed within the DynamoDB outage, and stays renewed after it.
LAPSING: dict[str, Any] = {"state_check_interval_s": 10.0, "check_tick_s": 5.0, "lease_ttl_s": 25.0}
OUTAGE_S = 40.0


def test_a_host_whose_work_outlasts_the_timeout_wastes_it_and_its_droplets_keep_retrying() -> None:
    stats, dynamodb = DwfmStats(), _DynamoDB()
    config = DwfmConfig(**LAPSING, workers=1, work_service_s=5.0, work_timeout_s=2.0)
    seen: dict[str, Any] = {}

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        _, changes = _host(clock, nursery, droplets=3, config=config, dynamodb=dynamodb, stats=stats)
        await clock.sleep(OUTAGE_S + 60.0)
        seen["lapsed"], seen["restored"] = _drain(changes)

    run_with_clock(body)
    work = stats.work
    assert seen["lapsed"] == {0, 1, 2}
    # Service times are random (mean 5 s against a 2 s timeout): now and then one
    # item is quick enough, but most of what the worker finishes nobody waits for.
    assert work[WorkOutcome.WASTED] > 3 * work[WorkOutcome.COMPLETED], work
    assert work[WorkOutcome.TIMED_OUT] >= 3 * 20, "each droplet asked again every 2 s"
    assert stats.max_queue_depth > 3, "abandoned requests stay queued behind the retries"
    assert stats.not_active() >= 2


def test_a_restart_empties_the_queue_and_its_droplets_time_out_and_ask_again() -> None:
    stats, dynamodb = DwfmStats(), _DynamoDB()
    config = DwfmConfig(**LAPSING, workers=1, work_service_s=50.0, work_timeout_s=20.0)
    seen: dict[str, int] = {}

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        control, _ = _host(clock, nursery, droplets=10, config=config, dynamodb=dynamodb, stats=stats)
        await clock.sleep(OUTAGE_S + 12.0)
        seen["before"] = stats.queue_depths["host"]
        await control.send(RestartHost())
        await clock.sleep(5.0)  # taken at the host's next check tick
        seen["after"], seen["restarts"] = stats.queue_depths["host"], stats.restarts
        await clock.sleep(40.0)
        seen["later"] = stats.queue_depths["host"]

    run_with_clock(body)
    # Service times are random (mean 50 s): the worker may have finished one item before the restart.
    assert seen["before"] >= 8 and seen["after"] == 0 and seen["restarts"] == 1
    assert seen["later"] >= 9, "the droplets timed out and queued their work again"


def test_under_admission_control_the_queue_stays_within_its_limit_and_every_lease_comes_back() -> None:
    stats, dynamodb = DwfmStats(), _DynamoDB()
    config = DwfmConfig(**LAPSING, workers=1, work_service_s=1.0, work_timeout_s=30.0)
    seen: dict[str, Any] = {}

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        control, changes = _host(clock, nursery, droplets=20, config=config, dynamodb=dynamodb, stats=stats)
        await control.send(SetAdmission(enabled=True, max_queue=2))
        await clock.sleep(OUTAGE_S + 120.0)
        seen["lapsed"], seen["restored"] = _drain(changes)

    run_with_clock(body)
    assert seen["lapsed"] == seen["restored"] == set(range(20))
    assert stats.max_queue_depth <= 2
    assert stats.not_active() == 0 and stats.work[WorkOutcome.TIMED_OUT] == 0


def test_a_host_re_establishes_every_lapsed_lease_once_dynamodb_answers_and_publishes_the_changes() -> None:
    stats, dynamodb = DwfmStats(), _DynamoDB()
    config = DwfmConfig(**LAPSING, workers=2, work_service_s=1.0, work_timeout_s=30.0)
    seen: dict[str, Any] = {}

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        _, changes = _host(clock, nursery, droplets=6, config=config, dynamodb=dynamodb, stats=stats)
        await clock.sleep(OUTAGE_S - 1)
        seen["lapsed"], seen["restored_while_cut_off"] = _drain(changes)
        seen["not_active"] = stats.not_active()
        await clock.sleep(60.0)
        seen["lapsed_after"], seen["restored"] = _drain(changes)

    run_with_clock(body)
    assert seen["lapsed"] == set(range(6)) and seen["not_active"] == 6
    assert seen["restored_while_cut_off"] == set()
    assert seen["lapsed_after"] == set() and seen["restored"] == set(range(6))
    assert stats.not_active() == 0
    assert stats.work[WorkOutcome.COMPLETED] == 6 and stats.work[WorkOutcome.TIMED_OUT] == 0
    assert dynamodb.items > 0, "each check tick asks DynamoDB for the droplets due"
