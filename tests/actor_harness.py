"""Running one actor (or a few) alone: a virtual clock, a nursery, and the test's body."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import trio

from emulator.kernel.clock import VirtualClock

__all__ = ["Body", "run_with_clock"]

Body = Callable[[VirtualClock, trio.Nursery], Awaitable[None]]


def run_with_clock(body: Body) -> None:
    """Start a virtual clock, run ``body(clock, nursery)``, then cancel whatever it left running."""

    async def main() -> None:
        clock = VirtualClock()
        async with trio.open_nursery() as nursery:
            await nursery.start(clock.run)
            await body(clock, nursery)
            nursery.cancel_scope.cancel()

    trio.run(main)
