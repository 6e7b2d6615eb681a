"""One runbook step: a timeline milestone ``operator_<action>`` and its count."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actors.operator.stats import OperatorStats
    from emulator.kernel.trace import Trace

__all__ = ["act"]


def act(trace: Trace, actions: OperatorStats, action: str, **fields: object) -> None:
    """One runbook step: a timeline milestone ``operator_<action>`` and its count."""
    trace.milestone(f"operator_{action}", "operator", **fields)
    actions.note(action)
