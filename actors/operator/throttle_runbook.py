"""The operator's throttle runbook: relaxing EC2's throttles once leases are back.

Once every lease is back, the operator waits ``relax_throttles_delay_s``
(11:23) and then doubles the launch rate limit every ``relax_stage_interval_s``
until it is lifted, when admission control returns to its configured setting
(EC2 fully recovered, 13:50).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.operator.actions import act

if TYPE_CHECKING:
    from actors.control import ControlPlane
    from actors.ec2.messages import DwfmStats
    from actors.operator.config import OperatorConfig
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["run_throttle_relaxation"]


async def run_throttle_relaxation(
    *,
    clock: Clock,
    operator: OperatorConfig,
    configured_admission: tuple[bool, int],
    launch_ceiling_per_s: float,
    dwfm: DwfmStats,
    control: ControlPlane,
    trace: Trace,
) -> None:
    """``configured_admission`` is DWFM's own (enabled, max_queue), restored at the end."""
    admission_enabled, admission_max_queue = configured_admission
    while True:
        await clock.sleep(operator.poll_s)
        throttled = control.launch_throttle_per_s > 0 or control.dwfm_throttle_enabled != admission_enabled
        if not throttled or dwfm.not_active():
            continue
        await clock.sleep(operator.relax_throttles_delay_s)
        trace.milestone("operator_relaxing_throttles", "operator", launch_limit_per_s=control.launch_throttle_per_s)
        while 0 < control.launch_throttle_per_s < launch_ceiling_per_s:
            await clock.sleep(operator.relax_stage_interval_s)
            control.launch_throttle_per_s *= 2
            control.note_operator_action("relaxed_launch_throttle")
            trace.record("launch_throttle_relaxed", "operator", limit=control.launch_throttle_per_s)
        control.launch_throttle_per_s = 0.0
        control.dwfm_throttle_enabled = admission_enabled
        control.dwfm_throttle_max_queue = admission_max_queue
        act(trace, control, "lifted_throttles")
