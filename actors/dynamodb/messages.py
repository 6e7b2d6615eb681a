"""DynamoDB's message protocol: a request to the service, and its outcome.

A client resolves the regional endpoint through its own caching resolver
(over Route 53's channel) and sends :class:`DynamoDBRequest` to the service
task with the address it picked. The service answers on the request's
one-shot reply after its latency, in the order its finite throughput allows.
A DWFM host's state checks of one tick travel as one request of many items.
"""

from __future__ import annotations

import enum
from typing import Protocol

import attrs

from emulator.kernel.mailbox import Reply

__all__ = ["DynamoDBRequest", "Outcome", "Requester"]


class Outcome(enum.Enum):
    OK = "ok"
    UNRESOLVABLE = "unresolvable"  # the resolver answered no address: never sent
    THROTTLED = "throttled"  # the service's backlog was past its limit
    TIMED_OUT = "timed_out"  # the caller gave up waiting


@attrs.frozen(eq=False)
class DynamoDBRequest:
    """``items`` reads/writes for ``key``, sent to ``address``; answered on ``reply``."""

    address: str
    key: str
    items: int
    reply: Reply[Outcome]


class Requester(Protocol):
    """What a caller needs of DynamoDB: one request of ``items`` reads/writes for ``key``.

    :class:`actors.dynamodb.client.DynamoDBClient` is one; a test may pass its own.
    """

    async def request(self, key: str, items: int = 1) -> Outcome: ...
