"""Records shared by the droplet lease actors and DWFM hosts.

A :class:`Lease` is the droplet's side of its relationship with one DWFM
host; a :class:`WorkItem` is one unit of lease re-establishment work in a
host's queue. Both use ``__slots__``: a process holds 100,000 droplets.
"""

from __future__ import annotations

import enum
from typing import Protocol

import attrs
from trio.lowlevel import Abort, Task, current_task, reschedule, wait_task_rescheduled

__all__ = [
    "DwfmStats",
    "InstanceLaunched",
    "InstanceTerminated",
    "Lease",
    "LeaseAuthority",
    "LeaseChanges",
    "LeaseState",
    "RestartHost",
    "SetAdmission",
    "SetLaunchAdmission",
    "SetLaunchThrottle",
    "WorkItem",
    "WorkOutcome",
]


class LeaseState(enum.IntEnum):
    ACTIVE = 0
    EXPIRED = 1
    REESTABLISHING = 2


class WorkOutcome(enum.Enum):
    COMPLETED = "completed"  # done in time: the lease is back
    WASTED = "wasted"  # done, but the requester had already given up
    TIMED_OUT = "timed_out"  # the requester gave up waiting
    REJECTED = "rejected"  # not admitted: the queue was over its limit
    DROPPED = "dropped"  # skipped by a worker because the requester had given up


class Lease:
    """One droplet's lease, and the parking spot of the droplet's task."""

    __slots__ = ("_parked", "_pending", "az", "droplet_id", "expires_at", "host", "item", "retries", "state")

    def __init__(self, droplet_id: int, az: int, host: int, expires_at: float) -> None:
        self.droplet_id = droplet_id
        self.az = az
        self.host = host
        self.state = LeaseState.ACTIVE
        self.expires_at = expires_at
        self.item: WorkItem | None = None
        self.retries = 0
        self._parked: Task | None = None
        self._pending = False

    async def park(self) -> None:
        """Sleep until :meth:`wake` (a wake before parking is not lost)."""
        if self._pending:
            self._pending = False
            return
        self._parked = current_task()

        def abort(_: object) -> Abort:
            self._parked = None
            return Abort.SUCCEEDED

        await wait_task_rescheduled(abort)

    def wake(self) -> None:
        task = self._parked
        if task is None:
            self._pending = True
            return
        self._parked = None
        reschedule(task)


class WorkItem:
    """Lease re-establishment work; the worker holding it cannot see the requester."""

    __slots__ = ("abandoned", "deadline", "lease", "succeeded")

    def __init__(self, lease: Lease, deadline: float) -> None:
        self.lease = lease
        self.deadline = deadline
        self.abandoned = False
        self.succeeded = False


class LeaseAuthority(Protocol):
    """What a droplet can ask of the DWFM host that holds its lease."""

    def try_submit(self, lease: Lease) -> WorkItem | None:
        """Queue re-establishment work; None when admission control refuses it."""

    def on_lease_expired(self, lease: Lease) -> None:
        """The lease has lapsed: re-establish it once DynamoDB answers again."""


@attrs.define
class DwfmStats:
    """Fleet-wide DWFM state, kept incrementally (never by scanning droplets)."""

    azs: int = 3
    leases: list[list[int]] = attrs.Factory(list)  # [az][state] -> count
    leases_expired_peak: int = 0
    work: dict[WorkOutcome, int] = attrs.Factory(lambda: dict.fromkeys(WorkOutcome, 0))
    max_queue_depth: int = 0
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

    def move(self, lease: Lease, new_state: LeaseState) -> None:
        counts = self.leases[lease.az]
        counts[lease.state] -= 1
        counts[new_state] += 1
        lease.state = new_state
        if new_state is LeaseState.EXPIRED:
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


# -- EC2's published protocol (read by Network Manager, NLB and the operator) ----------


@attrs.frozen
class InstanceLaunched:
    """Launcher -> subscribers (Network Manager, NLB autoscaling): a new instance on ``droplet``."""

    instance_id: int
    az: int
    droplet: int
    at: float


@attrs.frozen
class InstanceTerminated:
    """-> Network Manager: an instance went away (customers, or NLB retiring a target)."""

    instance_id: int
    az: int
    droplet: int
    at: float


@attrs.frozen
class LeaseChanges:
    """DWFM host -> subscribers (launcher, Network Manager), once per check tick with news.

    ``lapsed``: droplets whose lease this host found lapsed; ``restored``:
    droplets whose lease it re-established since its last message. A
    subscriber keeps its own view of which droplets are leased from these.
    """

    host: str
    lapsed: tuple[int, ...]
    restored: tuple[int, ...]


@attrs.frozen
class SetLaunchAdmission:
    """Network Manager -> launcher (queue-size throttling): refuse launches while closed."""

    open: bool


@attrs.frozen
class SetLaunchThrottle:
    """Operator -> launcher: a token-bucket limit on launches (0: none)."""

    per_s: float


@attrs.frozen
class SetAdmission:
    """Operator -> DWFM host: admission control by queue size (AWS remediation 6)."""

    enabled: bool
    max_queue: int


@attrs.frozen
class RestartHost:
    """Operator -> DWFM host: restart it, which empties its work queue."""
