"""The operator's own instrumentation: how many times each runbook step was taken."""

from __future__ import annotations

import attrs

__all__ = ["ACTIONS", "OperatorStats"]

# Every runbook step, declared once: each is served from the start at 0, so a
# series never appears halfway through a run (an alert or a rate() over it
# sees the whole run) and the set of series is the same whatever happens.
ACTIONS = (
    "paged",
    "identified_dns",
    "restored_dns",
    "paged_dwfm",
    "throttled_dwfm",
    "restarted_dwfm_host",
    "paged_nlb",
    "disabled_failover",
    "reenabled_failover",
    "relaxed_launch_throttle",
    "lifted_throttles",
)


@attrs.define
class OperatorStats:
    """Runbook actions taken so far, by action name (for metrics and reports)."""

    actions: dict[str, int] = attrs.Factory(lambda: dict.fromkeys(ACTIONS, 0))

    def note(self, action: str) -> None:
        if action not in self.actions:
            raise ValueError(f"undeclared operator action {action!r}: add it to ACTIONS")
        self.actions[action] += 1
