"""EC2's actors in isolation: built with channels, fed messages, judged by what comes out.

Each test runs a tiny world of its own in virtual time (a ``VirtualClock``
driving ``trio.run``): droplets with their inboxes, one DWFM host with a
stand-in DynamoDB client, or the launcher with its channels.
"""

from __future__ import annotations

import random
from typing import Any

import trio

from actors.dynamodb.messages import Outcome
from actors.ec2.config import DwfmConfig, Ec2Config
from actors.ec2.droplet import run_droplet
from actors.ec2.dwfm_host import DwfmHost
from actors.ec2.intake import WorkIntake
from actors.ec2.launcher import Launcher
from actors.ec2.messages import (
    HostControl,
    InstanceLaunched,
    LauncherControl,
    LeaseChanges,
    LeaseState,
    ReestablishLease,
    ReestablishmentOpen,
    RestartHost,
    SetAdmission,
    SetLaunchAdmission,
    WorkOutcome,
)
from actors.ec2.stats import DwfmStats, Ec2Stats
from emulator.kernel.clock import VirtualClock
from emulator.kernel.mailbox import Inbox, Reply
from emulator.kernel.trace import Trace
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


class _DynamoDB:
    """A stand-in DynamoDB client: unreachable for the first ``OUTAGE_S``, then fine."""

    def __init__(self) -> None:
        self.clock: VirtualClock | None = None
        self.items = 0

    async def request(self, key: str, items: int = 1) -> Outcome:
        assert self.clock is not None
        self.items += items
        return Outcome.UNRESOLVABLE if self.clock.now() < OUTAGE_S else Outcome.OK


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
LAPSING = {"state_check_interval_s": 10.0, "check_tick_s": 5.0, "lease_ttl_s": 25.0}
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


def _launcher(
    clock: VirtualClock, nursery: trio.Nursery, *, droplets: int, stats: Ec2Stats
) -> tuple[
    trio.MemorySendChannel[LeaseChanges],
    trio.MemorySendChannel[LauncherControl],
    trio.MemoryReceiveChannel[InstanceLaunched],
]:
    changes_send, changes_receive = trio.open_memory_channel[LeaseChanges](16)
    control_send, control_receive = trio.open_memory_channel[LauncherControl](16)
    launched_send, launched_receive = trio.open_memory_channel[InstanceLaunched](1024)
    launcher = Launcher(
        clock=clock,
        rng=random.Random(2),
        config=Ec2Config(droplets=droplets, launch_rate_per_s=5.0, retry_rate_per_s=0.0, placement_attempts=50),
        droplet_azs=bytes(droplet % 3 for droplet in range(droplets)),
        lease_changes=changes_receive,
        control=control_receive,
        subscribers=[launched_send],
        stats=stats,
        trace=Trace(clock, 0),
    )
    nursery.start_soon(launcher.run)
    return changes_send, control_send, launched_receive


def _launched(channel: trio.MemoryReceiveChannel[InstanceLaunched]) -> list[InstanceLaunched]:
    launched = []
    while True:
        try:
            launched.append(channel.receive_nowait())
        except trio.WouldBlock:
            return launched


def test_the_launcher_places_instances_only_on_droplets_it_knows_to_be_leased() -> None:
    stats = Ec2Stats()
    seen: dict[str, Any] = {}

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        changes, _, launched = _launcher(clock, nursery, droplets=10, stats=stats)
        await changes.send(LeaseChanges("host", lapsed=tuple(range(9)), restored=()))
        await clock.sleep(60.5)
        seen["placed_on"] = {instance.droplet for instance in _launched(launched)}
        await changes.send(LeaseChanges("host", lapsed=(9,), restored=()))
        await clock.sleep(60.0)
        seen["with_none_leased"] = len(_launched(launched))

    run_with_clock(body)
    assert seen == {"placed_on": {9}, "with_none_leased": 0}
    assert stats.launches_insufficient_capacity > 0 and stats.launches_ok > 0


def test_the_launcher_refuses_launches_while_network_manager_closes_admission() -> None:
    stats = Ec2Stats()
    counts: list[tuple[int, int]] = []

    async def body(clock: VirtualClock, nursery: trio.Nursery) -> None:
        _, control, launched = _launcher(clock, nursery, droplets=10, stats=stats)
        await control.send(SetLaunchAdmission(open=False))
        await clock.sleep(60.5)
        counts.append((len(_launched(launched)), stats.launches_throttled))
        await control.send(SetLaunchAdmission(open=True))
        await clock.sleep(60.0)
        counts.append((len(_launched(launched)), stats.launches_throttled))

    run_with_clock(body)
    (closed_launches, closed_throttled), (open_launches, open_throttled) = counts
    assert closed_launches == 0 and closed_throttled > 100
    assert open_launches > 100 and open_throttled == closed_throttled
