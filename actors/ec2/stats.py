"""EC2's instrumentation: counters the actors update, the world's snapshot and report read.

Like a metrics registry, it is written by the actors and read by the world
(snapshot, report) and by the emulator's own analysis (the collapse
monitor); no actor decides anything from it. Counts are kept incrementally,
never by scanning droplets.
"""

from __future__ import annotations

import attrs

from actors.ec2.messages import LeaseState, WorkOutcome

__all__ = ["DwfmStats", "Ec2Stats"]


@attrs.define
class DwfmStats:
    """Fleet-wide DWFM figures, written by the hosts, droplets and the collapse monitor."""

    azs: int = 3
    leases: list[list[int]] = attrs.Factory(list)  # [az][state] -> count
    leases_expired_peak: int = 0
    work: dict[WorkOutcome, int] = attrs.Factory(lambda: dict.fromkeys(WorkOutcome, 0))
    queue_depths: dict[str, int] = attrs.Factory(dict)  # host -> work waiting in its queue
    # host -> [useful, wasted] work finished, and its leases not active (for the collapse monitor)
    host_finished: dict[str, list[int]] = attrs.Factory(dict)
    host_not_active: dict[str, int] = attrs.Factory(dict)
    max_queue_depth: int = 0
    admitted: int = 0  # lease requests the hosts' queues took (or handed straight to a worker)
    in_service: int = 0  # taken by a worker and not finished yet
    renewals: int = 0  # leases checked (the benchmark's "lease checks")
    restarts: int = 0
    gave_up: int = 0  # droplets out of retries (each waits for its next state check)
    retries_refused: int = 0  # retries refused by the retry budget
    # Reachability of DynamoDB from DWFM (every host's last check succeeded).
    unreachable_hosts: int = 0
    reachable_again_at: float | None = None
    recovery_pending: bool = False
    lease_recovery_seconds: float | None = None
    collapsed: bool = False
    collapse: bool = False
    collapse_seconds: float = 0.0
    collapse_since: float | None = None

    def __attrs_post_init__(self) -> None:
        if not self.leases:
            self.leases = [[0, 0, 0] for _ in range(self.azs)]

    def move(self, az: int, old: LeaseState, new: LeaseState) -> None:
        counts = self.leases[az]
        counts[old] -= 1
        counts[new] += 1
        if new is LeaseState.EXPIRED:
            self.recovery_pending = True
            not_active = self.not_active()
            if not_active > self.leases_expired_peak:
                self.leases_expired_peak = not_active

    def all_active_again(self, now: float) -> bool:
        """After a lease came back: True once, when the last lapsed lease has."""
        if not self.recovery_pending or self.not_active():
            return False
        self.recovery_pending = False
        if self.reachable_again_at is not None:
            self.lease_recovery_seconds = now - self.reachable_again_at
        return True

    def not_active(self) -> int:
        return sum(counts[LeaseState.EXPIRED] + counts[LeaseState.REESTABLISHING] for counts in self.leases)

    def count(self, outcome: WorkOutcome, n: int = 1) -> None:
        self.work[outcome] += n

    def finish(self, outcome: WorkOutcome) -> None:
        """A worker is done with an item: completed, wasted or dropped."""
        self.work[outcome] += 1
        self.in_service -= 1


@attrs.define
class Ec2Stats:
    """Launch outcomes and terminations, written by the launcher and the terminations actor."""

    launches_ok: int = 0
    launches_insufficient_capacity: int = 0
    launches_throttled: int = 0
    instances_running: int = 0
    pending_retries: int = 0
    terminations: int = 0
