"""Publishing one message to every subscriber's bounded channel.

``send_nowait`` first: when the subscriber keeps up (the usual case) that
costs no scheduler round; only a full buffer makes the publisher wait, which
is the back-pressure a bounded channel is for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import trio

__all__ = ["publish"]

T = TypeVar("T")


async def publish(subscribers: Sequence[trio.MemorySendChannel[T]], message: T) -> None:
    for channel in subscribers:
        try:
            channel.send_nowait(message)
        except trio.WouldBlock:
            await channel.send(message)
