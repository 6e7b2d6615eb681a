"""Switches that people (the operator runbook, fault injection) flip at run time.

Actors read these at each step; nothing else couples the operator to them.
"""

from __future__ import annotations

import attrs

__all__ = ["ControlPlane"]


@attrs.define
class ControlPlane:
    dns_automation_enabled: bool = True
    # DWFM admission control by queue size, and the launch rate limit (0: none).
    dwfm_throttle_enabled: bool = False
    dwfm_throttle_max_queue: int = 16
    launch_throttle_per_s: float = 0.0
    nlb_automatic_failover: bool = True
    # Fault injection: an Enactor named here does nothing until this virtual time.
    enactor_stalled_until: dict[str, float] = attrs.Factory(dict)
    # Runbook actions taken so far, by action name (for metrics and reports).
    operator_actions: dict[str, int] = attrs.Factory(dict)

    def note_operator_action(self, action: str) -> None:
        self.operator_actions[action] = self.operator_actions.get(action, 0) + 1
