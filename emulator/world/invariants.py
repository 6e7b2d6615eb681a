"""Invariants of the emulated world, checked while every run goes.

The FoundationDB habit: checkers are always on, so a broken conservation law
shows the moment it breaks, in whatever run, test or sweep breaks it, rather
than only if a test happens to look. The checker reads the same metric
snapshot Prometheus would (cheap: a few microseconds) every
``run.invariant_check_interval_s`` of virtual time, and raises
:class:`InvariantViolated` naming the invariant; the runner turns that into
exit 1 with the partial report and a command that replays to that moment.

Each invariant is a function of the snapshot (and the previous one, for the
laws about counters), returning what is wrong or None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from metrics.schema import HistogramSnapshot, Snapshot

if TYPE_CHECKING:
    from emulator.config.tree import Config
    from emulator.kernel.clock import Clock

__all__ = ["INVARIANTS", "InvariantViolated", "check", "start_invariant_checker"]


class InvariantViolated(Exception):
    """An invariant of the world broke at virtual time ``at``."""

    def __init__(self, name: str, at: float, detail: str) -> None:
        super().__init__(f"invariant {name} broken at virtual time {at:.3f} s: {detail}")
        self.name, self.at, self.detail = name, at, detail


def _values(value: object) -> dict[tuple[str, ...], float]:
    if isinstance(value, dict):
        return {key: float(v) for key, v in value.items()}
    if isinstance(value, HistogramSnapshot):
        return {("count",): float(value.count), ("sum",): value.sum}
    return {(): float(value)} if isinstance(value, int | float) else {}


def leases_sum_to_the_fleet(config: Config, now: Snapshot, _: Snapshot | None) -> str | None:
    """Every droplet's lease is in exactly one state."""
    total = sum(_values(now.get("dwfm_leases", {})).values())
    return None if total == config.ec2.droplets else f"leases by state sum to {total:g}, fleet is {config.ec2.droplets}"


def fractions_within_zero_and_one(_config: Config, now: Snapshot, _: Snapshot | None) -> str | None:
    """In-service capacity is a share of the load balancers' nodes."""
    for labels, value in _values(now.get("nlb_capacity_in_service_ratio", {})).items():
        if not 0.0 <= value <= 1.0:
            return f"nlb_capacity_in_service_ratio{list(labels)} = {value:g}"
    return None


def depths_not_negative(_config: Config, now: Snapshot, _: Snapshot | None) -> str | None:
    """A queue holds zero or more items."""
    for name in ("dwfm_queue_depth", "network_manager_backlog", "network_manager_instances_without_connectivity"):
        for labels, value in _values(now.get(name, 0.0)).items():
            if value < 0:
                return f"{name}{list(labels)} = {value:g}"
    return None


FINISHED = ("completed", "wasted", "dropped", "discarded")


def work_items_accounted_for(_config: Config, now: Snapshot, _: Snapshot | None) -> str | None:
    """Every lease request a host took is queued, in service, or finished in one way, exactly once."""
    admitted = _values(now.get("dwfm_work_admitted_total", 0.0)).get((), 0.0)
    outcomes = _values(now.get("dwfm_work_total", {}))
    finished = sum(outcomes.get((outcome,), 0.0) for outcome in FINISHED)
    queued = sum(_values(now.get("dwfm_queue_depth", {})).values())
    in_service = _values(now.get("dwfm_work_in_service", 0.0)).get((), 0.0)
    if admitted == finished + queued + in_service:
        return None
    return f"{admitted:g} admitted, but {queued:g} queued + {in_service:g} in service + {finished:g} finished"


def counters_never_decrease(_config: Config, now: Snapshot, before: Snapshot | None) -> str | None:
    """What has happened stays happened: every ``_total`` counter and histogram count."""
    if before is None:
        return None
    for name, value in now.items():
        if not (name.endswith("_total") or isinstance(value, HistogramSnapshot)):
            continue
        earlier = _values(before.get(name, {}))
        for labels, figure in _values(value).items():
            if figure < earlier.get(labels, 0.0):
                return f"{name}{list(labels)} fell from {earlier[labels]:g} to {figure:g}"
    return None


def time_moves_forward(_config: Config, now: Snapshot, before: Snapshot | None) -> str | None:
    if before is None:
        return None
    t, earlier = now["emulator_virtual_time_seconds"], before["emulator_virtual_time_seconds"]
    assert isinstance(t, float | int) and isinstance(earlier, float | int)
    return None if t >= earlier else f"virtual time went back from {earlier} to {t}"


Invariant = Callable[["Config", Snapshot, "Snapshot | None"], "str | None"]
INVARIANTS: dict[str, Invariant] = {
    "leases_sum_to_the_fleet": leases_sum_to_the_fleet,
    "fractions_within_zero_and_one": fractions_within_zero_and_one,
    "depths_not_negative": depths_not_negative,
    "work_items_accounted_for": work_items_accounted_for,
    "counters_never_decrease": counters_never_decrease,
    "time_moves_forward": time_moves_forward,
}


def check(config: Config, now: Snapshot, before: Snapshot | None, at: float) -> None:
    """Raise :class:`InvariantViolated` for the first invariant that does not hold."""
    for name, invariant in INVARIANTS.items():
        if (wrong := invariant(config, now, before)) is not None:
            raise InvariantViolated(name, at, wrong)


def start_invariant_checker(clock: Clock, config: Config, snapshot: Callable[[], Snapshot]) -> None:
    """Check every invariant at each ``run.invariant_check_interval_s`` of virtual time.

    A clock timer, not a task: it wakes no actor and adds no scheduler round,
    so checking costs only the snapshot.
    """
    interval = config.run.invariant_check_interval_s
    state: dict[str, Snapshot] = {}

    def tick() -> None:
        now = snapshot()
        check(config, now, state.get("before"), clock.now())
        state["before"] = now
        clock.call_at(clock.now() + interval, tick)

    clock.call_at(clock.now() + interval, tick)
