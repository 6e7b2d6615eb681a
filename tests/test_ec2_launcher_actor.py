"""EC2's launcher in isolation: its channels in, the instances it launches out.

Each test runs a tiny world of its own in virtual time (a ``VirtualClock``
driving ``trio.run``): the launcher is told which droplets' leases lapsed, or
that Network Manager closed admission, and judged by where it places instances.
"""

from __future__ import annotations

import random
from typing import Any

import trio

from actors.ec2.config import Ec2Config
from actors.ec2.launcher import Launcher
from actors.ec2.messages import InstanceLaunched, LauncherControl, LeaseChanges, SetLaunchAdmission
from actors.ec2.stats import Ec2Stats
from emulator.kernel.clock import VirtualClock
from emulator.kernel.trace import Trace
from tests.actor_harness import run_with_clock


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
