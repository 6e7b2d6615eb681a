"""One AZ's health-checker hosts: finite capacity, and their own view of the network.

A checker can reach an instance only once Network Manager's propagation of
that instance has reached this AZ's checkers (``PropagationProgress``): a
target whose state has reached some AZs and not others passes some checks
and fails others, so its results alternate. The checker's unfinished work
delays its checks; a check delayed beyond ``check_timeout_s`` counts as a
failure. Every health transition costs work on every checker host (DNS
update, re-checks from each AZ): flapping therefore loads the subsystem,
which delays checks, which fails healthy targets. The loop emerges from
these costs, nothing is scripted.

The checker runs once per ``nlb.tick_s``. It drains its inbox with
``receive_nowait`` (Network Manager's batches, published just before the
tick, and each load balancer's request for this tick, sent at the previous
one) and serves the requests in load balancer order. A request says which
targets would change health with this check, so the checker that sees a
transition takes its share of the work at once; after each load balancer's
checks it tells the other checkers what it saw (:class:`TransitionTally`)
and adds theirs before going on, so a transition loads every checker within
the tick, as it would in a system that checks continuously. Tallies are
exchanged only where a transition was possible: a healthy fleet sends none.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import trio

from actors.network.messages import PropagationProgress, checker_bit
from actors.nlb.messages import CheckRequest, CheckResults, TransitionTally
from actors.nlb.reachable import ReachableInstances

if TYPE_CHECKING:
    from actors.nlb.config import NlbConfig
    from actors.nlb.stats import NlbStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["CheckerMessage", "HealthChecker"]

CheckerMessage = PropagationProgress | CheckRequest | TransitionTally


class HealthChecker:
    def __init__(
        self,
        az: int,
        *,
        clock: Clock,
        config: NlbConfig,
        stats: NlbStats,
        trace: Trace,
        inbox: trio.MemoryReceiveChannel[CheckerMessage],
        results: Sequence[trio.MemorySendChannel[CheckResults]],
        peers: Sequence[trio.MemorySendChannel[CheckerMessage] | None],
        reachable: Iterable[int] = (),
    ) -> None:
        """``peers[az]``: every AZ's checker inbox (None, or anything, at this checker's own AZ)."""
        self.az = az
        self.name = f"nlb-checker-{az}"
        self._clock = clock
        self._config = config
        self._stats = stats
        self._trace = trace
        self._inbox = inbox
        self._results = tuple(results)
        self._peers = [(other, channel) for other, channel in enumerate(peers) if other != az and channel is not None]
        self._bit = checker_bit(az)
        # Taking a target out costs the full transition spread over every AZ's checkers; back, a share of it.
        self._out_units = config.transition_cost / len(peers)
        self._back_units = config.transition_cost * config.back_in_service_cost_fraction / len(peers)
        self._reachable = ReachableInstances(reachable)  # instances whose network state reached this AZ's checkers
        self._backlog_units = 0.0
        self._requests: list[CheckRequest] = []  # received, for this tick or a later one
        self._tallies: dict[tuple[int, int, int], float] = {}  # (tick, lb, checker) -> units
        self._timing_out = False

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        clock, tick_s = self._clock, self._config.tick_s
        task_status.started()
        tick = 0
        while True:
            await clock.sleep_until((tick + 1) * tick_s)
            receive = self._inbox.receive_nowait
            while True:
                try:
                    self._take(receive())
                except trio.WouldBlock:
                    break
            due = sorted((r for r in self._requests if r.tick <= tick), key=lambda r: (r.tick, r.lb))
            self._requests = [request for request in self._requests if request.tick > tick]
            await self._serve(tick, due)
            tick += 1

    def _take(self, message: CheckerMessage) -> None:
        if isinstance(message, PropagationProgress):
            bit = self._bit
            self._reachable.update(instance for instance, bits in message.updates if bits & bit)
        elif isinstance(message, CheckRequest):
            self._requests.append(message)
        else:
            self._tallies[message.tick, message.lb, message.checker] = message.units

    async def _tally(self, tick: int, lb: int, checker: int) -> float:
        """Another checker's transition work in load balancer ``lb``'s checks of this tick."""
        key = (tick, lb, checker)
        while key not in self._tallies:
            try:
                message = self._inbox.receive_nowait()
            except trio.WouldBlock:
                message = await self._inbox.receive()
            self._take(message)
        return self._tallies.pop(key)

    async def _serve(self, tick: int, requests: list[CheckRequest]) -> None:
        config, stats, az = self._config, self._stats, self.az
        capacity, timeout, cost = config.checker_capacity_per_s, config.check_timeout_s, config.check_cost
        out_units, back_units, reachable = self._out_units, self._back_units, self._reachable
        units = max(0.0, self._backlog_units - capacity * config.tick_s)
        healthy = unhealthy = timeouts = 0
        for request in requests:
            results = []
            seen = 0.0
            # ``instance in reachable``, written out (a call per check otherwise); read again for
            # each request, since waiting for a peer's tally below may let news in.
            floor, above, others = reachable.as_test()
            for instance, flips_if in request.targets:
                delay = units / capacity
                units += cost
                if delay > timeout:
                    passed = False
                    timeouts += 1
                else:
                    passed = (instance <= floor or instance in above) if instance >= 1 else instance in others
                    if passed:
                        healthy += 1
                    else:
                        unhealthy += 1
                if passed is flips_if:
                    seen += back_units if passed else out_units
                    units += back_units if passed else out_units
                results.append((instance, passed))
            self._results[request.lb].send_nowait(CheckResults(az, request.tick, tuple(results)))
            candidates = request.candidates
            if candidates[az]:
                tally = TransitionTally(az, request.tick, request.lb, seen)
                for _, peer in self._peers:
                    peer.send_nowait(tally)
            for other, _ in self._peers:
                if candidates[other]:
                    units += await self._tally(request.tick, request.lb, other)
        self._backlog_units = units
        checks = stats.checks
        checks["healthy"] += healthy
        checks["unhealthy"] += unhealthy
        checks["timeout"] += timeouts
        delay = units / capacity
        stats.checker_delay_s[az] = delay
        if delay > stats.healthcheck_max_delay_s:
            stats.healthcheck_max_delay_s = delay
        if bool(timeouts) != self._timing_out:
            self._timing_out = bool(timeouts)
            event = "checks_timing_out" if timeouts else "checks_in_time"
            self._trace.record(event, self.name, tick=tick, delay_s=round(delay, 3))
