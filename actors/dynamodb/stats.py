"""DynamoDB's instrumentation: counters its clients and its service update, the report reads.

Like a metrics registry: written by the actors, read only by the world's
snapshot and report. Clients count what their callers saw (one outcome per
request); the service counts what it served and how far behind it was.
"""

from __future__ import annotations

import attrs

__all__ = ["DynamoDBStats"]


@attrs.define
class DynamoDBStats:
    # Clients: one per request, by the outcome its caller got.
    requests: int = 0
    ok: int = 0
    failed_unresolvable: int = 0
    throttled: int = 0
    timed_out: int = 0
    # The service.
    items_served: int = 0
    backlog_items: int = 0
    max_backlog_items: int = 0
    throttling_episodes: int = 0
    unheard_answers: int = 0  # answered after the client had given up
