"""NLB's health-check subsystem: checker hosts with finite capacity.

Every target is checked once per ``health_check_interval_s`` by a checker
host in a random AZ, so a target whose network state has reached only some
AZs' checkers passes some checks and fails others: its results alternate.
Consecutive results move it between healthy and unhealthy (thresholds), and
every such transition costs the checker extra work (DNS update, re-checks)
on top of the check itself (a fifth of it to put a target back). A checker's unfinished work delays its checks;
a check delayed beyond ``check_timeout_s`` counts as a failure. Flapping
therefore loads the subsystem, which delays checks, which fails healthy
targets: the loop emerges from these costs, nothing is scripted.

A target's first two transitions (out of service until its state arrives,
then in) are registration; later ones count as flapping.

Automatic AZ DNS failover takes a load balancer's node out of DNS when the
healthy fraction of its AZ's targets falls below ``failover_threshold``.
Velocity control (AWS remediation 4) refuses a failover that would remove
more than ``max_removal_fraction`` of a load balancer's nodes.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from actors.nlb.load_balancers import LoadBalancer, NlbFleet, Target

if TYPE_CHECKING:
    from actors.control import ControlPlane
    from actors.nlb.config import NlbConfig
    from emulator.kernel.clock import Clock
    from emulator.kernel.trace import Trace

__all__ = ["HealthCheckSubsystem"]


class HealthCheckSubsystem:
    def __init__(
        self,
        *,
        clock: Clock,
        rng: random.Random,
        config: NlbConfig,
        control: ControlPlane,
        nlb: NlbFleet,
        trace: Trace,
    ) -> None:
        self._clock = clock
        self._rng = rng
        self._config = config
        self._control = control
        self._nlb = nlb
        self._trace = trace
        self.backlog_units = [0.0] * nlb.azs

    async def run(self) -> None:
        config, clock, stats = self._config, self._clock, self._nlb.stats
        tick = 0
        while True:
            await clock.sleep(config.tick_s)
            drained = config.checker_capacity_per_s * config.tick_s
            self.backlog_units = [max(0.0, units - drained) for units in self.backlog_units]
            slot = tick % self._nlb.check_slots
            for lb in self._nlb.load_balancers:
                for group in lb.targets:
                    for target in group:
                        if target.check_slot == slot:
                            self._check(target)
            stats.healthcheck_delay_s = max(self.backlog_units) / config.checker_capacity_per_s
            stats.healthcheck_max_delay_s = max(stats.healthcheck_max_delay_s, stats.healthcheck_delay_s)
            now = clock.now()
            for lb in self._nlb.load_balancers:
                self._failover(lb, now)
            self._nlb.account_traffic(config.tick_s)
            self._watch_flapping(now)
            tick += 1

    def _check(self, target: Target) -> None:
        config, stats = self._config, self._nlb.stats
        if config.wait_for_propagation and not target.instance.fully_propagated:
            return  # the fix: not health-checked (nor in service) before propagation
        checker = self._rng.randrange(self._nlb.azs)
        delay = self.backlog_units[checker] / config.checker_capacity_per_s
        self.backlog_units[checker] += config.check_cost
        if delay > config.check_timeout_s:
            passed = False
            stats.checks["timeout"] += 1
        else:
            passed = target.instance.reachable_from(checker)
            stats.checks["healthy" if passed else "unhealthy"] += 1
        if passed == target.last_result:
            target.consecutive += 1
        else:
            target.last_result, target.consecutive = passed, 1
        threshold = config.healthy_threshold if passed else config.unhealthy_threshold
        if target.healthy != passed and target.consecutive >= threshold:
            target.healthy = passed
            target.transitions += 1
            # Taking a target out (DNS removal, then re-checks from every AZ)
            # costs the full transition, spread over all checker hosts;
            # putting it back costs a fifth of that.
            cost = (config.transition_cost if not passed else config.transition_cost / 5) / len(self.backlog_units)
            self.backlog_units = [units + cost for units in self.backlog_units]
            stats.health_flaps += 1
            if target.transitions > 2:  # past registration (out, then in): flapping
                stats.transitions_recent.append(self._clock.now())

    def _failover(self, lb: LoadBalancer, now: float) -> None:
        config, stats, azs = self._config, self._nlb.stats, self._nlb.azs
        automatic = self._control.nlb_automatic_failover
        for az, group in enumerate(lb.targets):
            healthy = sum(target.healthy for target in group) / len(group)
            if not lb.in_dns[az]:
                if not automatic or healthy >= config.failover_restore_threshold:
                    lb.in_dns[az] = True
                    self._trace.record("az_restored", lb.name, az=az)
                continue
            if not automatic or healthy >= config.failover_threshold:
                continue
            velocity = config.velocity_control
            if velocity.enabled:
                lb.removals = [t for t in lb.removals if t > now - velocity.window_s]
                out = lb.in_dns.count(False)
                if (out + 1) / azs > velocity.max_removal_fraction or (len(lb.removals) + 1) / azs > (
                    velocity.max_removal_fraction
                ):
                    stats.failovers_refused += 1
                    continue
            lb.in_dns[az] = False
            lb.removals.append(now)
            stats.az_failovers += 1
            if stats.az_failovers == 1:
                self._trace.milestone("nlb_first_az_failover", lb.name, az=az, healthy_fraction=round(healthy, 2))
            else:
                self._trace.record("az_failover", lb.name, az=az)

    def _watch_flapping(self, now: float) -> None:
        config, stats = self._config, self._nlb.stats
        recent = stats.transitions_recent
        while recent and recent[0] < now - config.flapping_window_s:
            recent.pop(0)
        if not stats.flapping and len(recent) >= config.flapping_transitions:
            stats.flapping = True
            self._trace.milestone("nlb_flapping_start", "nlb-health-checks", transitions=len(recent))
        elif stats.flapping and len(recent) < config.flapping_transitions / 4:
            stats.flapping = False
            self._trace.milestone("nlb_flapping_end", "nlb-health-checks")
