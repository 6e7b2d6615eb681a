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

__all__ = ["Request", "ask", "send"]

T = TypeVar("T")


class Request(Protocol[T]):
    """Any message that carries its reply as ``reply``."""

    @property
    def reply(self) -> Reply[T]: ...  # pragma: no cover - a protocol


async def ask(clock: Clock, channel: trio.MemorySendChannel[Any], request: Request[T], timeout_s: float) -> T | None:
    """Send ``request`` and wait for its answer; None after ``timeout_s`` virtual seconds."""
    await send(channel, request)
    return await request.reply.wait_until(clock, clock.now() + timeout_s)


async def send(channel: trio.MemorySendChannel[Any], message: object) -> None:
    """Queue ``message`` without a scheduler round when there is room, else wait for room.

    ``await channel.send`` always yields, which costs a round of Trio's
    scheduler per message; a requester yields anyway while it waits for the
    reply, and a full buffer still pushes back.
    """
    try:
        channel.send_nowait(message)
    except trio.WouldBlock:
        await channel.send(message)
