"""The NLB's instrumentation: written by load balancers, checkers and the monitor, read by the world.

Like a metrics registry: the world's snapshot and report read it, no actor
decides anything from it. Per-AZ and per-checker fields are indexed by AZ,
per-load-balancer fields by load balancer.
"""

from __future__ import annotations

import attrs

__all__ = ["NlbStats"]


@attrs.define
class NlbStats:
    azs: int = 3
    load_balancers: int = 4
    health_flaps: int = 0
    az_failovers: int = 0
    failovers_refused: int = 0
    min_capacity_fraction: float = 1.0
    connection_errors: float = 0.0
    # Why they failed: sent to serving targets whose network state had not propagated
    # (no connectivity), or more than the working targets could carry (overflow). DNS
    # fails open, so there is always a node to send to.
    connection_errors_by_cause: dict[str, float] = attrs.Factory(lambda: {"no_connectivity": 0.0, "overflow": 0.0})
    checker_delay_s: list[float] = attrs.Factory(list)  # [az] -> current delay of that AZ's checks
    healthcheck_max_delay_s: float = 0.0
    checks: dict[str, int] = attrs.Factory(lambda: {"healthy": 0, "unhealthy": 0, "timeout": 0})
    nodes_in_dns: list[int] = attrs.Factory(list)  # [az] -> load balancers whose DNS answers with their node there
    automatic_failover: list[bool] = attrs.Factory(list)  # [lb] -> failover switch as it last applied
    erroring: bool = False
    flapping: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.checker_delay_s:
            self.checker_delay_s = [0.0] * self.azs
        if not self.nodes_in_dns:
            self.nodes_in_dns = [self.load_balancers] * self.azs
        if not self.automatic_failover:
            self.automatic_failover = [True] * self.load_balancers

    @property
    def healthcheck_delay_s(self) -> float:
        return max(self.checker_delay_s, default=0.0)
