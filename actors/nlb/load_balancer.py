"""A Network Load Balancer: its targets, its nodes in DNS, failover, and its traffic.

The load balancer has a node in each AZ; a node is in DNS unless automatic
AZ failover took it out. Each node fronts that AZ's targets (EC2 instances)
and fails open (uses every target) when none is healthy, so it is failover,
not target health alone, that takes a whole AZ of capacity away.

*Health.* Every target is checked once per ``health_check_interval_s`` by
the checker of a random AZ (drawn here, one request per checker per tick,
sent a tick ahead). Consecutive results move a target between healthy and
unhealthy (thresholds); each transition costs the checkers work (a share of
it, ``back_in_service_cost_fraction``, to put a target back), sent with the
next requests. A target's first two transitions (out of service until its
state arrives, then in) are registration; later ones count as flapping.

*Failover.* A node whose AZ's healthy fraction falls below
``failover_threshold`` has its DNS record marked unhealthy, and healthy
again above ``failover_restore_threshold``. DNS answers with the healthy
records, and with all of them when none is: Route 53's health-checked
records fail open, so failover takes capacity down but never to zero.
Velocity control (AWS remediation 4) refuses a failover that would remove
more than ``max_removal_fraction`` of the nodes. ``SetAutomaticFailover`` on
the control channel switches it.

*Autoscaling.* A share of launches join a target group, replacing its oldest
target, which is terminated (``InstanceTerminated`` to Network Manager); with
``nlb.wait_for_propagation`` only once the new one is fully propagated
(:mod:`actors.nlb.membership`).

*Traffic.* DNS spreads client traffic evenly over the nodes in DNS; traffic
beyond a node's working targets, or sent to a target without connectivity
yet, fails.

The tick: the checkers' results for it arrive (the task's only wake-up);
the control channel and the inbox (launches, Network Manager's progress) are
drained with ``receive_nowait``; then health, failover, traffic, the report
to the monitor, and the requests for the next tick.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

import trio

from actors.ec2.messages import InstanceLaunched, InstanceTerminated
from actors.network.messages import PropagationProgress
from actors.nlb.membership import Membership, Retired
from actors.nlb.messages import CheckRequest, CheckResults, LoadBalancerTick, SetAutomaticFailover
from actors.nlb.targets import Target, account_traffic

if TYPE_CHECKING:
    from actors.nlb.config import NlbConfig
    from actors.nlb.stats import NlbStats
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["LoadBalancer", "LoadBalancerMessage"]

LoadBalancerMessage = InstanceLaunched | PropagationProgress


class LoadBalancer:
    def __init__(
        self,
        index: int,
        *,
        clock: Clock,
        rng: random.Random,
        config: NlbConfig,
        stats: NlbStats,
        trace: Trace,
        targets: Sequence[Sequence[tuple[int, int]]],
        inbox: trio.MemoryReceiveChannel[LoadBalancerMessage],
        control: trio.MemoryReceiveChannel[SetAutomaticFailover],
        results: trio.MemoryReceiveChannel[CheckResults],
        checkers: Sequence[trio.MemorySendChannel[CheckRequest]],
        terminations: trio.MemorySendChannel[InstanceTerminated],
        monitor: trio.MemorySendChannel[LoadBalancerTick],
    ) -> None:
        """``targets``: per AZ, ``(instance id, droplet)`` of the instances in service at the start."""
        self.index = index
        self.name = f"nlb-{index}"
        self._clock = clock
        self._rng = rng
        self._config = config
        self._stats = stats
        self._trace = trace
        self._inbox = inbox
        self._control = control
        self._results = results
        self._checkers = tuple(checkers)
        self._terminations = terminations
        self._monitor = monitor
        self._azs = azs = len(targets)
        self._slots = max(1, round(config.health_check_interval_s / config.tick_s))
        # Autoscaling: each load balancer takes its share of the launches.
        self._join_probability = config.new_target_fraction / config.load_balancers
        self._automatic = config.automatic_failover
        self._members = Membership(azs, self._slots, wait_for_propagation=config.wait_for_propagation)
        self._groups = self._members.groups
        self._in_dns = [True] * azs  # [az] -> the node's DNS record is healthy (not failed over)
        self._answered = [True] * azs  # [az] -> DNS answers with the node (all of them when none is healthy)
        self._failing_open = False
        self._removals: list[float] = []  # failover times, for velocity control
        self._refusing: frozenset[int] = frozenset()
        for az, initial in enumerate(targets):
            for instance_id, droplet in initial:
                self._members.join(
                    az, Target(instance_id, droplet, self._rng.randrange(self._slots), propagated=0b1111)
                )
        stats.automatic_failover[index] = self._automatic

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        tick = 0
        self._request_checks(tick)
        task_status.started()
        while True:
            results = await self._collect(tick)
            self._drain_control()
            self._drain_inbox()
            flapping = self._apply(results)
            now = self._clock.now()
            failovers = self._failover(now)
            offered, errors = account_traffic(
                self._groups, self._answered, self._config.traffic_fraction, self._config.tick_s, self._stats
            )
            self._monitor.send_nowait(LoadBalancerTick(self.index, tick, offered, errors, flapping, failovers))
            tick += 1
            self._request_checks(tick)

    # -- membership ------------------------------------------------------------
    def _autoscale(self, launch: InstanceLaunched) -> None:
        """A share of the launches join this load balancer (:mod:`actors.nlb.membership`)."""
        if self._rng.random() >= self._join_probability or launch.az >= self._azs:
            return
        target = Target(launch.instance_id, launch.droplet, self._rng.randrange(self._slots))
        self._terminate(self._members.launched(launch.az, target))

    def _terminate(self, retired: Retired | None) -> None:
        if retired is not None:
            az, target = retired
            self._terminations.send_nowait(
                InstanceTerminated(target.instance_id, az, target.droplet, self._clock.now())
            )

    def _drain_inbox(self) -> None:
        receive = self._inbox.receive_nowait
        while True:
            try:
                message = receive()
            except trio.WouldBlock:
                return
            if isinstance(message, InstanceLaunched):
                self._autoscale(message)
                continue
            for instance_id, bits in message.updates:
                self._terminate(self._members.propagated(instance_id, bits))

    def _drain_control(self) -> None:
        while True:
            try:
                message = self._control.receive_nowait()
            except trio.WouldBlock:
                return
            if message.enabled != self._automatic:
                self._automatic = message.enabled
                self._trace.record("automatic_failover", self.name, enabled=message.enabled)
            self._stats.automatic_failover[self.index] = message.enabled

    # -- health ------------------------------------------------------------------
    async def _collect(self, tick: int) -> list[CheckResults]:
        """This tick's results, one per checker, in checker order."""
        results = [await self._results.receive()]
        while len(results) < len(self._checkers):
            try:
                results.append(self._results.receive_nowait())
            except trio.WouldBlock:
                results.append(await self._results.receive())
        assert all(result.tick == tick for result in results), "a checker answered out of turn"
        results.sort(key=lambda result: result.checker)
        return results

    def _request_checks(self, tick: int) -> None:
        config, azs = self._config, self._azs
        draw = self._rng.random
        per_checker: list[list[tuple[int, bool | None]]] = [[] for _ in range(azs)]
        candidates = [False] * azs
        healthy_threshold, unhealthy_threshold = config.healthy_threshold, config.unhealthy_threshold
        # AZ by AZ, oldest first: later checks of a tick wait longer, and that must not
        # fall on the newest targets alone.
        for group in self._members.due[tick % self._slots]:
            for target in group.values():
                # The one outcome that would change its health at this check, if any.
                flips_if: bool | None = None
                if target.healthy:
                    if (target.consecutive + 1 if not target.last_result else 1) >= unhealthy_threshold:
                        flips_if = False
                elif (target.consecutive + 1 if target.last_result else 1) >= healthy_threshold:
                    flips_if = True
                checker = int(draw() * azs)
                per_checker[checker].append((target.instance_id, flips_if))
                if flips_if is not None:
                    candidates[checker] = True
        flags = tuple(candidates)
        for az, checker_inbox in enumerate(self._checkers):
            checker_inbox.send_nowait(CheckRequest(self.index, tick, tuple(per_checker[az]), flags))

    def _apply(self, results: list[CheckResults]) -> int:
        """Consecutive results move targets in and out of service; returns flapping transitions."""
        config, by_id, groups = self._config, self._members.by_id, self._groups
        healthy_threshold, unhealthy_threshold = config.healthy_threshold, config.unhealthy_threshold
        out = back = flapping = 0
        for result in results:
            for instance_id, passed in result.results:
                entry = by_id.get(instance_id)
                if entry is None:
                    continue  # retired since it was sent for checking
                az, target = entry
                if passed == target.last_result:
                    target.consecutive += 1
                else:
                    target.last_result, target.consecutive = passed, 1
                threshold = healthy_threshold if passed else unhealthy_threshold
                if target.healthy != passed and target.consecutive >= threshold:
                    groups[az].set_healthy(target, passed)
                    target.transitions += 1
                    if passed:
                        back += 1
                    else:
                        out += 1
                    if target.transitions > 2:  # past registration (out, then in): flapping
                        flapping += 1
        if out or back:
            self._stats.health_flaps += out + back
            self._trace.record("health_transitions", self.name, out=out, back=back, flapping=flapping)
        return flapping

    # -- failover ------------------------------------------------------------------
    def _failover(self, now: float) -> tuple[tuple[int, float], ...]:
        config, stats, azs, in_dns = self._config, self._stats, self._azs, self._in_dns
        automatic = self._automatic
        failovers: list[tuple[int, float]] = []
        refused: list[int] = []
        for az, group in enumerate(self._groups):
            healthy = group.healthy / len(group) if len(group) else 1.0
            if not in_dns[az]:
                if not automatic or healthy >= config.failover_restore_threshold:
                    in_dns[az] = True
                    self._trace.record("az_restored", self.name, az=az)
                continue
            if not automatic or healthy >= config.failover_threshold:
                continue
            velocity = config.velocity_control
            if velocity.enabled:
                self._removals = [t for t in self._removals if t > now - velocity.window_s]
                out = in_dns.count(False)
                if (out + 1) / azs > velocity.max_removal_fraction or (
                    len(self._removals) + 1
                ) / azs > velocity.max_removal_fraction:
                    stats.failovers_refused += 1
                    refused.append(az)
                    continue
            in_dns[az] = False
            self._removals.append(now)
            stats.az_failovers += 1
            failovers.append((az, round(healthy, 2)))
            self._trace.record("az_failover", self.name, az=az, healthy_fraction=round(healthy, 2))
        if frozenset(refused) != self._refusing:
            # Refusals repeat every tick while an AZ stays under the threshold: trace the changes.
            self._refusing = frozenset(refused)
            self._trace.record("az_failover_refused", self.name, azs=",".join(map(str, refused)))
        self._answer()
        return tuple(failovers)

    def _answer(self) -> None:
        """What DNS answers: the healthy records, or every record when none is (fail open)."""
        failing_open = not any(self._in_dns)
        answered = [True] * self._azs if failing_open else self._in_dns
        if answered == self._answered:
            return
        if failing_open != self._failing_open:
            self._failing_open = failing_open
            self._trace.record("dns_fail_open", self.name, failing_open=failing_open)
        nodes_in_dns = self._stats.nodes_in_dns
        for az, (was, now) in enumerate(zip(self._answered, answered, strict=True)):
            nodes_in_dns[az] += now - was
        self._answered = list(answered)
