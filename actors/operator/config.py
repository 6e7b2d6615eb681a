"""Configuration of The operator's runbooks and their human delays.

Part of the config tree (:mod:`emulator.config.tree`); units are in the names.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt

__all__ = ["OperatorConfig"]


@attrs.frozen
class OperatorConfig:
    """AWS's engineers as an automated runbook (delays from the timeline)."""

    enabled: bool = True
    poll_s: float = attrs.field(default=60.0, validator=gt(0))
    detect_delay_s: float = attrs.field(default=3000.0, validator=ge(0))
    dns_repair_delay_s: float = attrs.field(default=6420.0, validator=ge(0))
    # AWS disabled the DNS automation worldwide after repairing the records;
    # turn this off (as soaks do) to let the race recur after each repair.
    pause_dns_automation_after_repair: bool = True
    # DWFM runbook (none existed: 04:14 in the incident): after DWFM is seen
    # collapsed, wait, throttle incoming work and launches, then restart
    # congested DWFM hosts one at a time.
    dwfm_action_delay_s: float = attrs.field(default=5700.0, validator=ge(0))
    dwfm_throttle_max_queue: int = attrs.field(default=16, validator=ge(1))
    launch_throttle_per_s: float = attrs.field(default=0.2, validator=ge(0))
    dwfm_restart_interval_s: float = attrs.field(default=720.0, validator=ge(0))
    # After leases are back, relax the launch throttle in stages (11:23 -> 13:50).
    relax_throttles_delay_s: float = attrs.field(default=21300.0, validator=ge(0))
    relax_stage_interval_s: float = attrs.field(default=1800.0, validator=gt(0))
    # NLB: disable automatic failover after flapping is seen (06:52 -> 09:36), re-enable later (14:09).
    # Flapping, as the metrics show it: target health transitions faster than
    # this rate over the window (calibrated to page when the NLB's own
    # flapping alarm goes off in the incident).
    nlb_page_transitions_per_s: float = attrs.field(default=0.35, validator=gt(0))
    nlb_page_window_s: float = attrs.field(default=900.0, validator=gt(0))
    disable_failover_delay_s: float = attrs.field(default=9840.0, validator=ge(0))
    reenable_failover_delay_s: float = attrs.field(default=16380.0, validator=ge(0))
