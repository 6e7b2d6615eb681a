"""The NLB stage's messages: operator control, and the health-check loop inside the stage.

Each tick (``nlb.tick_s``) every load balancer sends every AZ's health checker
one :class:`CheckRequest` for the next tick (the targets it drew for that
checker); each checker answers each load balancer with one
:class:`CheckResults` per tick, tells the other checkers the transition work
it saw (:class:`TransitionTally`, only where a transition was possible), and
each load balancer reports its tick to the NLB monitor
(:class:`LoadBalancerTick`). One message per pair per tick, never one per
check: 830,000 checks over the incident fit in about 300,000 messages.
"""

from __future__ import annotations

import attrs

__all__ = ["CheckRequest", "CheckResults", "LoadBalancerTick", "SetAutomaticFailover", "TransitionTally"]


@attrs.frozen
class SetAutomaticFailover:
    """Operator -> each load balancer's control channel: automatic AZ DNS failover on or off.

    Off puts every node back in DNS at the load balancer's next tick.
    """

    enabled: bool


@attrs.frozen
class CheckRequest:
    """Load balancer -> one AZ's health checker: check these targets at tick ``tick``.

    ``targets`` pairs each instance id with the outcome that would change its
    health (True: a pass puts it back in service; False: a failure takes it
    out; None: neither), so the checker that sees a transition starts its
    share of the work at once. ``candidates[az]`` tells whether AZ ``az``'s
    part of this load balancer's checks holds any such target, so each
    checker knows whose :class:`TransitionTally` to wait for.
    """

    lb: int
    tick: int
    targets: tuple[tuple[int, bool | None], ...]
    candidates: tuple[bool, ...]


@attrs.frozen
class TransitionTally:
    """Health checker -> the other AZs' checkers: the transition work it saw in one load balancer's checks.

    Taking a target out of service (DNS removal, then re-checks from every
    AZ) loads every checker host, so each checker adds the others' tallies
    before it checks the next load balancer's targets.
    """

    checker: int
    tick: int
    lb: int
    units: float


@attrs.frozen
class CheckResults:
    """Health checker -> load balancer: ``(instance id, passed)`` for each requested target."""

    checker: int
    tick: int
    results: tuple[tuple[int, bool], ...]


@attrs.frozen
class LoadBalancerTick:
    """Load balancer -> NLB monitor, once per tick: what fleet-wide alarms need.

    ``offered`` and ``errors`` are connections over the tick; ``flapping``
    counts health transitions past a target's registration; ``failovers``
    lists ``(az, healthy fraction)`` of each node taken out of DNS this tick.
    """

    lb: int
    tick: int
    offered: float
    errors: float
    flapping: int
    failovers: tuple[tuple[int, float], ...]
