"""Fault injection: ``--fault KIND:AT:DURATION[:TARGET]``.

``empty_record`` empties the regional endpoint's answer (or TARGET's) for
DURATION without the race, for cascade experiments: a :class:`ForceEmpty`
message to Route 53 at the start and another at the end. ``stall_enactor``
freezes one Enactor (TARGET, default the first) for DURATION, the way a host
pause would: a :class:`StallEnactor` message on its control channel.
Faults are clock callbacks that ``send_nowait`` on those channels: they cost
nothing until they fire, and the actors take them at their own next step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from actors.dns.messages import EnactorControl, ForceEmpty, Route53Request, StallEnactor

if TYPE_CHECKING:
    import trio

    from emulator.config.tree import FaultSpec
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["schedule_faults"]


def schedule_faults(
    faults: Sequence[FaultSpec],
    *,
    clock: Clock,
    route53: trio.MemorySendChannel[Route53Request],
    regional_endpoint: str,
    enactors: Mapping[str, trio.MemorySendChannel[EnactorControl]],
    trace: Trace,
) -> None:
    for fault in faults:
        start, end = fault.at_s, fault.at_s + fault.duration_s
        if fault.kind == "empty_record":
            endpoint = fault.target or regional_endpoint

            def begin(endpoint: str = endpoint) -> None:
                trace.milestone("fault_empty_record_start", "faults", endpoint=endpoint)
                route53.send_nowait(ForceEmpty(endpoint, True))

            def finish(endpoint: str = endpoint) -> None:
                trace.milestone("fault_empty_record_end", "faults", endpoint=endpoint)
                route53.send_nowait(ForceEmpty(endpoint, False))

            clock.call_at(start, begin)
            clock.call_at(end, finish)
        elif fault.kind == "stall_enactor":
            target = fault.target or next(iter(enactors))

            def stall(target: str = target, until: float = end) -> None:
                trace.milestone("fault_stall_enactor", "faults", enactor=target, until=until)
                enactors[target].send_nowait(StallEnactor(until))

            clock.call_at(start, stall)
        else:  # pragma: no cover - FaultSpec validates kinds
            raise ValueError(f"unknown fault kind {fault.kind!r}")
