"""Fault injection: ``--fault KIND:AT:DURATION[:TARGET]``.

``empty_record`` empties the regional endpoint's answer for DURATION without
the race, for cascade experiments. ``stall_enactor`` freezes one Enactor
(TARGET, default the first) for DURATION, the way a host pause would.
Faults are clock callbacks: they cost nothing until they fire.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actors.control import ControlPlane
    from actors.dns.route53 import DnsStore
    from emulator.config.tree import FaultSpec
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["schedule_faults"]


def schedule_faults(
    faults: Sequence[FaultSpec],
    *,
    clock: Clock,
    dns_store: DnsStore,
    control: ControlPlane,
    enactor_names: Sequence[str],
    trace: Trace,
) -> None:
    for fault in faults:
        start, end = fault.at_s, fault.at_s + fault.duration_s
        if fault.kind == "empty_record":
            endpoint = fault.target or dns_store.regional_endpoint

            def begin(endpoint: str = endpoint) -> None:
                trace.milestone("fault_empty_record_start", "faults", endpoint=endpoint)
                dns_store.force_empty(endpoint, True)

            def finish(endpoint: str = endpoint) -> None:
                trace.milestone("fault_empty_record_end", "faults", endpoint=endpoint)
                dns_store.force_empty(endpoint, False)

            clock.call_at(start, begin)
            clock.call_at(end, finish)
        elif fault.kind == "stall_enactor":
            target = fault.target or enactor_names[0]

            def stall(target: str = target, until: float = end) -> None:
                trace.milestone("fault_stall_enactor", "faults", enactor=target, until=until)
                control.enactor_stalled_until[target] = until

            clock.call_at(start, stall)
        else:  # pragma: no cover - FaultSpec validates kinds
            raise ValueError(f"unknown fault kind {fault.kind!r}")
