"""The plan store: DNS plans by generation, a task that owns them.

The Planner writes plans (:class:`PutPlan`); Enactors and the operator read
the newest (:class:`GetNewestPlan`); clean-up lists and deletes old ones
(:class:`ListGenerations`, :class:`DeletePlans`). One task serves every
request from one channel, in order, so each request sees the store as the
previous one left it: that is what a conditional write to a real store gives.
Requests are answered in the virtual instant they arrive; the store has no
latency of its own (callers pay for theirs on their own clock).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

from actors.dns.messages import DeletePlans, GetNewestPlan, ListGenerations, Plan, PlanStoreRequest, PutPlan

if TYPE_CHECKING:
    from actors.dns.stats import DnsStats
    from emulator.kernel.trace import Trace

__all__ = ["PlanStore"]


class PlanStore:
    """The plans, owned by :meth:`run`; nothing else reads or writes them."""

    def __init__(self, requests: trio.MemoryReceiveChannel[PlanStoreRequest], *, stats: DnsStats, trace: Trace) -> None:
        self._requests = requests
        self._stats = stats
        self._trace = trace
        self._plans: dict[int, Plan] = {}  # insertion order == generation order
        self._newest = 0

    async def run(self) -> None:
        requests = self._requests
        while True:
            self._serve(await requests.receive())
            while True:  # whatever else arrived in the same instant, without a wake-up each
                try:
                    request = requests.receive_nowait()
                except trio.WouldBlock:
                    break
                self._serve(request)

    def _serve(self, request: PlanStoreRequest) -> None:
        if isinstance(request, PutPlan):
            self._put(request.plan)
        elif isinstance(request, GetNewestPlan):
            request.reply.send(self._plans.get(self._newest))
        elif isinstance(request, ListGenerations):
            request.reply.send(tuple(self._plans))
        elif isinstance(request, DeletePlans):
            deleted = tuple(g for g in request.generations if self._plans.pop(g, None) is not None)
            self._stats.plans_held = len(self._plans)
            request.reply.send(deleted)
        else:  # pragma: no cover - the union is closed
            raise TypeError(f"plan store: unexpected request {request!r}")

    def _put(self, plan: Plan) -> None:
        if plan.generation <= self._newest:
            # A Planner bug, not a runtime condition: fail the run loudly.
            raise ValueError(f"generation {plan.generation} is not newer than {self._newest}")
        self._plans[plan.generation] = plan
        self._newest = plan.generation
        self._stats.newest_generation = plan.generation
        self._stats.plans_held = len(self._plans)
