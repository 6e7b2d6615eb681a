"""Named presets: flat overrides of the defaults in :mod:`emulator.config.tree`.

``incident`` is the defaults themselves (every fix off, the injected jitter
on). ``remediated`` keeps the same jitter and switches on every fix AWS
announced, so the difference between the two is exactly the fixes.
``healthy`` removes the injected delays and gives the regional endpoint a
change batch no longer than any other's: its lock is then never a queue, and
the race has nothing to grow from.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SCENARIOS"]

# Every fix AWS announced that is a switch here (remediations 2, 3, 4 and 6;
# 1 is the operator's off-switch, 5 is this project's DWFM recovery suite).
REMEDIATIONS: dict[str, Any] = {
    "dns.race_fix": True,
    "dns.plan_protection": True,
    "nlb.velocity_control.enabled": True,
    "dwfm.throttle.enabled": True,
    "network_manager.throttle.enabled": True,
}

SCENARIOS: dict[str, dict[str, Any]] = {
    "incident": {},
    "remediated": dict(REMEDIATIONS),
    "healthy": {"dns.enactor.stall_probability": 0.0, "dns.route53.regional_record_set_factor": 1.0},
}
