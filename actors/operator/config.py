"""Configuration of the operator's runbooks and their human delays.

Part of the config tree (:mod:`emulator.config.tree`); units are in the names.

Most of these delays are **calibrated**: copied from the gaps between AWS's
own timeline entries, so that the emulated operator acts when AWS's engineers
did. The milestones they place are therefore not predictions of the model;
the printed comparison with AWS's timeline says so, milestone by milestone.
Each such field carries ``metadata={"calibrated": "<the AWS gap it copies>"}``,
which ``outage-emulator keys``, the report and the comparison read.
"""

from __future__ import annotations

import attrs
from attrs.validators import ge, gt

__all__ = ["OperatorConfig", "calibrated"]


def calibrated(default: float, gap: str, *, positive: bool = False) -> float:
    """A setting that places one of our times on AWS's timeline; ``gap`` names the entries it spans."""
    return attrs.field(default=default, validator=gt(0) if positive else ge(0), metadata={"calibrated": gap})


@attrs.frozen
class OperatorConfig:
    """AWS's engineers as an automated runbook."""

    # The operator's runbooks at all (false: nobody repairs anything).
    enabled: bool = True
    # How often the runbooks look at the metrics (an on-call's alert evaluation).
    poll_s: float = attrs.field(default=60.0, validator=gt(0))
    # From the page on an empty regional endpoint to DNS identified as the cause.
    detect_delay_s: float = calibrated(3000.0, "23:48 errors start -> 00:38 DNS identified as the cause (50 min)")
    # From DNS identified to every DNS record restored by hand.
    dns_repair_delay_s: float = calibrated(6420.0, "00:38 DNS identified -> 02:25 all DNS records restored (107 min)")
    # How long the operator waits for the plan store to hand over the newest plan to restore (the
    # caller owns the timeout). Without an answer, or with no plan to restore, the repair fails and
    # the runbook starts over from the page. Not calibrated: the emulated plan store answers at once,
    # so this bounds a store that does not, and changes no shipped scenario.
    plan_store_timeout_s: float = attrs.field(default=60.0, validator=gt(0))
    # AWS disabled the DNS automation worldwide after repairing the records;
    # turn this off (as soaks do) to let the race recur after each repair.
    pause_dns_automation_after_repair: bool = True
    # DWFM runbook (none existed: 04:14 in the incident): after DWFM is seen
    # collapsed, wait, throttle incoming work and launches, then restart
    # congested DWFM hosts one at a time.
    dwfm_action_delay_s: float = calibrated(
        5160.0, "02:48 DWFM seen collapsed (as emulated) -> 04:14 DWFM throttled, hosts restarted (86 min)"
    )
    # The queue size each DWFM host is throttled to (new work refused beyond it).
    dwfm_throttle_max_queue: int = attrs.field(default=16, validator=ge(1))
    # The launch rate EC2 is throttled to meanwhile (0: no launch limit).
    launch_throttle_per_s: float = attrs.field(default=0.2, validator=ge(0))
    # Between restarts of the congested DWFM hosts, most congested first (0: the poll interval).
    # It sets when the last lease is back: seed 1's last lease comes at 04:58, 05:26 and 05:56
    # with 360, 720 and 1,080 s, so the default is what puts it near AWS's 05:28.
    dwfm_restart_interval_s: float = calibrated(
        720.0, "04:14 hosts restarted -> 05:28 every droplet leased again (74 min), over the 6 default hosts"
    )
    # After leases are back, relax the launch throttle in stages (11:23 -> 13:50).
    relax_throttles_delay_s: float = calibrated(
        21300.0, "05:28 every droplet leased again -> 11:23 operators start relaxing throttles (355 min)"
    )
    # Between the stages of relaxing, each doubling the launch limit.
    relax_stage_interval_s: float = calibrated(
        1800.0, "11:23 relaxing starts -> 13:50 EC2 fully recovered, over the doubling stages", positive=True
    )
    # The launch limit is lifted once doubling takes it past this multiple of the customers' demand
    # (ec2.launch_rate_per_s + ec2.retry_rate_per_s): with the stage interval, how many stages there are.
    relax_lift_at_demand_multiple: float = calibrated(
        4.0, "11:23 relaxing starts -> 13:50 EC2 fully recovered, the number of doubling stages", positive=True
    )
    # NLB: disable automatic failover after flapping is seen (06:52 -> 09:36), re-enable later (14:09).
    # Flapping, as the metrics show it: target health transitions faster than
    # this rate over the window. Calibrated: set so that the page comes when
    # the incident's flapping does (06:52), not derived from AWS's alarms.
    nlb_page_transitions_per_s: float = attrs.field(
        default=0.35, validator=gt(0), metadata={"calibrated": "pages on the 06:52 flapping of the default incident"}
    )
    # The window that rate is taken over (a rate() in the alert rule's terms).
    nlb_page_window_s: float = attrs.field(default=900.0, validator=gt(0))
    # From the NLB page to automatic failover disabled.
    disable_failover_delay_s: float = calibrated(
        9840.0, "06:52 NLB flapping detected -> 09:36 automatic failover disabled (164 min)"
    )
    # From failover disabled to re-enabled.
    reenable_failover_delay_s: float = calibrated(
        16380.0, "09:36 automatic failover disabled -> 14:09 re-enabled (273 min)"
    )
