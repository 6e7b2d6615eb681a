"""Ready-made sweeps (``outage-emulator sweep --study NAME``) for the questions users ask most.

Each study is only a set of defaults for the sweep command line: any
``--scenario``, ``--seeds``, ``--duration`` given wins, ``--set`` and
``--fault`` add to the study's, and a ``--grid`` on a key the study sweeps
replaces that axis (a quick, small version of a study is one flag away).

The cascade studies use the ``healthy`` scenario with an ``empty_record``
fault as the trigger, so the trigger's length is set rather than left to the
race, and switch the operator off, so what is measured is the system's own
recovery (or its collapse), not the runbook's. ``chain-order`` is the
exception: it plays the whole ``incident``, operator included, because the
order it measures is set by when the restarts release the leases.
"""

from __future__ import annotations

import attrs

__all__ = ["STUDIES", "Study"]


@attrs.frozen
class Study:
    name: str
    question: str
    scenario: str
    sets: tuple[tuple[str, str], ...]
    faults: tuple[str, ...]
    grid: tuple[tuple[str, tuple[str, ...]], ...]
    seeds: str
    duration: str
    # The outcomes the study is about: these get plots and the printed table.
    outcomes: tuple[str, ...]


_NO_OPERATOR = ("operator.enabled", "false")

STUDIES: dict[str, Study] = {
    study.name: study
    for study in (
        Study(
            name="dwfm-throttle",
            question="How small can DWFM's admission queue be before lease recovery slows down?",
            scenario="healthy",
            # A trigger longer than the lease TTL, so leases really expire and must be re-established.
            sets=(_NO_OPERATOR, ("dwfm.throttle.enabled", "true"), ("dwfm.lease_ttl_s", "30m")),
            faults=("empty_record:10m:1h",),
            grid=(("dwfm.throttle.max_queue", ("2", "4", "8", "16", "32", "64", "128")),),
            seeds="0..9",
            duration="8h",
            outcomes=("dwfm.lease_recovery_seconds", "dwfm.collapse", "dwfm.max_queue_depth", "dwfm.work_timeouts"),
        ),
        Study(
            name="nlb-velocity",
            question="How much capacity may health-check failover remove before connections fail?",
            scenario="healthy",
            sets=(_NO_OPERATOR, ("nlb.velocity_control.enabled", "true")),
            faults=("empty_record:10m:2h",),
            grid=(("nlb.velocity_control.max_removal_fraction", ("0.1", "0.2", "0.33", "0.5", "0.75", "1.0")),),
            seeds="0..9",
            duration="10h",
            outcomes=("nlb.connection_errors", "nlb.min_capacity_fraction", "nlb.az_failovers", "nlb.health_flaps"),
        ),
        Study(
            name="enactor-stall",
            question="How likely is the DNS race as the Enactors' stalls grow more frequent and longer?",
            scenario="incident",
            sets=(),
            faults=(),
            grid=(
                ("dns.enactor.stall_probability", ("0", "0.00001", "0.00003", "0.0001", "0.0003")),
                ("dns.enactor.stall_max_s", ("60", "120", "300")),
            ),
            seeds="0..19",
            duration="1h",
            outcomes=("dns.race_occurred", "dns.first_empty_at", "dns.empty_record_seconds"),
        ),
        Study(
            name="metastability-map",
            question="Which trigger lengths and fleet sizes tip DWFM into congestive collapse, with and "
            "without admission control? (a vulnerability map)",
            scenario="healthy",
            sets=(_NO_OPERATOR,),
            faults=(),
            grid=(
                (
                    "fault",
                    tuple(f"empty_record:10m:{length}" for length in ("10m", "20m", "40m", "1h", "2h", "3h")),
                ),
                ("ec2.droplets", ("1000", "2500", "5000", "10000")),
                ("dwfm.throttle.enabled", ("false", "true")),
            ),
            seeds="0..4",
            duration="10h",
            outcomes=("dwfm.collapse", "dwfm.collapse_seconds", "dwfm.lease_recovery_seconds"),
        ),
        Study(
            name="chain-order",
            question="Which of DWFM's and the operator's unpublished settings would put Network Manager's "
            "backlog and NLB's flapping after the last lease is back, as in AWS's account?",
            scenario="incident",
            sets=(),
            faults=(),
            grid=(
                # The first wave (K = workers x work_timeout_s / work_service_s of each host's
                # lapsed leases back within one timeout) and the spacing of the host restarts:
                # the two settings that release Network Manager's waiting work early.
                ("dwfm.work_service_s", ("10", "20", "40")),
                ("operator.dwfm_restart_interval_s", ("60", "720")),
            ),
            seeds="1..5",
            duration="12h",
            outcomes=(
                "phases.network_backlog.start_after_leases_s",
                "phases.nlb_flapping.start_after_leases_s",
                "phases.nlb_flapping.seconds",
                "dwfm.lease_recovery_seconds",
            ),
        ),
    )
}
