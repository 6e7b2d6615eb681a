"""The operator's own instrumentation: how many times each runbook step was taken."""

from __future__ import annotations

import attrs

__all__ = ["OperatorStats"]


@attrs.define
class OperatorStats:
    """Runbook actions taken so far, by action name (for metrics and reports)."""

    actions: dict[str, int] = attrs.Factory(dict)

    def note(self, action: str) -> None:
        self.actions[action] = self.actions.get(action, 0) + 1
