"""The plan store: DNS plans by generation, written by the Planner.

A passive store rather than a task: in a single-threaded Trio world each
method is atomic, as a conditional write to a real store would be. Callers
pay for latency on their own clock.
"""

from __future__ import annotations

from actors.dns.messages import Plan

__all__ = ["PlanStore"]


class PlanStore:
    def __init__(self) -> None:
        self._plans: dict[int, Plan] = {}  # insertion order == generation order
        self.newest_generation = 0

    def put(self, plan: Plan) -> None:
        if plan.generation <= self.newest_generation:
            raise ValueError(f"generation {plan.generation} is not newer than {self.newest_generation}")
        self._plans[plan.generation] = plan
        self.newest_generation = plan.generation

    def newest(self) -> Plan | None:
        return self._plans.get(self.newest_generation)

    def get(self, generation: int) -> Plan | None:
        return self._plans.get(generation)

    def delete(self, generation: int) -> bool:
        return self._plans.pop(generation, None) is not None

    def generations_below(self, threshold: int) -> list[int]:
        """Stored generations older than ``threshold``, oldest first."""
        older = []
        for generation in self._plans:
            if generation >= threshold:
                break
            older.append(generation)
        return older

    def __len__(self) -> int:
        return len(self._plans)
