"""The clock: ordering, timeouts, callbacks, and the real-time mode's speed."""

from __future__ import annotations

import time

import pytest
import trio

from emulator.kernel.clock import VirtualClock
from emulator.kernel.realtime_clock import RealtimeClock
from emulator.kernel.trio_idle import run_queue_of_this_run


async def _with_clock(clock, body):  # type: ignore[no-untyped-def]
    async with trio.open_nursery() as nursery:
        await nursery.start(clock.run)
        await body()
        nursery.cancel_scope.cancel()


def test_virtual_sleepers_wake_in_deadline_order_at_exact_times() -> None:
    woke: list[tuple[str, float]] = []
    clock = VirtualClock()

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    async def body() -> None:
        async with trio.open_nursery() as nursery:
            for name, seconds in (("c", 300.0), ("a", 0.5), ("b", 86400.0)):
                nursery.start_soon(sleeper, name, seconds)

    started = time.perf_counter()
    trio.run(_with_clock, clock, body)
    assert woke == [("a", 0.5), ("c", 300.0), ("b", 86400.0)]
    assert time.perf_counter() - started < 5, "a virtual day must not take real time"


def test_move_on_after_cancels_in_virtual_time_and_is_disarmed_on_exit() -> None:
    clock = VirtualClock()
    seen: dict[str, object] = {}

    async def body() -> None:
        with clock.move_on_after(10) as scope:
            await clock.sleep(60)
        seen["cancelled"] = scope.cancelled_caught
        seen["at"] = clock.now()
        with clock.move_on_after(10) as quick:
            await clock.sleep(1)
        await clock.sleep(30)  # the disarmed timeout must not fire later
        seen["quick_cancelled"] = quick.cancelled_caught

    trio.run(_with_clock, clock, body)
    assert seen == {"cancelled": True, "at": 10.0, "quick_cancelled": False}


def test_call_at_runs_callbacks_and_cancelled_handles_do_not_fire() -> None:
    clock = VirtualClock()
    fired: list[float] = []

    async def body() -> None:
        clock.call_at(5, lambda: fired.append(clock.now()))
        handle = clock.call_at(6, lambda: fired.append(-1.0))
        handle.cancel()
        await clock.sleep(10)

    trio.run(_with_clock, clock, body)
    assert fired == [5.0]


def test_realtime_clock_runs_speed_times_faster_than_the_wall() -> None:
    clock = RealtimeClock(speed=200.0)
    measured: dict[str, float] = {}

    async def body() -> None:
        clock.begin()
        wall, virtual = trio.current_time(), clock.now()
        await clock.sleep(20.0)  # 0.1 s of wall time at speed 200
        measured["wall"] = trio.current_time() - wall
        measured["virtual"] = clock.now() - virtual

    trio.run(_with_clock, clock, body)
    # Virtual time advances speed x wall time, however late the woken task gets to run
    # (on a busy machine it can be late, which lengthens both figures alike).
    assert measured["virtual"] >= 20.0 - 1e-6, "woke no earlier than the deadline"
    assert measured["virtual"] / measured["wall"] == pytest.approx(200.0, rel=0.01)
    assert 0.099 <= measured["wall"] < 2.0


def test_realtime_time_stands_until_the_world_begins_and_after_it_freezes() -> None:
    clock = RealtimeClock(speed=10_000.0)
    seen: list[float] = []

    async def body() -> None:
        await trio.sleep(0.05)  # building the world: 500 virtual seconds at this speed, if time ran
        seen.append(clock.now())
        clock.begin()
        await clock.sleep(100.0)
        clock.freeze(clock.now())
        seen.append(clock.now())
        await trio.sleep(0.05)  # tearing it down
        seen.append(clock.now())

    trio.run(_with_clock, clock, body)
    assert seen[0] == 0.0
    assert seen[1] >= 100.0 and seen[2] == seen[1]
    assert clock.max_lag_s >= 0.0


def test_realtime_clock_rejects_non_positive_speed() -> None:
    with pytest.raises(ValueError, match="speed"):
        RealtimeClock(speed=0)


class _RoundCounter(trio.abc.Instrument):
    """Counts Trio's scheduler rounds: one I/O wait per round."""

    def __init__(self) -> None:
        self.rounds = 0

    def before_io_wait(self, timeout: float) -> None:
        self.rounds += 1


def _sleepers_and_callbacks(hooked: bool) -> tuple[list[tuple[str, float]], int]:
    """Fifty sleepers and ten callbacks at sixty distinct instants, under either driver."""
    clock, woke, counter = VirtualClock(), [], _RoundCounter()

    async def sleeper(index: int) -> None:
        await clock.sleep(1.5 * index + 0.25)
        woke.append((f"task {index}", clock.now()))

    async def body() -> None:
        for index in range(10):
            clock.call_at(100.0 + index, lambda index=index: woke.append((f"callback {index}", clock.now())))
        async with trio.open_nursery() as nursery:
            for index in range(50):
                nursery.start_soon(sleeper, index)
        await clock.sleep(200)

    trio.run(_with_clock, clock, body, clock=clock.trio_clock() if hooked else None, instruments=[counter])
    return woke, counter.rounds


def test_trio_s_idle_hook_wakes_the_same_tasks_at_the_same_times_with_a_round_fewer_per_instant() -> None:
    hooked, hooked_rounds = _sleepers_and_callbacks(hooked=True)
    driven, driven_rounds = _sleepers_and_callbacks(hooked=False)
    assert hooked == driven
    assert len({t for _, t in hooked}) == 60
    # The driver task's own round at each of the 61 instants (the last sleep's included) is gone.
    assert hooked_rounds <= driven_rounds - 61, (hooked_rounds, driven_rounds)


def test_a_timer_callback_that_raises_under_trio_s_idle_hook_fails_the_run_with_its_error() -> None:
    clock = VirtualClock()

    def explode() -> None:
        raise ValueError("a callback's bug")

    async def body() -> None:
        clock.call_at(5, explode)
        await clock.sleep(10)

    with pytest.raises(BaseExceptionGroup) as caught:
        trio.run(_with_clock, clock, body, clock=clock.trio_clock())
    assert caught.group_contains(ValueError, match="a callback's bug")
    assert clock.now() == 5.0, "time stops where the callback failed"


def test_the_idle_check_reads_the_same_runnable_count_as_trios_statistics() -> None:
    """The clock reads Trio's run queue directly (cheaper); an upgrade that moves it must fail here."""
    seen: list[tuple[int, int]] = []

    async def main() -> None:
        queue = run_queue_of_this_run()
        assert queue is not None, "trio moved its run queue: update run_queue_of_this_run"
        async with trio.open_nursery() as nursery:
            for _ in range(3):
                nursery.start_soon(trio.sleep, 0)
            seen.append((len(queue), trio.lowlevel.current_statistics().tasks_runnable))
        seen.append((len(queue), trio.lowlevel.current_statistics().tasks_runnable))

    trio.run(main)
    assert seen == [(3, 3), (0, 0)]
