"""One request/reply exchange over a channel, with the caller's timeout.

Every request of the DNS automation's protocol carries its one-shot
:class:`~emulator.kernel.mailbox.Reply`; the requester sends it and waits
until a virtual deadline on the emulator's clock, which is how the timeout
stays the caller's. ``None`` means no answer came in time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import trio

if TYPE_CHECKING:
    from emulator.kernel.clock import Clock
    from emulator.kernel.mailbox import Reply

__all__ = ["Request", "ask"]

T = TypeVar("T")


class Request(Protocol[T]):
    """Any message that carries its reply as ``reply``."""

    @property
    def reply(self) -> Reply[T]: ...  # pragma: no cover - a protocol


async def ask(clock: Clock, channel: trio.MemorySendChannel[Any], request: Request[T], timeout_s: float) -> T | None:
    """Send ``request`` and wait for its answer; None after ``timeout_s`` virtual seconds.

    The send does not yield when the channel has room (``send_nowait``): the
    wait for the answer is the exchange's one scheduling point, which saves
    a Trio scheduler round per request on the DNS automation's hot path.
    """
    try:
        channel.send_nowait(request)
    except trio.WouldBlock:
        await channel.send(request)
    return await request.reply.wait_until(clock, clock.now() + timeout_s)
